"""Settling attempts: what the platform answered, and what the post becomes.

An attempt whose outcome is not known yet (``started`` after a crash, ``unknown`` after a
timeout, accepted but still processing) is resolved by `Publisher.lookup`, recorded as an
attempt row of its own, never by publishing again. A lookup that proves the attempt did not
publish frees a quick attempt (`RETRY`); one that cannot tell defers the post (``posting``
with ``retry_at``, 30 s doubling to 10 minutes) until `GIVE_UP_AFTER`, when a person must
check (``pending_manual``, ``OUTCOME_UNKNOWN``).
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.db import get_database
from layers.models.publishing import PublishAttempt
from layers.publishing.protocol import base
from layers.publishing.protocol.base import (
    GIVE_UP_AFTER,
    RETRY,
    AttemptView,
    PublishOutcome,
    Retry,
    error,
    platform_error,
)
from layers.publishing.protocol.run import Run
from layers.social import tokens
from layers.social.platforms.base import Outcome, PlatformCallError


def latest_attempt(session: Session, post_id: str) -> AttemptView | None:
    """The post's latest publish attempt (lookups are attempts of their own, not counted)."""
    row = session.scalar(
        sa.select(PublishAttempt)
        .where(PublishAttempt.scheduled_post_id == post_id, PublishAttempt.kind == "publish")
        .order_by(PublishAttempt.number.desc())
        .limit(1)
    )
    if row is None:
        return None
    return AttemptView(
        row.id,
        row.number,
        row.status,
        row.draft,
        dict(row.ref or {}),
        row.platform_publish_id,
        row.platform_post_id,
        row.started_at,
    )


def accepted(run: Run, attempt: AttemptView, outcome: Outcome) -> PublishOutcome | Retry:
    """The platform answered the publishing call: published, in the drafts inbox, or accepted
    and still processing (quick status checks, then defer)."""
    if outcome.state == "published":
        if outcome.url is None and outcome.post_id:
            outcome = _with_url(run, attempt, outcome)
        return run.finish("posted", "posted", attempt=attempt, outcome=outcome)
    if outcome.state == "inbox":
        return run.finish("draft", "draft", attempt=attempt, outcome=outcome)
    if outcome.state == "processing" and outcome.publish_id:
        with get_database().transaction() as session:
            run.fenced(session, platform_publish_id=outcome.publish_id)
            run.attempt_done(
                session, attempt.id, "accepted", platform_publish_id=outcome.publish_id
            )
        attempt.status, attempt.publish_id = "accepted", outcome.publish_id
        return _poll(run, attempt)
    run.mark_attempt(attempt, "unknown")
    attempt.status = "unknown"
    return settle(run, attempt)


def settle(run: Run, attempt: AttemptView) -> PublishOutcome | Retry:
    """Resolve an attempt whose outcome is not known yet: ask, never post again."""
    return conclude(run, attempt, _lookup(run, attempt))


def _ask(run: Run, attempt: AttemptView, publish_id: str | None, post_id: str | None) -> Outcome:
    """The platform's word on `attempt` (a lookup: never publishes)."""
    publisher = run.publisher
    return run.call(
        lambda token: publisher.lookup(
            token,
            run.account,
            attempt.ref,
            publish_id=publish_id,
            post_id=post_id,
            since=attempt.started_at,
        )
    )


def _with_url(run: Run, attempt: AttemptView, outcome: Outcome) -> Outcome:
    try:
        found = _ask(run, attempt, outcome.publish_id, outcome.post_id)
    except (PlatformCallError, tokens.TokenUnavailable):
        return outcome  # the post is live either way; the URL is a nicety
    return Outcome(
        state="published",
        publish_id=outcome.publish_id,
        post_id=outcome.post_id,
        url=found.url,
    )


def _poll(run: Run, attempt: AttemptView) -> PublishOutcome | Retry:
    """Quick status checks after the platform accepted, then defer."""
    for delay in base.policy.status_polls:
        if delay:
            time.sleep(delay)
        result = _lookup(run, attempt)
        if result is None or result.state not in ("processing", "unknown"):
            break
    return conclude(run, attempt, result)


