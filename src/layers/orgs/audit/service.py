"""Writing and reading the audit log.

What gets a row (``eventType``):

* ``api.request``: every successful mutation (POST, PUT, PATCH, DELETE) of the Partner API,
  written in the request's own transaction (`layers.orgs.dependencies`), so the row exists
  exactly when the change does. Reads (GET) write nothing.
* ``auth.key_rejected``: a request whose key names a known key but cannot be used (wrong
  secret, revoked, past its rotation grace, killed, suspended or archived organization).
  A key nobody issued names no organization and is not recorded.
* ``auth.scope_denied``: a key lacking the route's scope (403 FORBIDDEN_SCOPE).
* ``auth.rate_limited``: written by the rate limiter through `record_rate_limited`.
* Key and organization events (``api_key.created|rotated|revoked|killed``,
  ``organization.created|updated|suspended|resumed|archived``), written by their services in
  the transaction of the change.

Rejections are written in a transaction of their own (`record_now`): the request they belong
to had no unit of work.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.context import request_id_var
from layers.kit.db import get_database
from layers.kit.errors import Validation
from layers.kit.ids import new_id
from layers.kit.settings import get_settings
from layers.models.audit import AuditEvent
from layers.orgs.audit import repository

log = logging.getLogger("layers.audit")

PARTNER_API = "partner_api"
CONSOLE = "console"
OPERATOR = "operator"
SYSTEM = "system"

_actor: ContextVar[str] = ContextVar("audit_actor", default=PARTNER_API)


@contextmanager
def acting_through(actor: str) -> Iterator[None]:
    """Rows written inside name `actor` (the console wraps its actions in ``CONSOLE``)."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


EVENT_TYPES = (
    "api.request",
    "auth.key_rejected",
    "auth.scope_denied",
    "auth.rate_limited",
    "api_key.created",
    "api_key.rotated",
    "api_key.revoked",
    "api_key.killed",
    "organization.created",
    "organization.updated",
    "organization.suspended",
    "organization.resumed",
    "organization.archived",
)


def record(
    session: Session,
    *,
    org_id: str,
    livemode: bool,
    event_type: str,
    api_key_id: str | None = None,
    project_id: str | None = None,
    actor: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one row in the caller's session (it commits with the caller's change)."""
    event = AuditEvent(
        id=new_id("evt"),
        org_id=org_id,
        livemode=livemode,
        event_type=event_type,
        occurred_at=clock.now(),
        request_id=request_id_var.get(),
        project_id=project_id,
        api_key_id=api_key_id,
        actor=actor or _actor.get(),
        data=data or {},
    )
    session.add(event)
    return event


def record_now(
    *,
    org_id: str,
    livemode: bool,
    event_type: str,
    api_key_id: str | None = None,
    project_id: str | None = None,
    actor: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Write one row in a transaction of its own (for a request that is being refused).

    Auditing never turns a refusal into a 500: a failed write is logged and dropped."""
    try:
        with get_database().transaction() as session:
            record(
                session,
                org_id=org_id,
                livemode=livemode,
                event_type=event_type,
                api_key_id=api_key_id,
                project_id=project_id,
                actor=actor,
                data=data,
            )
    except Exception:
        log.exception("could not write the audit row %s for %s", event_type, org_id)


def record_rate_limited(
    *,
    org_id: str,
    livemode: bool,
    api_key_id: str,
    method: str,
    path: str,
    endpoint_class: str,
    retry_after: int,
) -> None:
    """Audit a 429 RATE_LIMITED (called by the rate limiter, in its own transaction)."""
    record_now(
        org_id=org_id,
        livemode=livemode,
        event_type="auth.rate_limited",
        api_key_id=api_key_id,
        data={
            "method": method,
            "path": path,
            "endpointClass": endpoint_class,
            "retryAfter": retry_after,
        },
    )


def encode_cursor(event: AuditEvent) -> str:
    raw = f"{clock.isoformat_z(event.occurred_at)}|{event.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, event_id = raw.partition("|")
        when = datetime.fromisoformat(at)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Validation.field("cursor", "malformed cursor", "cursor_invalid") from exc
    if when.tzinfo is None or not event_id.startswith("evt_") or len(event_id) > 40:
        raise Validation.field("cursor", "malformed cursor", "cursor_invalid")
    return when, event_id


def page(
    session: Session,
    *,
    org_id: str,
    livemode: bool,
    cursor: str | None,
    limit: int,
    event_type: str | None = None,
    project_id: str | None = None,
    api_key_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[Sequence[AuditEvent], str | None]:
    """One page of the organization's log (of one mode) and the cursor of the next."""
    rows = repository.page(
        session,
        org_id=org_id,
        livemode=livemode,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
        event_type=event_type,
        project_id=project_id,
        api_key_id=api_key_id,
        since=since,
        until=until,
    )
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1])
    return rows, None


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """Delete the rows older than the retention of the settings; returns how many went."""
    days = get_settings().audit_retention_days
    return repository.purge_before(session, (now or clock.now()) - timedelta(days=days))
