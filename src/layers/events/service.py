"""Domain events: recorded in the transaction of the change they describe (the outbox).

`EVENT_TYPES` is the catalog partners subscribe to (§21 of the fact sheet, plus
``social_account.disconnected``). Whatever must happen *because* an event was recorded is a
listener plugged in by the composition root (`add_listener`): webhooks create their deliveries
and enqueue their workflows in the same transaction, so a delivery exists if and only if the
change committed. Nothing reads the log with a cursor over ids: ids are ULIDs taken from the
clock before commit, and transactions can commit out of that order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from layers.events.repository import for_subject
from layers.kit import clock
from layers.kit.ids import new_id
from layers.models.events import Event

EVENT_TYPES = frozenset(
    {
        "job.completed",
        "job.failed",
        "job.canceled",
        "content.generated",
        "content.approved",
        "content.rejected",
        "post.scheduled",
        "post.published",
        "post.failed",
        "post.canceled",
        "social_account.connected",
        "social_account.needs_reauth",
        "social_account.revoked",
        "social_account.disconnected",
        "social_account.temperature_changed",
        "lease_request.assigned",
        "lease_request.rejected",
        "test.ping",
        "ads.optimizer.run.completed",
        "approval.dispatched",
    }
)

Listener = Callable[[Session, Event], None]
_listeners: list[Listener] = []


def add_listener(listener: Listener) -> None:
    """Call `listener(session, event)` for every event recorded from now on, in the
    recording transaction (once per function: adding it again is a no-op)."""
    if listener not in _listeners:
        _listeners.append(listener)


# `for_subject` lives in `repository`; it is re-exported here for tests/social/helpers.py.
__all__ = ["EVENT_TYPES", "add_listener", "for_subject", "record"]


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
    for listener in _listeners:
        listener(session, event)
    return event
