"""Account health: snapshots of token state, posting record and engagement, and the
temperature.

Temperature (``cold | warm | hot``) drives how many slots the Social Distribution layer plans
a day (1, 2, 3). It is read from the account's latest snapshot; no snapshot means ``cold``.

A snapshot is taken when an account connects, when its token goes bad, every 30 minutes by
the health sweep, and after each metrics sync of the account. Over the last 14 days it reads:

* cadence ``c = min(posts / 14, 3) / 3`` (posts published a day, saturating at 3);
* reliability ``r = published / (published + failed)`` (1 with no attempts);
* streak ``s = min(days in a row with a post, ending today or yesterday, 7) / 7``;
* engagement, once metrics have been read back for its posts (``layers.metrics``):
  ``e = min(1, log10(1 + views a post) / 4) × (0.5 + 0.5 × min(1, engagement rate / 0.08))``
  (10,000 views a post and 8 % engagement are full marks).

``score = round(100 × r × (0.35 c + 0.25 s + 0.4 e))`` with metrics, and the posting record
alone without them, ``round(100 × c × (0.5 + 0.5 r))``; 0 while the token is bad.

``hot`` from 60, ``warm`` from 25, with **hysteresis**: an account moves up only once its score
clears the threshold by 5 (warm at 30, hot at 65) and down only once it falls 5 below it
(below 55 a hot account is warm, below 20 a warm one is cold), so a score hovering at a
threshold does not flap between two plans. A change of temperature records a
``social_account.temperature_changed`` event and asks the account's automatic layers to
re-plan (`layers.social.hooks.temperature_changed`).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.events import service as events
from layers.kit import clock
from layers.kit.ids import new_id
from layers.models.metrics import PostMetricSnapshot
from layers.models.publishing import ScheduledPost
from layers.models.social import AccountHealthSnapshot, SocialAccount
from layers.social import hooks

WINDOW = timedelta(days=14)
HOT, WARM = 60, 25
HYSTERESIS = 5
RETENTION = timedelta(days=30)
STREAK_FULL = 7
ORDER = ("cold", "warm", "hot")


def temperature_for(score: int, previous: str | None = None) -> str:
    """The temperature of `score`; with the `previous` one, moving only past the margin."""
    plain = "hot" if score >= HOT else "warm" if score >= WARM else "cold"
    if previous not in ORDER or previous == plain:
        return plain
    up = ORDER.index(plain) > ORDER.index(str(previous))
    margin = HYSTERESIS if up else -HYSTERESIS
    return "hot" if score >= HOT + margin else "warm" if score >= WARM + margin else "cold"


def measure(session: Session, account: SocialAccount, now: datetime) -> dict[str, Any]:
    since = now - WINDOW
    posted = session.scalar(
        sa.select(sa.func.count())
        .select_from(ScheduledPost)
        .where(
            ScheduledPost.social_account_id == account.id,
            ScheduledPost.status.in_(("posted", "draft")),
            ScheduledPost.posted_at >= since,
        )
    )
    failed = session.scalar(
        sa.select(sa.func.count())
        .select_from(ScheduledPost)
        .where(
            ScheduledPost.social_account_id == account.id,
            ScheduledPost.status.in_(("failed", "pending_manual")),
            ScheduledPost.attempt_count > 0,
            ScheduledPost.updated_at >= since,
        )
    )
    last_posted = session.scalar(
        sa.select(sa.func.max(ScheduledPost.posted_at)).where(
            ScheduledPost.social_account_id == account.id
        )
    )
    posted, failed = int(posted or 0), int(failed or 0)
    expires = account.token_expires_at
    measured: dict[str, Any] = {
        "windowDays": WINDOW.days,
        "postsPublished": posted,
        "postsFailed": failed,
        "streakDays": _streak(session, account.id, now),
        "lastPublishedAt": clock.isoformat_z(last_posted) if last_posted else None,
        "tokenExpiresInSeconds": int((expires - now).total_seconds()) if expires else None,
    }
    measured.update(_engagement(session, account.id, since))
    return measured


def _streak(session: Session, account_id: str, now: datetime) -> int:
    """Days in a row (UTC) with a published post, ending today or yesterday."""
    times = session.scalars(
        sa.select(ScheduledPost.posted_at).where(
            ScheduledPost.social_account_id == account_id,
            ScheduledPost.status.in_(("posted", "draft")),
            ScheduledPost.posted_at >= now - timedelta(days=STREAK_FULL + 1),
        )
    )
    days = {at.date() for at in times if at is not None}
    day = now.date() if now.date() in days else now.date() - timedelta(days=1)
    streak = 0
    while day in days and streak < STREAK_FULL:
        streak += 1
        day -= timedelta(days=1)
    return streak


def _engagement(session: Session, account_id: str, since: datetime) -> dict[str, Any]:
    """Views and engagement of the window's posts, from their latest metrics snapshots."""
    newest = (
        sa.select(sa.func.max(PostMetricSnapshot.id))
        .join(ScheduledPost, ScheduledPost.id == PostMetricSnapshot.scheduled_post_id)
        .where(
            PostMetricSnapshot.social_account_id == account_id,
            ScheduledPost.posted_at >= since,
        )
        .group_by(PostMetricSnapshot.scheduled_post_id)
    )
    row = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(PostMetricSnapshot.views), 0),
            sa.func.coalesce(
                sa.func.sum(
                    PostMetricSnapshot.likes
                    + PostMetricSnapshot.comments
                    + PostMetricSnapshot.shares
                    + PostMetricSnapshot.saves
                ),
                0,
            ),
        ).where(PostMetricSnapshot.id.in_(newest))
    ).one()
    measured_posts, views, engaged = int(row[0]), int(row[1]), int(row[2])
    return {
        "postsMeasured": measured_posts,
        "views": views,
        "engagementRate": round(engaged / views, 4) if views else None,
    }


