"""Domain events: recorded in the transaction of the change they describe.

Types written today: ``social_account.connected``, ``social_account.needs_reauth``,
``social_account.disconnected``, ``post.published``, ``post.failed``. A webhooks outbox reads
them in id order (ids are ULIDs, so id order is time order).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from layers.events.repository import for_subject
from layers.kit import clock
from layers.kit.ids import new_id
from layers.models.events import Event

EVENT_TYPES = frozenset(
    {
        "social_account.connected",
        "social_account.needs_reauth",
        "social_account.disconnected",
        "post.published",
        "post.failed",
    }
)

# `for_subject` lives in `repository`; it is re-exported here for tests/social/helpers.py.
__all__ = ["EVENT_TYPES", "for_subject", "record"]


def record(
    session: Session,
    type_: str,
    *,
    org_id: str,
    livemode: bool,
    project_id: str | None,
    subject_id: str | None,
    data: dict[str, Any],
) -> Event:
    assert type_ in EVENT_TYPES, type_
    now = clock.now()
    event = Event(
        id=new_id("evt", now),
        org_id=org_id,
        livemode=livemode,
        type=type_,
        project_id=project_id,
        subject_id=subject_id,
        data=data,
        created_at=now,
    )
    session.add(event)
    return event
