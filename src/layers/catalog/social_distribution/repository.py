"""Queries over a distribution layer's slots and the content that may fill them.

Slot rows are ``scheduled_posts`` with ``origin='slot'`` and the layer's id; an empty slot is
``status='pending'`` with no container. Every function takes the caller's session and never
commits.

Race-freedom:

* claiming a slot takes the earliest empty one with ONE conditional UPDATE whose target is
  chosen by a sub-select (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent claimers pick
  different rows; SQLite serializes writers). An UPDATE that matched nothing lost a race.
* planning inserts slots with ``INSERT … ON CONFLICT DO NOTHING`` on (layer, scheduled_at),
  so two plans at once never duplicate a slot, and deletes only rows still empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from layers.kit.ids import new_id
from layers.kit.localtime import local_isoformat
from layers.models.content import ContentContainer
from layers.models.engine import ProjectLayer
from layers.models.projects import Influencer
from layers.models.publishing import ScheduledPost

ELIGIBLE_APPROVAL = ("not_required", "approved")  # content a slot may take
UPCOMING = ("pending", "pending_assets", "ready")  # a slot still to come
DELETE_CHUNK = 500


def other_layers_config(
    session: Session,
    project_id: str,
    template_id: str,
    statuses: Sequence[str],
    layer_id: str,
) -> list[tuple[str, dict[str, Any] | None]]:
    """``(id, config)`` of the project's other layers of `template_id` in one of `statuses`."""
    rows = session.execute(
        sa.select(ProjectLayer.id, ProjectLayer.config).where(
            ProjectLayer.project_id == project_id,
            ProjectLayer.template_id == template_id,
            ProjectLayer.status.in_(list(statuses)),
            ProjectLayer.id != layer_id,
        )
    ).all()
    return [(str(other_id), config) for other_id, config in rows]


# ---- empty slots ----


def empty_slot() -> sa.ColumnElement[bool]:
    return sa.and_(ScheduledPost.status == "pending", ScheduledPost.container_id.is_(None))


