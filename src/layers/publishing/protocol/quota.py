"""Posting quotas, checked before the publishing call.

First our own count: the account's direct posts of the last 24 hours (attempts that published
or may have) against the platform's documented cap (`PlatformSpec.daily_post_cap`; drafts do
not count). Then, where the platform reports one (`PlatformSpec.reports_quota`: Instagram's
``content_publishing_limit``), its own figure. Either holds the post until the quota frees.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.models.publishing import PublishAttempt
from layers.publishing.protocol.base import QUOTA_WINDOW, PublishOutcome, error
from layers.publishing.protocol.run import Run
from layers.social.platforms.base import OutcomeUnknown, RateLimited, Rejected, Unavailable


def daily_cap(run: Run, *, draft: bool) -> int | None:
    """The documented cap that applies to this publish (none to a draft: the drafts inbox is
    not counted)."""
    return None if draft else run.spec.daily_post_cap


def frees_at(session: Session, account_id: str, cap: int, now: datetime) -> datetime | None:
    """When the account's own count of the last 24 hours reaches `cap`: the moment it frees
    up (the cap-th most recent post leaves the window); else None."""
    counted = sa.and_(
        PublishAttempt.social_account_id == account_id,
        PublishAttempt.kind == "publish",
        PublishAttempt.draft.is_(False),
        PublishAttempt.status.in_(("accepted", "started", "unknown")),
        PublishAttempt.started_at > now - QUOTA_WINDOW,
    )
    used = session.scalar(sa.select(sa.func.count()).select_from(PublishAttempt).where(counted))
    if (used or 0) < cap:
        return None
    oldest = session.scalar(
        sa.select(PublishAttempt.started_at)
        .where(counted)
        .order_by(PublishAttempt.started_at.desc())
        .offset(cap - 1)
        .limit(1)
    )
    return None if oldest is None else oldest + QUOTA_WINDOW


def hold_for_cap(run: Run, cap: int, retry_at: datetime) -> PublishOutcome:
    return run.release(
        "platform_quota",
        retry_at=retry_at,
        error=error(
            "PLATFORM_QUOTA_EXCEEDED",
            f"{run.platform} allows {cap} posts per account per 24 hours.",
        ),
    )


def remote_hold(run: Run, now: datetime) -> PublishOutcome | None:
    """Hold the post when the platform says its quota is used up; None to go on (also when
    it does not report one, or cannot answer now: it enforces its limit on the call)."""
    if not run.spec.reports_quota:
        return None
    publisher = run.publisher
    try:
        quota = run.call(lambda token: publisher.quota(token, run.account))
    except (Unavailable, RateLimited, OutcomeUnknown, Rejected):
        return None  # the platform will enforce its own limit on the publish call
    if quota.remaining is not None and quota.remaining <= 0:
        return run.release(
            "platform_quota",
            retry_at=quota.retry_at or now + timedelta(hours=1),
            error=error(
                "PLATFORM_QUOTA_EXCEEDED",
                f"The {run.platform} posting quota ({quota.total}) is used up.",
            ),
        )
    return None
