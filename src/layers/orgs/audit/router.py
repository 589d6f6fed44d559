"""``GET /v1/audit-log``: the organization's audit trail (fact sheet §20)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

from layers.kit.errors import Validation
from layers.kit.http import LayersRouter
from layers.models.audit import AuditEvent
from layers.orgs.audit import service
from layers.orgs.audit.schemas import AuditEventList, AuditEventOut
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires

router = LayersRouter(prefix="/v1", tags=["audit log"])

_Z_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
ZTime = Annotated[
    str | None,
    Query(max_length=40, description="ISO 8601 UTC with a Z suffix, e.g. 2026-12-01T00:00:00Z."),
]


def _parse_z(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        if not _Z_TIME.match(value):
            raise ValueError(value)
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    except ValueError as exc:
        raise Validation.field(name, "must be ISO 8601 UTC ending in Z", "datetime_z") from exc


def to_out(event: AuditEvent) -> AuditEventOut:
    return AuditEventOut(
        event_id=event.id,
        event_type=event.event_type,
        occurred_at=event.occurred_at,
        request_id=event.request_id,
        organization_id=event.org_id,
        project_id=event.project_id,
        api_key_id=event.api_key_id,
        actor=event.actor,
        data=dict(event.data),
    )


@router.get("/audit-log", dependencies=[requires("audit:read")])
def list_audit_log(
    principal: CurrentPrincipal,
    session: DbSession,
    cursor: Annotated[str | None, Query(max_length=256)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    event_type: Annotated[str | None, Query(alias="eventType", max_length=64)] = None,
    project_id: Annotated[str | None, Query(alias="projectId", max_length=40)] = None,
    api_key_id: Annotated[str | None, Query(alias="apiKeyId", max_length=40)] = None,
    since: ZTime = None,
    until: ZTime = None,
) -> AuditEventList:
    """The organization's audit trail, newest first (keyset cursor on
    ``(occurredAt DESC, eventId ASC)``). A parent reads a child's with
    ``X-Layers-Organization``."""
    rows, next_cursor = service.page(
        session,
        org_id=principal.org_id,
        livemode=principal.livemode,
        cursor=cursor,
        limit=limit,
        event_type=event_type,
        project_id=project_id,
        api_key_id=api_key_id,
        since=_parse_z("since", since),
        until=_parse_z("until", until),
    )
    return AuditEventList(items=[to_out(r) for r in rows], next_cursor=next_cursor)
