"""Queries over the event log. Every function takes the caller's session."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.models.events import Event


def for_subject(session: Session, subject_id: str, type_: str | None = None) -> list[Event]:
    """The events about `subject_id` (of `type_` when given), oldest first."""
    stmt = sa.select(Event).where(Event.subject_id == subject_id)
    if type_ is not None:
        stmt = stmt.where(Event.type == type_)
    return list(session.scalars(stmt.order_by(Event.id)))