def _lookup(run: Run, attempt: AttemptView) -> Outcome | None:
    """One lookup, recorded as its own attempt row; None when the platform did not answer."""
    ref = {"attemptId": attempt.id, "publishId": attempt.publish_id}
    row = run.record_attempt("lookup", "lookup", ref, draft=attempt.draft)
    try:
        found = _ask(run, attempt, attempt.publish_id, attempt.post_id)
    except PlatformCallError as exc:
        run.mark_attempt(row, "failed", error=platform_error(exc))
        return None
    except tokens.TokenUnavailable as exc:
        # No token to ask with: the outcome stays unknown and is looked at again later.
        run.mark_attempt(row, "failed", error=error(exc.reason, exc.message))
        return None
    run.mark_attempt(
        row, "accepted", platform_publish_id=found.publish_id, platform_post_id=found.post_id
    )
    return found


def conclude(run: Run, attempt: AttemptView, found: Outcome | None) -> PublishOutcome | Retry:
    """What `found` (None: no answer) makes of `attempt` and its post."""
    if found is not None and found.publish_id is None and attempt.publish_id:
        found = replace(found, publish_id=attempt.publish_id)
    if found is not None and found.state == "published":
        return run.finish("posted", "posted", attempt=attempt, outcome=found)
    if found is not None and found.state == "inbox":
        return run.finish("draft", "draft", attempt=attempt, outcome=found)
    if found is not None and found.state in ("failed", "not_published"):
        return _not_published(run, attempt, found)
    # Processing, or nobody can tell yet.
    age = clock.now() - attempt.started_at
    if age >= GIVE_UP_AFTER:
        unknown = error(
            "OUTCOME_UNKNOWN",
            f"{run.platform} has not confirmed whether this post was published; "
            "check the account before publishing it again.",
        )
        return run.finish(
            "pending_manual",
            "pending_manual",
            attempt=attempt,
            attempt_status="unknown",
            error=unknown,
        )
    processing = found is not None and found.state == "processing"
    reason = "awaiting_platform" if processing else "outcome_unknown"
    return run.defer(reason, clock.now() + _check_delay(run, attempt))


def _not_published(run: Run, attempt: AttemptView, found: Outcome) -> PublishOutcome | Retry:
    """Provably not published: the attempt is over; a new one may follow."""
    failed = error(
        "PLATFORM_PUBLISH_FAILED" if found.state == "failed" else "NOT_PUBLISHED",
        f"{run.platform} did not publish it ({found.failure or found.state}).",
        platformCode=found.failure,
    )
    run.mark_attempt(attempt, "failed", error=failed)
    if found.state == "failed" and found.failure in run.spec.reauth_failures:
        tokens.mark_needs_reauth(run.c.account_id, "AUTH_REMOVED", failed["message"])
        return run.release("account_unhealthy", retry_at=None, error=failed)
    if found.state == "failed" and not found.retryable:
        if found.failure in run.spec.quota_failures:
            return run.release(
                "platform_quota", retry_at=clock.now() + timedelta(hours=1), error=failed
            )
        return run.finish("pending_manual", "pending_manual", error=failed)
    if run.quick_left <= 0:
        return run.finish("failed", "failed", error=failed)
    run.backoff()
    return RETRY


def _check_delay(run: Run, attempt: AttemptView) -> timedelta:
    """30 s after the quick polls, doubling with each lookup, at most `Policy.max_check`."""
    with get_database().transaction(write=False) as session:
        lookups = session.scalar(
            sa.select(sa.func.count())
            .select_from(PublishAttempt)
            .where(
                PublishAttempt.scheduled_post_id == run.c.post_id,
                PublishAttempt.kind == "lookup",
                PublishAttempt.started_at >= attempt.started_at,
            )
        )
    steps = max(0, int(lookups or 0) - len(base.policy.status_polls))
    delay: timedelta = base.policy.first_check * (2 ** min(steps, 16))
    return min(delay, base.policy.max_check)
