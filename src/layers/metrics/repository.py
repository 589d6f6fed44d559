"""The metrics domain's queries: the sync schedule, snapshots, and what analytics reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.models.metrics import AccountMetricSnapshot, PostMetricSnapshot, PostMetricSync
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount

PUBLISHED = ("posted",)


def enroll(session: Session, now: datetime, window: timedelta) -> int:
    """Put every published post of the window that has a platform id on the sync schedule
    (due now); posts already on it are left as they are. Returns how many were added."""
    known = sa.select(PostMetricSync.scheduled_post_id).where(
        PostMetricSync.scheduled_post_id == ScheduledPost.id
    )
    fresh = (
        sa.select(
            ScheduledPost.id,
            ScheduledPost.org_id,
            ScheduledPost.livemode,
            ScheduledPost.project_id,
            ScheduledPost.social_account_id,
            SocialAccount.platform,
            ScheduledPost.posted_at,
            sa.literal(now, PostMetricSync.next_sync_at.type),
            sa.literal(0),
        )
        .join(SocialAccount, SocialAccount.id == ScheduledPost.social_account_id)
        .where(
            ScheduledPost.status.in_(PUBLISHED),
            ScheduledPost.platform_post_id.is_not(None),
            ScheduledPost.posted_at >= now - window,
            ~sa.exists(known),
        )
    )
    result = session.execute(
        sa.insert(PostMetricSync).from_select(
            [
                "scheduled_post_id",
                "org_id",
                "livemode",
                "project_id",
                "social_account_id",
                "platform",
                "posted_at",
                "next_sync_at",
                "syncs",
            ],
            fresh,
        )
    )
    return max(0, result.rowcount or 0)  # type: ignore[attr-defined]


def due_accounts(session: Session, now: datetime, limit: int) -> list[str]:
    rows = session.scalars(
        sa.select(PostMetricSync.social_account_id)
        .where(PostMetricSync.next_sync_at <= now)
        .group_by(PostMetricSync.social_account_id)
        .order_by(sa.func.min(PostMetricSync.next_sync_at))
        .limit(limit)
    )
    return list(rows)


@dataclass(frozen=True)
class DuePost:
    post_id: str
    platform_post_id: str
    posted_at: datetime
    container_id: str | None
    layer_id: str | None
    project_id: str


def due_posts(session: Session, account_id: str, now: datetime, limit: int) -> list[DuePost]:
    rows = session.execute(
        sa.select(
            ScheduledPost.id,
            ScheduledPost.platform_post_id,
            PostMetricSync.posted_at,
            ScheduledPost.container_id,
            ScheduledPost.layer_id,
            ScheduledPost.project_id,
        )
        .join(ScheduledPost, ScheduledPost.id == PostMetricSync.scheduled_post_id)
        .where(
            PostMetricSync.social_account_id == account_id,
            PostMetricSync.next_sync_at <= now,
        )
        .order_by(PostMetricSync.next_sync_at, PostMetricSync.scheduled_post_id)
        .limit(limit)
    ).all()
    return [DuePost(str(r[0]), str(r[1]), r[2], r[3], r[4], str(r[5])) for r in rows]


def reschedule(
    session: Session,
    post_ids: Sequence[str],
    *,
    next_sync_at: datetime | None,
    synced_at: datetime | None = None,
    error: dict[str, object] | None = None,
) -> None:
    if not post_ids:
        return
    values: dict[str, object] = {"next_sync_at": next_sync_at, "last_error": error}
    if synced_at is not None:
        values["last_synced_at"] = synced_at
        values["syncs"] = PostMetricSync.syncs + 1
    session.execute(
        sa.update(PostMetricSync)
        .where(PostMetricSync.scheduled_post_id.in_(list(post_ids)))
        .values(**values)
    )


def last_account_snapshot_at(session: Session, account_id: str) -> datetime | None:
    return session.scalar(
        sa.select(sa.func.max(AccountMetricSnapshot.captured_at)).where(
            AccountMetricSnapshot.social_account_id == account_id
        )
    )


def latest_post_counters(
    session: Session, post_ids: Sequence[str]
) -> dict[str, PostMetricSnapshot]:
    """The newest snapshot of each post of `post_ids` that has one."""
    if not post_ids:
        return {}
    newest = (
        sa.select(
            PostMetricSnapshot.scheduled_post_id,
            sa.func.max(PostMetricSnapshot.captured_at).label("at"),
        )
        .where(PostMetricSnapshot.scheduled_post_id.in_(list(post_ids)))
        .group_by(PostMetricSnapshot.scheduled_post_id)
        .subquery()
    )
    rows = session.scalars(
        sa.select(PostMetricSnapshot).join(
            newest,
            sa.and_(
                newest.c.scheduled_post_id == PostMetricSnapshot.scheduled_post_id,
                newest.c.at == PostMetricSnapshot.captured_at,
            ),
        )
    )
    return {row.scheduled_post_id: row for row in rows}