def earliest_empty_slot(
    layer_id: str, after: datetime, until: datetime | None = None
) -> sa.Select[ScheduledPost]:
    """The layer's earliest empty slot after `after` (and up to `until`), row-locked and
    skipped by concurrent lockers on PostgreSQL (SQLite has one writer anyway)."""
    window = [ScheduledPost.scheduled_at > after]
    if until is not None:
        window.append(ScheduledPost.scheduled_at <= until)
    return (
        sa.select(ScheduledPost)
        .where(ScheduledPost.layer_id == layer_id, empty_slot(), *window)
        .order_by(ScheduledPost.scheduled_at, ScheduledPost.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def has_empty_slot(session: Session, layer_id: str, now: datetime) -> bool:
    """Whether the layer has an empty slot after `now`."""
    return (
        session.scalar(
            sa.select(ScheduledPost.id)
            .where(
                ScheduledPost.layer_id == layer_id, empty_slot(), ScheduledPost.scheduled_at > now
            )
            .limit(1)
        )
        is not None
    )


def claim_earliest(
    session: Session, layer_id: str, container_id: str, status: str, now: datetime
) -> str | None:
    """ONE conditional UPDATE: the earliest empty future slot of the layer gets the content.
    Returns the slot's id, or None when this statement lost every candidate."""
    target = (
        earliest_empty_slot(layer_id, now).with_only_columns(ScheduledPost.id).scalar_subquery()
    )
    row = session.execute(
        sa.update(ScheduledPost)
        .where(ScheduledPost.id == target, empty_slot())
        .values(container_id=container_id, status=status, updated_at=now)
        .returning(ScheduledPost.id)
    ).first()
    return str(row[0]) if row is not None else None


def empty_slots(session: Session, layer_id: str) -> list[tuple[str, datetime, str]]:
    """``(id, scheduled at, social account id)`` of every empty slot of the layer."""
    rows = session.execute(
        sa.select(
            ScheduledPost.id, ScheduledPost.scheduled_at, ScheduledPost.social_account_id
        ).where(ScheduledPost.layer_id == layer_id, empty_slot())
    ).all()
    return [(post_id, at, account_id) for post_id, at, account_id in rows]


def delete_empty_slots(session: Session, slot_ids: Sequence[str]) -> int:
    """Delete those of `slot_ids` still empty; how many went."""
    removed = 0
    for start in range(0, len(slot_ids), DELETE_CHUNK):
        chunk = list(slot_ids[start : start + DELETE_CHUNK])
        removed += int(
            session.execute(
                sa.delete(ScheduledPost).where(ScheduledPost.id.in_(chunk), empty_slot())
            ).rowcount  # type: ignore[attr-defined]
            or 0
        )
    return removed


def insert_empty_slots(
    session: Session,
    layer: ProjectLayer,
    account_id: str,
    times: Sequence[datetime],
    zone: str,
    now: datetime,
) -> int:
    """An empty slot of the layer at each of `times` that has none yet; how many were new."""
    if not times:
        return 0
    rows = [
        {
            "id": new_id("sp"),
            "org_id": layer.org_id,
            "livemode": layer.livemode,
            "project_id": layer.project_id,
            "social_account_id": account_id,
            "layer_id": layer.id,
            "container_id": None,
            "origin": "slot",
            "mode": "publish",
            "status": "pending",
            "scheduled_at": at,
            "local_time": local_isoformat(at, zone),
            "attempt_count": 0,
            "claim_count": 0,
            "created_at": now,
            "updated_at": now,
        }
        for at in times
    ]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    inserted = session.execute(
        insert(ScheduledPost)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["layer_id", "scheduled_at"])
        .returning(ScheduledPost.id)
    ).all()
    return len(inserted)  # (the driver's rowcount is -1 for this statement on psycopg)


def upcoming_status_counts(
    session: Session, layer_id: str, after: datetime, until: datetime
) -> dict[str, int]:
    """How many of the layer's slots still to come in (after, until] are in each status."""
    rows = session.execute(
        sa.select(ScheduledPost.status, sa.func.count())
        .where(
            ScheduledPost.layer_id == layer_id,
            ScheduledPost.scheduled_at > after,
            ScheduledPost.scheduled_at <= until,
            ScheduledPost.status.in_(UPCOMING),
        )
        .group_by(ScheduledPost.status)
    ).all()
    return {status: int(count) for status, count in rows}


# ---- content for the slots ----


def eligible_container_ids(
    session: Session, project_id: str, account_id: str, limit: int
) -> list[str]:
    """Completed, approved (or ungated) content of the project, made for this account or for
    none, that no live post of the account holds yet: oldest first."""
    on_account = (
        sa.select(ScheduledPost.container_id)
        .where(
            ScheduledPost.social_account_id == account_id,
            ScheduledPost.container_id.is_not(None),
            ScheduledPost.status != "canceled",
        )
        .scalar_subquery()
    )
    return list(
        session.scalars(
            sa.select(ContentContainer.id)
            .where(
                ContentContainer.project_id == project_id,
                ContentContainer.status == "completed",
                ContentContainer.generation >= 1,
                ContentContainer.approval_status.in_(ELIGIBLE_APPROVAL),
                sa.or_(
                    ContentContainer.social_account_id.is_(None),
                    ContentContainer.social_account_id == account_id,
                ),
                ContentContainer.id.not_in(on_account),
            )
            .order_by(ContentContainer.completed_at, ContentContainer.id)
            .limit(limit)
        )
    )


def awaiting_review_count(session: Session, project_id: str, account_id: str) -> int:
    """The project's content waiting for review (not canceled or failed) that this account's
    slots could take once approved: made for this account or for none."""
    return int(
        session.scalar(
            sa.select(sa.func.count()).where(
                ContentContainer.project_id == project_id,
                ContentContainer.approval_status == "pending",
                ContentContainer.status.in_(("queued", "processing", "completed")),
                sa.or_(
                    ContentContainer.social_account_id.is_(None),
                    ContentContainer.social_account_id == account_id,
                ),
            )
        )
        or 0
    )


def live_post_of_container(
    session: Session, layer_id: str, container_id: str
) -> ScheduledPost | None:
    """The layer's post (not canceled) that holds the container, if any."""
    return session.scalar(
        sa.select(ScheduledPost).where(
            ScheduledPost.layer_id == layer_id,
            ScheduledPost.container_id == container_id,
            ScheduledPost.status != "canceled",
        )
    )


def oldest_ready_influencer(session: Session, project_id: str) -> str | None:
    """The id of the project's oldest ready influencer (not archived), if any."""
    return session.scalar(
        sa.select(Influencer.id)
        .where(
            Influencer.project_id == project_id,
            Influencer.status == "ready",
            Influencer.archived_at.is_(None),
        )
        .order_by(Influencer.id)
        .limit(1)
    )


# ---- due and overdue posts ----


def ready_to_go(now: datetime) -> sa.ColumnElement[bool]:
    """A ``ready`` post whose retry time has come and that no reconnect is holding."""
    return sa.and_(
        ScheduledPost.status == "ready",
        sa.or_(ScheduledPost.retry_at.is_(None), ScheduledPost.retry_at <= now),
        sa.or_(
            ScheduledPost.hold_reason.is_(None),
            ScheduledPost.hold_reason != "account_unhealthy",
        ),
    )


def has_due_post(session: Session, layer_id: str, now: datetime) -> bool:
    """Whether a slot of the layer is due and ready to go."""
    return (
        session.scalar(
            sa.select(ScheduledPost.id)
            .where(
                ScheduledPost.layer_id == layer_id,
                ScheduledPost.scheduled_at <= now,
                ready_to_go(now),
            )
            .limit(1)
        )
        is not None
    )


def _overdue(layer_id: str, now: datetime, missed_before: datetime) -> sa.ColumnElement[bool]:
    missed_ready = sa.and_(ScheduledPost.scheduled_at < missed_before, ready_to_go(now))
    failed = sa.and_(ScheduledPost.status == "failed", ScheduledPost.scheduled_at <= now)
    return sa.and_(
        ScheduledPost.layer_id == layer_id,
        ScheduledPost.container_id.is_not(None),
        sa.or_(missed_ready, failed),
    )


def has_overdue_post(
    session: Session, layer_id: str, now: datetime, missed_before: datetime
) -> bool:
    """Whether a post of the layer is overdue: ready but due before `missed_before`, or failed."""
    stmt = sa.select(ScheduledPost.id).where(_overdue(layer_id, now, missed_before)).limit(1)
    return session.scalar(stmt) is not None


def overdue_post_ids(
    session: Session, layer_id: str, now: datetime, missed_before: datetime, limit: int
) -> list[str]:
    """The layer's overdue posts (see `has_overdue_post`), earliest first."""
    return list(
        session.scalars(
            sa.select(ScheduledPost.id)
            .where(_overdue(layer_id, now, missed_before))
            .order_by(ScheduledPost.scheduled_at, ScheduledPost.id)
            .limit(limit)
        )
    )


def delete_empty_slot(session: Session, slot_id: str) -> bool:
    """Delete the slot if it is still empty; whether it went."""
    gone = session.execute(
        sa.delete(ScheduledPost).where(ScheduledPost.id == slot_id, empty_slot())
    ).rowcount  # type: ignore[attr-defined]
    return bool(gone)


def move_post(session: Session, post_id: str, *, from_status: str, values: dict[str, Any]) -> bool:
    """Set `values` on the post if it is still `from_status`; whether it was."""
    updated = session.execute(
        sa.update(ScheduledPost)
        .where(ScheduledPost.id == post_id, ScheduledPost.status == from_status)
        .values(**values)
    ).rowcount  # type: ignore[attr-defined]
    return bool(updated)