def score_of(metrics: dict[str, Any], healthy: bool) -> int:
    if not healthy:
        return 0
    posted, failed = int(metrics["postsPublished"]), int(metrics["postsFailed"])
    cadence = min(posted / WINDOW.days, 3.0) / 3.0
    reliability = posted / (posted + failed) if posted + failed else 1.0
    measured = int(metrics.get("postsMeasured") or 0)
    if not measured:
        return round(100 * cadence * (0.5 + 0.5 * reliability))
    streak = min(int(metrics.get("streakDays") or 0), STREAK_FULL) / STREAK_FULL
    per_post = int(metrics.get("views") or 0) / measured
    rate = float(metrics.get("engagementRate") or 0.0)
    engagement = min(1.0, math.log10(1 + per_post) / 4) * (0.5 + 0.5 * min(1.0, rate / 0.08))
    return round(100 * reliability * (0.35 * cadence + 0.25 * streak + 0.4 * engagement))


def take_snapshot(
    session: Session, account: SocialAccount, *, reason: str
) -> AccountHealthSnapshot:
    # One snapshot of an account at a time (the sweep, a metrics sync and a reconnect may
    # race): each compares itself with the one before, so a change is recorded exactly once.
    session.execute(
        sa.select(SocialAccount.id).where(SocialAccount.id == account.id).with_for_update()
    )
    now = clock.now()
    metrics = measure(session, account, now)
    healthy = bool(account.healthy) and account.status == "connected"
    score = score_of(metrics, healthy)
    before = latest(session, account.id)
    previous = before.temperature if before is not None else "cold"
    snapshot = AccountHealthSnapshot(
        id=new_id("snap", now),
        org_id=account.org_id,
        livemode=account.livemode,
        social_account_id=account.id,
        taken_at=now,
        reason=reason,
        healthy=healthy,
        token_error=(account.meta or {}).get("token_error"),
        temperature=temperature_for(score, previous),
        score=score,
        metrics=metrics,
    )
    session.add(snapshot)
    session.flush()
    if snapshot.temperature != previous:
        events.record(
            session,
            "social_account.temperature_changed",
            org_id=account.org_id,
            livemode=account.livemode,
            project_id=account.project_id,
            subject_id=account.id,
            data={
                "socialAccountId": account.id,
                "from": previous,
                "to": snapshot.temperature,
                "score": score,
            },
        )
        hooks.temperature_changed(session, account.id)
    return snapshot


def latest(session: Session, account_id: str) -> AccountHealthSnapshot | None:
    return session.scalar(
        sa.select(AccountHealthSnapshot)
        .where(AccountHealthSnapshot.social_account_id == account_id)
        .order_by(AccountHealthSnapshot.id.desc())
        .limit(1)
    )


def temperature(session: Session, account_id: str) -> str:
    """The account's temperature: its latest snapshot's, ``cold`` without one."""
    snapshot = latest(session, account_id)
    return snapshot.temperature if snapshot is not None else "cold"


def purge(session: Session, now: datetime) -> int:
    """Drop snapshots older than `RETENTION` (each account keeps its latest)."""
    keep = (
        sa.select(sa.func.max(AccountHealthSnapshot.id))
        .group_by(AccountHealthSnapshot.social_account_id)
        .scalar_subquery()
    )
    result = session.execute(
        sa.delete(AccountHealthSnapshot).where(
            AccountHealthSnapshot.taken_at < now - RETENTION,
            AccountHealthSnapshot.id.not_in(keep),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def history(session: Session, account_id: str, since: datetime) -> list[AccountHealthSnapshot]:
    """The account's snapshots since `since`, oldest first (its temperature over time)."""
    return list(
        session.scalars(
            sa.select(AccountHealthSnapshot)
            .where(
                AccountHealthSnapshot.social_account_id == account_id,
                AccountHealthSnapshot.taken_at >= since,
            )
            .order_by(AccountHealthSnapshot.taken_at, AccountHealthSnapshot.id)
        )
    )
