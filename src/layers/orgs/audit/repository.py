"""Queries over the audit log. Every function takes the caller's session and never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.models.audit import AuditEvent


def page(
    session: Session,
    *,
    org_id: str,
    livemode: bool,
    after: tuple[datetime, str] | None,
    limit: int,
    event_type: str | None = None,
    project_id: str | None = None,
    api_key_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Sequence[AuditEvent]:
    """Up to `limit` rows, newest first on ``(occurred_at DESC, id ASC)``, after the keyset
    position `after` (the last row of the previous page)."""
    stmt = sa.select(AuditEvent).where(AuditEvent.org_id == org_id, AuditEvent.livemode == livemode)
    if event_type is not None:
        stmt = stmt.where(AuditEvent.event_type == event_type)
    if project_id is not None:
        stmt = stmt.where(AuditEvent.project_id == project_id)
    if api_key_id is not None:
        stmt = stmt.where(AuditEvent.api_key_id == api_key_id)
    if since is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.occurred_at < until)
    if after is not None:
        at, last_id = after
        stmt = stmt.where(
            sa.or_(
                AuditEvent.occurred_at < at,
                sa.and_(AuditEvent.occurred_at == at, AuditEvent.id > last_id),
            )
        )
    stmt = stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.asc()).limit(limit)
    return list(session.scalars(stmt))


def purge_before(session: Session, cutoff: datetime) -> int:
    """Delete the rows that occurred before `cutoff`; returns how many went."""
    result = session.execute(sa.delete(AuditEvent).where(AuditEvent.occurred_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
