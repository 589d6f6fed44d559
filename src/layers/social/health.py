"""Account health: snapshots of token state and posting cadence, and the temperature.

Temperature (``cold | warm | hot``) drives how many slots the Social Distribution layer plans
a day (1, 2, 3). It is read from the account's latest snapshot; no snapshot means ``cold``.

A snapshot is taken when an account connects, when its token goes bad, and every 30 minutes by
the health sweep. Until platform insights (views, engagement) are collected, the score reads
what we know for certain, our own publishing record over the last 14 days:

* cadence: posts published per day, saturating at 3 (``min(posts / 14, 3) / 3``);
* reliability: published / (published + failed), 1 with no attempts;
* ``score = round(100 × cadence × (0.5 + 0.5 × reliability))``, 0 while the token is bad;
* ``hot`` at 60 and above, ``warm`` at 25 and above, else ``cold``.

So an account that keeps publishing warms up: one post a day scores 33 (warm, two slots),
two a day 67 (hot, three slots); failures and silence cool it down.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.ids import new_id
from layers.models.publishing import ScheduledPost
from layers.models.social import AccountHealthSnapshot, SocialAccount

WINDOW = timedelta(days=14)
HOT, WARM = 60, 25
RETENTION = timedelta(days=30)


def temperature_for(score: int) -> str:
    if score >= HOT:
        return "hot"
    if score >= WARM:
        return "warm"
    return "cold"


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
    return {
        "windowDays": WINDOW.days,
        "postsPublished": posted,
        "postsFailed": failed,
        "lastPublishedAt": clock.isoformat_z(last_posted) if last_posted else None,
        "tokenExpiresInSeconds": int((expires - now).total_seconds()) if expires else None,
    }


def score_of(metrics: dict[str, Any], healthy: bool) -> int:
    if not healthy:
        return 0
    posted, failed = int(metrics["postsPublished"]), int(metrics["postsFailed"])
    cadence = min(posted / WINDOW.days, 3.0) / 3.0
    reliability = posted / (posted + failed) if posted + failed else 1.0
    return round(100 * cadence * (0.5 + 0.5 * reliability))


def take_snapshot(
    session: Session, account: SocialAccount, *, reason: str
) -> AccountHealthSnapshot:
    now = clock.now()
    metrics = measure(session, account, now)
    healthy = bool(account.healthy) and account.status == "connected"
    score = score_of(metrics, healthy)
    snapshot = AccountHealthSnapshot(
        id=new_id("snap", now),
        org_id=account.org_id,
        livemode=account.livemode,
        social_account_id=account.id,
        taken_at=now,
        reason=reason,
        healthy=healthy,
        token_error=(account.meta or {}).get("token_error"),
        temperature=temperature_for(score),
        score=score,
        metrics=metrics,
    )
    session.add(snapshot)
    session.flush()
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
