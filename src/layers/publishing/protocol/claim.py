"""Claiming posts: ``ready → posting`` with a conditional UPDATE that records the claimant and
bumps ``claim_count``. One claimant wins; every later write of its run is fenced on
``(status='posting', claim_count)``.

`claim` is the direct claim of `publish_post` (the same claimant calling again resumes).
`claim_ready` is the one claim path of every dispatcher: `dispatch_due` (partner posts, every
dispatch tick) and the Social Distribution layer's process-due (its slots) differ only in `where`.
Each claims in the caller's transaction and enqueues one ``publishing.publish`` workflow per
post in it, with the id ``publish:{post}:{claim}``: two dispatchers never start the same
publish twice, and a claim without its workflow cannot be committed.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit import clock, durable
from layers.kit.db import get_database
from layers.kit.settings import get_settings
from layers.models.projects import Project
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount
from layers.publishing.protocol.base import (
    DISPATCH_BATCH,
    PUBLISH_WORKFLOW,
    STALE_CLAIM,
    Claimed,
    DispatchReport,
    PublishInput,
    PublishOutcome,
    workflow_id,
)
from layers.publishing.protocol.holds import (
    healthy_account,
    hold_suspended,
    hold_unhealthy,
    operating_org,
)

log = logging.getLogger("layers.publishing")


def claim(post_id: str, claimant: str) -> Claimed | PublishOutcome:
    """Claim one ``ready`` post for `claimant` (its own transaction), or resume the claim it
    already holds; a `PublishOutcome` (``not_found``, ``not_claimed``) when it cannot."""
    now = clock.now()
    with get_database().transaction() as session:
        claimed = session.execute(
            sa.update(ScheduledPost)
            .where(ScheduledPost.id == post_id, ScheduledPost.status == "ready")
            .values(
                status="posting",
                claimed_by=claimant,
                claimed_at=now,
                claim_count=ScheduledPost.claim_count + 1,
                hold_reason=None,
                retry_at=None,
                updated_at=now,
            )
        )
        post = session.get(ScheduledPost, post_id)
        if post is None:
            return PublishOutcome(post_id, "unknown", "not_found")
        if not claimed.rowcount:  # type: ignore[attr-defined]
            session.refresh(post)
            if post.status != "posting" or post.claimed_by != claimant:
                return PublishOutcome(post_id, post.status, "not_claimed")
        return Claimed(
            post_id=post.id,
            claim=post.claim_count,
            org_id=post.org_id,
            livemode=post.livemode,
            project_id=post.project_id,
            account_id=post.social_account_id,
            mode=post.mode,
            options=dict(post.platform_options or {}),
        )


def _claim_and_enqueue(
    session: Session,
    rows: list[tuple[str, int]],
    status: str,
    now: datetime,
    into: list[str],
) -> None:
    """Claim each ``(post, claim_count seen)`` with a conditional UPDATE from `status` and
    enqueue its publish workflow in the same transaction (an UPDATE that matched nothing lost
    the race: another dispatcher has the post)."""
    settings = get_settings()
    for post_id, seen in rows:
        won_claim = seen + 1
        wf = workflow_id(post_id, won_claim)
        won = session.execute(
            sa.update(ScheduledPost)
            .where(
                ScheduledPost.id == post_id,
                ScheduledPost.status == status,
                ScheduledPost.claim_count == seen,
            )
            .values(
                status="posting",
                claimed_by=wf,
                claimed_at=now,
                claim_count=won_claim,
                retry_at=None,
                hold_reason=None,
                updated_at=now,
            )
        ).rowcount  # type: ignore[attr-defined]
        if won:
            durable.enqueue(
                session,
                settings,
                PUBLISH_WORKFLOW,
                PublishInput(post_id),
                workflow_id=wf,
                queue=durable.PUBLISHING.name,
            )
            into.append(post_id)


def claim_ready(
    session: Session, now: datetime, where: sa.ColumnElement[bool], *, limit: int
) -> tuple[list[str], int]:
    """In `session`: hold the due ``ready`` posts matching `where` whose account is unhealthy
    (``hold_reason='account_unhealthy'``, visible, released by a reconnect), then claim the
    others (healthy account, active project, ``retry_at`` reached) earliest first and enqueue
    one publish workflow each. Returns the claimed post ids and how many were newly held.

    The one claim path of every dispatcher: `dispatch_due` (partner posts) and the Social
    Distribution layer's process-due (its slots) differ only in `where`."""
    held = hold_unhealthy(session, now, where) + hold_suspended(session, now, where)
    due = session.execute(
        sa.select(ScheduledPost.id, ScheduledPost.claim_count)
        .join(SocialAccount, SocialAccount.id == ScheduledPost.social_account_id)
        .join(Project, Project.id == ScheduledPost.project_id)
        .where(
            ScheduledPost.status == "ready",
            where,
            ScheduledPost.scheduled_at <= now,
            sa.or_(ScheduledPost.retry_at.is_(None), ScheduledPost.retry_at <= now),
            healthy_account(),
            operating_org(),
            Project.status == "active",
        )
        .order_by(ScheduledPost.scheduled_at, ScheduledPost.id)
        .limit(limit)
    ).all()
    claimed: list[str] = []
    _claim_and_enqueue(session, [(r[0], r[1]) for r in due], "ready", now, claimed)
    return claimed, held


def dispatch_due(now: datetime | None = None, *, limit: int = DISPATCH_BATCH) -> DispatchReport:
    """Claim the due ``ready`` partner-scheduled posts (``origin='api'``) and start one durable
    publish workflow for each, in the claiming transaction. Also re-claims posts whose
    outcome is due for another look (``posting`` with ``retry_at`` reached, any origin) and
    posts whose claimant vanished (``posting`` for `STALE_CLAIM` without a ``retry_at``)."""
    now = now or clock.now()
    reclaimed: list[str] = []
    with get_database().transaction() as session:
        claimed, held = claim_ready(session, now, ScheduledPost.origin == "api", limit=limit)
        stuck = session.execute(
            sa.select(ScheduledPost.id, ScheduledPost.claim_count)
            .where(
                ScheduledPost.status == "posting",
                sa.or_(
                    ScheduledPost.retry_at <= now,
                    sa.and_(
                        ScheduledPost.retry_at.is_(None),
                        ScheduledPost.claimed_at < now - STALE_CLAIM,
                    ),
                ),
            )
            .order_by(ScheduledPost.id)
            .limit(limit)
        ).all()
        _claim_and_enqueue(session, [(r[0], r[1]) for r in stuck], "posting", now, reclaimed)
    if claimed or reclaimed:
        log.info("dispatched %d due posts, re-claimed %d", len(claimed), len(reclaimed))
    return DispatchReport(claimed, reclaimed, held)
