"""recover-overdue: ready and failed posts that missed their window move into the layer's
next empty slots (their id, content and history kept; the empty slot row goes)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from layers.catalog.social_distribution import repository
from layers.kit import clock
from layers.kit.db import get_database
from layers.models.content import ContentContainer
from layers.models.engine import ProjectLayer
from layers.models.publishing import ScheduledPost
from layers.publishing.scheduling import service as scheduling

OVERDUE_GRACE = timedelta(minutes=10)


class _NoEmptySlot(Exception):
    """No empty slot is left for an overdue post."""


class _LostRace(Exception):
    """The post changed since it was read: its move is undone."""


def has_overdue(session: Session, layer: ProjectLayer, now: datetime) -> bool:
    """recover-overdue's probe: a post missed its window and an empty slot can take it."""
    return repository.has_overdue_post(
        session, layer.id, now, now - OVERDUE_GRACE
    ) and repository.has_empty_slot(session, layer.id, now)


def recover(layer_id: str, *, limit: int = 500) -> dict[str, Any]:
    """recover-overdue: each ready or failed post that missed its window moves into the
    layer's next empty slot. Posts for which no empty slot is left stay where they are.

    Owns its transactions, one per post: each move (the empty slot deleted, the post moved
    into its time) commits on its own, so a post another writer changed meanwhile undoes only
    its own move, and the moves already made stay made.
    """
    now = clock.now()
    with get_database().transaction(write=False) as session:
        overdue = repository.overdue_post_ids(session, layer_id, now, now - OVERDUE_GRACE, limit)
    moved: list[dict[str, str]] = []
    for post_id in overdue:
        try:
            with get_database().transaction() as session:
                move = _move_into_next_slot(session, layer_id, post_id, now)
        except _NoEmptySlot:
            break
        except _LostRace:
            continue
        if move is not None:
            moved.append(move)
    return {"overdue": len(overdue), "moved": len(moved), "posts": moved[:50]}


def _move_into_next_slot(
    session: Session, layer_id: str, post_id: str, now: datetime
) -> dict[str, str] | None:
    """Move the post into the layer's earliest empty slot (None: nothing to move). Raises
    `_NoEmptySlot`, or `_LostRace` after the slot is deleted (the caller's transaction rolls
    the deletion back)."""
    post = session.get(ScheduledPost, post_id)
    if post is None or post.status not in ("ready", "failed"):
        return None
    slot = session.scalar(repository.earliest_empty_slot(layer_id, now))
    if slot is None:
        raise _NoEmptySlot
    container = session.get(ContentContainer, post.container_id or "")
    if container is None:
        return None
    new_status = scheduling.initial_post_status(container)
    previous = post.status  # the UPDATE below syncs `post`: keep what it was
    at, local = slot.scheduled_at, slot.local_time
    if not repository.delete_empty_slot(session, slot.id):
        return None
    session.expunge(slot)
    values = {
        "scheduled_at": at,
        "local_time": local,
        "status": new_status,
        "hold_reason": None,
        "retry_at": None,
        "last_error": None,
        "updated_at": now,
    }
    if not repository.move_post(session, post.id, from_status=previous, values=values):
        raise _LostRace
    return {"scheduledPostId": post.id, "from": previous, "to": clock.isoformat_z(at)}
