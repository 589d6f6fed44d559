"""The entry point: `publish_post` claims a post and runs the protocol over it.

A run settles first (the post's latest attempt, if it may have published), then passes the
gates before any platform call: the account is gone (canceled) or unhealthy (held); ``managed``
mode or a diversion by the account's posting mode (`layers.publishing.rules`: the platform's
manual outcome, ``draft`` or ``pending_manual``); no publishable content (``pending_manual``);
the posting quota (`quota`: held until it frees). Then `call.attempts` publishes.
"""

from __future__ import annotations

import uuid

from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.errors import ContentUnavailable
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount
from layers.publishing import content as content_seam
from layers.publishing import rules
from layers.publishing.protocol import call, quota, settle
from layers.publishing.protocol.base import (
    GIVE_UP_AFTER,
    UNSETTLED,
    AttemptView,
    LostClaim,
    PublishOutcome,
    Retry,
    error,
)
from layers.publishing.protocol.claim import claim
from layers.publishing.protocol.run import Run
from layers.social import tokens
from layers.social.platforms import registry
from layers.social.platforms.base import AccountRef, PublishRequest


def publish_post(post_id: str, *, claimant: str | None = None) -> PublishOutcome:
    """Publish one scheduled post through the protocol; safe to call concurrently and again
    after a crash (pass the same `claimant` to resume, e.g. the calling workflow's id)."""
    claimant = claimant or f"direct:{uuid.uuid4().hex}"
    claimed = claim(post_id, claimant)
    if isinstance(claimed, PublishOutcome):
        return claimed
    try:
        return _run(Run(claimed))
    except LostClaim:
        with get_database().transaction(write=False) as session:
            post = session.get(ScheduledPost, post_id)
            status = post.status if post is not None else "unknown"
        return PublishOutcome(post_id, status, "not_claimed")


def _run(run: Run) -> PublishOutcome:
    ref: AccountRef | None = None
    platform, posting_mode, healthy = "", "manual", False
    with get_database().transaction(write=False) as session:
        account = session.get(SocialAccount, run.c.account_id)
        latest = settle.latest_attempt(session, run.c.post_id)
        if account is not None and account.status != "disconnected":
            ref = AccountRef(account.id, account.platform_account_id, account.handle)
            platform, posting_mode = account.platform, account.posting_mode
            healthy = account.healthy and account.status == "connected"
    unsettled = latest if latest is not None and latest.status in UNSETTLED else None
    if ref is None:
        return _account_gone(run, unsettled)
    run.connect(ref, registry.spec(platform), registry.publisher(platform, run.c.livemode))
    try:
        if unsettled is not None:
            result = settle.settle(run, unsettled)
        elif not healthy:
            return run.release(
                "account_unhealthy",
                retry_at=None,
                error=error("ACCOUNT_NEEDS_REAUTH", "The account must be reconnected."),
            )
        else:
            result = _publish(run, posting_mode)
        while isinstance(result, Retry):  # a settled attempt did not publish: publish again
            result = _publish(run, _posting_mode(run))
        return result
    except tokens.TokenUnavailable as exc:
        return run.token_hold(exc)


def _account_gone(run: Run, unsettled: AttemptView | None) -> PublishOutcome:
    """The account was disconnected or deleted: cancel the post, unless an attempt may have
    published (then wait for it to settle, and after a day leave it to a person)."""
    if unsettled is not None and clock.now() - unsettled.started_at >= GIVE_UP_AFTER:
        return run.finish(
            "pending_manual",
            "pending_manual",
            attempt=unsettled,
            attempt_status="unknown",
            error=error(
                "OUTCOME_UNKNOWN",
                "The account was disconnected before the platform confirmed whether "
                "this post was published; check it before publishing again.",
            ),
        )
    if unsettled is not None:
        return run.defer(
            "account_disconnected",
            clock.now() + GIVE_UP_AFTER,
            error("ACCOUNT_DISCONNECTED", "The account was disconnected mid-publish."),
        )
    return run.finish(
        "canceled",
        "canceled",
        error=error("ACCOUNT_DISCONNECTED", "The social account was disconnected."),
    )


def _posting_mode(run: Run) -> str:
    with get_database().transaction(write=False) as session:
        account = session.get(SocialAccount, run.c.account_id)
        return account.posting_mode if account is not None else "manual"


def _publish(run: Run, posting_mode: str) -> PublishOutcome | Retry:
    """The gates, then the publishing call."""
    mode = run.c.mode
    if mode == "managed":
        return run.finish(
            "pending_manual",
            "pending_manual",
            error=error("MANAGED_UNAVAILABLE", "No managed-distribution provider is connected."),
        )
    diverted = rules.diversion(run.platform, posting_mode, mode, applied=True)
    if diverted is not None and diverted.outcome == "pending_manual":
        return run.finish(
            "pending_manual",
            "pending_manual",
            error=diverted.error(clock.isoformat_z(clock.now())),
        )
    draft = mode == "draft" or diverted is not None
    cap = quota.daily_cap(run, draft=draft)
    now = clock.now()
    try:
        with get_database().transaction(write=False) as session:
            post = session.get(ScheduledPost, run.c.post_id)
            assert post is not None
            publishable = content_seam.resolve(session, post)
            frees_at = quota.frees_at(session, run.c.account_id, cap, now) if cap else None
    except ContentUnavailable as exc:
        return run.finish("pending_manual", "pending_manual", error=error(exc.code, exc.message))
    if cap and frees_at is not None:
        return quota.hold_for_cap(run, cap, frees_at)
    held = quota.remote_hold(run, now)
    if held is not None:
        return held
    return call.attempts(run, PublishRequest(publishable, draft=draft, options=run.c.options))
