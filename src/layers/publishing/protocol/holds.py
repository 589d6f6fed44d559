"""Holds on an account's posts: unhealthy accounts, disconnects and reconnects.

A due post of an unhealthy account is not claimed; it gets ``hold_reason='account_unhealthy'``
so the hold is visible, and a reconnect releases it (`release_account_holds`). A due post of a
suspended organization is held the same way (``organization_suspended``) and goes out at the
first dispatch after the organization resumes. Disconnecting
an account cancels its queued posts (`cancel_account_posts`), never one in flight. Social
calls the last two through `layers.social.hooks` (plugged in by `layers.wiring`).

Every function here works in the caller's session and never commits.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit import clock
from layers.models.orgs import Organization
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount
from layers.publishing.protocol.base import QUEUED_STATUSES

# Holds a reconnect lifts: the account's token was the trouble.
TOKEN_HOLDS = ("account_unhealthy", "token_unavailable")


def healthy_account() -> sa.ColumnElement[bool]:
    """The accounts whose posts may be claimed."""
    return sa.and_(SocialAccount.status == "connected", SocialAccount.healthy.is_(True))


def hold_unhealthy(session: Session, now: datetime, where: sa.ColumnElement[bool]) -> int:
    """Mark the due ``ready`` posts matching `where` whose account is unhealthy
    (``hold_reason='account_unhealthy'``); returns how many were newly held."""
    unhealthy = sa.select(SocialAccount.id).where(sa.not_(healthy_account()))
    held = session.execute(
        sa.update(ScheduledPost)
        .where(
            ScheduledPost.status == "ready",
            where,
            ScheduledPost.scheduled_at <= now,
            ScheduledPost.hold_reason.is_(None),
            ScheduledPost.social_account_id.in_(unhealthy),
        )
        .values(hold_reason="account_unhealthy", updated_at=now)
    ).rowcount  # type: ignore[attr-defined]
    return int(held or 0)


def operating_org() -> sa.ColumnElement[bool]:
    """The posts whose organization may publish (not suspended nor archived)."""
    return ScheduledPost.org_id.in_(
        sa.select(Organization.id).where(Organization.status == "active")
    )


def hold_suspended(session: Session, now: datetime, where: sa.ColumnElement[bool]) -> int:
    """Mark the due ``ready`` posts matching `where` of a suspended (or archived)
    organization (``hold_reason='organization_suspended'``); they are claimed again at the
    first dispatch after the organization resumes. Returns how many were newly held."""
    stopped = sa.select(Organization.id).where(Organization.status != "active")
    held = session.execute(
        sa.update(ScheduledPost)
        .where(
            ScheduledPost.status == "ready",
            where,
            ScheduledPost.scheduled_at <= now,
            sa.or_(
                ScheduledPost.hold_reason.is_(None),
                ScheduledPost.hold_reason != "organization_suspended",
            ),
            ScheduledPost.org_id.in_(stopped),
        )
        .values(hold_reason="organization_suspended", updated_at=now)
    ).rowcount  # type: ignore[attr-defined]
    return int(held or 0)


def cancel_account_posts(session: Session, account_id: str, *, reason: str) -> int:
    """Cancel the account's queued posts (not one in flight); returns how many."""
    now = clock.now()
    result = session.execute(
        sa.update(ScheduledPost)
        .where(
            ScheduledPost.social_account_id == account_id,
            ScheduledPost.status.in_(QUEUED_STATUSES),
        )
        .values(
            status="canceled", canceled_at=now, hold_reason=reason, retry_at=None, updated_at=now
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def release_account_holds(session: Session, account_id: str) -> int:
    """After a reconnect: posts held for the account's token go again at the next dispatch."""
    now = clock.now()
    released = session.execute(
        sa.update(ScheduledPost)
        .where(
            ScheduledPost.social_account_id == account_id,
            ScheduledPost.status == "ready",
            ScheduledPost.hold_reason.in_(TOKEN_HOLDS),
        )
        .values(hold_reason=None, retry_at=None, updated_at=now)
    ).rowcount  # type: ignore[attr-defined]
    session.execute(
        sa.update(ScheduledPost)
        .where(
            ScheduledPost.social_account_id == account_id,
            ScheduledPost.status == "posting",
            ScheduledPost.hold_reason.in_(TOKEN_HOLDS),
        )
        .values(retry_at=now, updated_at=now)
    )
    return int(released or 0)
