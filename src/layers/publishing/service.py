"""The publish protocol: every path that publishes a scheduled post goes through `publish_post`.

Exactly once, by construction:

1. **Claim.** ``ready → posting`` with a conditional UPDATE that also records the claimant
   (a workflow id) and bumps ``claim_count``. One claimant wins; the others get
   ``not_claimed``. The same claimant calling again (DBOS recovering its workflow) resumes.
   Every later write is fenced on ``(status='posting', claim_count)``, so a claimant that lost
   its claim (it stalled and `dispatch_due` re-claimed the post) can no longer change it.
2. **Settle first.** A run begins with the post's latest publish attempt: one that is still
   ``started`` (the process died around the call) or ``unknown`` (a timeout after sending) or
   accepted-but-processing is resolved by `Publisher.lookup`, never by posting again.
3. **Gates,** before any platform call: the account is gone (the post is canceled) or
   unhealthy (the post is held: back to ``ready`` with ``hold_reason``; a reconnect releases
   it); ``managed`` mode, or Instagram in manual posting mode → ``pending_manual``; TikTok in
   ``draft`` mode or manual posting mode → the creator's drafts inbox (status ``draft``); a
   publish diverted by the posting mode records why in ``last_error`` (`rules`); no
   publishable content → ``pending_manual``; the platform's posting quota (our own count of
   the last 24 hours against the documented cap, and Instagram's
   ``content_publishing_limit``) → held until it frees.
4. **Attempt recorded before the call.** A ``publish_attempts`` row is committed before the
   one call that can publish (and before each lookup).
5. **At most 3 quick attempts,** only where the platform cannot have published (it refused
   the connection, answered 5xx before accepting, or a lookup proved the attempt did not
   publish), 1 s then 3 s apart. Exhausted → ``failed``. A permanent refusal →
   ``pending_manual``. An auth error refreshes the token once; a second one flags the account
   (``metadata.token_error``, unhealthy) and holds the post.
6. **Deferred outcomes.** When the platform has accepted but not settled (TikTok processing)
   or cannot tell yet, the post stays ``posting`` with ``retry_at``; `dispatch_due` re-claims it
   then and the new run settles it. After a day without an answer it goes to ``pending_manual``
   (``OUTCOME_UNKNOWN``) for a person to check; it is never posted again automatically.
7. Platform ids and URL are recorded with the final status, in the same transaction as the
   attempt's result and the ``post.published`` / ``post.failed`` event.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.events import service as events
from layers.kit import clock, durable
from layers.kit.db import get_database
from layers.kit.errors import ContentUnavailable
from layers.kit.ids import new_id
from layers.kit.settings import get_settings
from layers.models.projects import Project
from layers.models.publishing import PublishAttempt, ScheduledPost
from layers.models.social import SocialAccount
from layers.publishing import content as content_seam
from layers.publishing import rules
from layers.social import tokens
from layers.social.platforms import registry
from layers.social.platforms.base import (
    AccountRef,
    AuthFailed,
    Outcome,
    OutcomeUnknown,
    PlatformCallError,
    Publisher,
    PublishRequest,
    QuotaExceeded,
    RateLimited,
    Rejected,
    Unavailable,
)

log = logging.getLogger("layers.publishing")

T = TypeVar("T")

QUEUED_STATUSES = ("pending", "pending_assets", "ready")
DAILY_CAPS = {"tiktok": 15, "instagram": 100}  # documented posts per account per 24 hours
QUOTA_WINDOW = timedelta(hours=24)
STALE_CLAIM = timedelta(minutes=30)
GIVE_UP_AFTER = timedelta(hours=24)
PUBLISH_WORKFLOW = "publishing.publish"
DISPATCH_BATCH = 200


@dataclass
class Policy:
    """Timings of the protocol (tests shorten them)."""

    quick_attempts: int = 3
    backoff: tuple[float, ...] = (1.0, 3.0)
    status_polls: tuple[float, ...] = (0.0, 2.0, 4.0)
    first_check: timedelta = timedelta(seconds=30)
    max_check: timedelta = timedelta(minutes=10)
    max_inline_wait: float = 5.0
    token_retry: timedelta = timedelta(minutes=5)


policy = Policy()


@dataclass(frozen=True)
class PublishOutcome:
    """What one `publish_post` call did. ``status`` is the post's status afterwards;
    ``result`` says how it got there (``posted``, ``draft``, ``pending_manual``, ``failed``,
    ``held``, ``deferred``, ``canceled``, ``not_claimed``, ``not_found``)."""

    post_id: str
    status: str
    result: str
    platform_post_id: str | None = None
    platform_url: str | None = None
    error: dict[str, Any] | None = None
    hold_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "postId": self.post_id,
            "status": self.status,
            "result": self.result,
            "platformPostId": self.platform_post_id,
            "platformUrl": self.platform_url,
            "error": self.error,
            "holdReason": self.hold_reason,
        }


class LostClaim(Exception):
    """Another claimant owns the post now; this run stops without writing."""


@dataclass(frozen=True)
class _Claimed:
    post_id: str
    claim: int
    org_id: str
    livemode: bool
    project_id: str
    account_id: str
    mode: str
    options: dict[str, Any]


@dataclass
class _AttemptView:
    id: str
    number: int
    status: str
    draft: bool
    ref: dict[str, Any]
    publish_id: str | None
    post_id: str | None
    started_at: datetime


def _error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message[:1000], "at": clock.isoformat_z(clock.now()), **extra}


def _platform_error(exc: PlatformCallError) -> dict[str, Any]:
    return _error(exc.code, exc.message, platformCode=exc.platform_code, httpStatus=exc.http_status)


# ---- the entry point ----


def publish_post(post_id: str, *, claimant: str | None = None) -> PublishOutcome:
    """Publish one scheduled post through the protocol; safe to call concurrently and again
    after a crash (pass the same `claimant` to resume, e.g. the calling workflow's id)."""
    claimant = claimant or f"direct:{uuid.uuid4().hex}"
    claimed = _claim(post_id, claimant)
    if isinstance(claimed, PublishOutcome):
        return claimed
    try:
        return _Run(claimed).go()
    except LostClaim:
        with get_database().transaction(write=False) as session:
            post = session.get(ScheduledPost, post_id)
            status = post.status if post is not None else "unknown"
        return PublishOutcome(post_id, status, "not_claimed")


def _claim(post_id: str, claimant: str) -> _Claimed | PublishOutcome:
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
        return _Claimed(
            post_id=post.id,
            claim=post.claim_count,
            org_id=post.org_id,
            livemode=post.livemode,
            project_id=post.project_id,
            account_id=post.social_account_id,
            mode=post.mode,
            options=dict(post.platform_options or {}),
        )


class _Run:
    """One claimant's run over one post."""

    def __init__(self, claimed: _Claimed) -> None:
        self.c = claimed
        self.quick_left = policy.quick_attempts
        self.refreshed = False
        self.token: tokens.AccessToken | None = None
        self.platform = ""
        self.account = AccountRef(claimed.account_id, "", None)
        self.publisher: Publisher | None = None

    # ---- fenced writes ----

    def _fenced(self, session: Session, **values: Any) -> None:
        now = clock.now()
        result = session.execute(
            sa.update(ScheduledPost)
            .where(
                ScheduledPost.id == self.c.post_id,
                ScheduledPost.status == "posting",
                ScheduledPost.claim_count == self.c.claim,
            )
            .values(updated_at=now, **values)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise LostClaim(self.c.post_id)

    def _event(self, session: Session, type_: str, data: dict[str, Any]) -> None:
        events.record(
            session,
            type_,
            org_id=self.c.org_id,
            livemode=self.c.livemode,
            project_id=self.c.project_id,
            subject_id=self.c.post_id,
            data={
                "scheduledPostId": self.c.post_id,
                "socialAccountId": self.c.account_id,
                "platform": self.platform,
                **data,
            },
        )

    def _attempt_done(self, session: Session, attempt_id: str, status: str, **values: Any) -> None:
        session.execute(
            sa.update(PublishAttempt)
            .where(PublishAttempt.id == attempt_id)
            .values(status=status, finished_at=clock.now(), **values)
        )

    def _record_attempt(
        self, kind: str, operation: str, ref: dict[str, Any], *, draft: bool
    ) -> _AttemptView:
        """Commit the attempt row (fenced on the claim) before the platform call."""
        now = clock.now()
        with get_database().transaction() as session:
            self._fenced(session, attempt_count=ScheduledPost.attempt_count + 1)
            number = (
                session.scalar(
                    sa.select(sa.func.max(PublishAttempt.number)).where(
                        PublishAttempt.scheduled_post_id == self.c.post_id
                    )
                )
                or 0
            ) + 1
            attempt = PublishAttempt(
                id=new_id("pat", now),
                org_id=self.c.org_id,
                livemode=self.c.livemode,
                scheduled_post_id=self.c.post_id,
                social_account_id=self.c.account_id,
                platform=self.platform,
                number=number,
                claim=self.c.claim,
                kind=kind,
                operation=operation,
                draft=draft,
                status="started",
                ref=ref,
                started_at=now,
            )
            session.add(attempt)
        return _AttemptView(attempt.id, number, "started", draft, ref, None, None, now)

    def _mark_attempt(self, attempt: _AttemptView, status: str, **values: Any) -> None:
        with get_database().transaction() as session:
            self._fenced(session)
            self._attempt_done(session, attempt.id, status, **values)

    # ---- final states ----

    def _finish(
        self,
        status: str,
        result: str,
        *,
        attempt: _AttemptView | None = None,
        attempt_status: str | None = None,
        outcome: Outcome | None = None,
        error: dict[str, Any] | None = None,
    ) -> PublishOutcome:
        now = clock.now()
        values: dict[str, Any] = {
            "status": status,
            "hold_reason": None,
            "retry_at": None,
            "last_error": error,
        }
        if outcome is not None:
            values.update(
                platform_publish_id=outcome.publish_id,
                platform_post_id=outcome.post_id,
                platform_url=outcome.url,
            )
        if status in ("posted", "draft"):
            values["posted_at"] = now
        reason = None
        if status == "draft" and error is None and self.c.mode == "publish":
            # A publish that went to the drafts inbox: the post records why.
            reason = rules.sent_to_drafts(self.platform).error(clock.isoformat_z(now))
            values["last_error"] = reason
        if status == "canceled":
            values["canceled_at"] = now
        with get_database().transaction() as session:
            if outcome is not None and outcome.publish_id is None:
                # Keep an earlier publish id (a TikTok publish settled by a later lookup).
                values.pop("platform_publish_id")
            self._fenced(session, **values)
            if attempt is not None:
                extra = {"error": error} if error is not None else {}
                self._attempt_done(
                    session,
                    attempt.id,
                    attempt_status or ("accepted" if status in ("posted", "draft") else "failed"),
                    platform_publish_id=outcome.publish_id if outcome else None,
                    platform_post_id=outcome.post_id if outcome else None,
                    **extra,
                )
            if status in ("posted", "draft"):
                self._event(
                    session,
                    "post.published",
                    {
                        "status": status,
                        "platformPostId": outcome.post_id if outcome else None,
                        "platformUrl": outcome.url if outcome else None,
                        **({"reason": reason} if reason else {}),
                    },
                )
            elif status in ("failed", "pending_manual"):
                self._event(session, "post.failed", {"status": status, "error": error})
        log.info("post %s → %s (%s)", self.c.post_id, status, result)
        return PublishOutcome(
            self.c.post_id,
            status,
            result,
            platform_post_id=outcome.post_id if outcome else None,
            platform_url=outcome.url if outcome else None,
            error=error or reason,
        )

    def _release(
        self, reason: str, *, retry_at: datetime | None, error: dict[str, Any] | None = None
    ) -> PublishOutcome:
        """Hold: back to ``ready`` (nothing left unsettled), tried again at `retry_at` (or when
        the hold is released, e.g. by a reconnect)."""
        with get_database().transaction() as session:
            self._fenced(
                session,
                status="ready",
                hold_reason=reason,
                retry_at=retry_at,
                claimed_by=None,
                last_error=error,
            )
        log.info("post %s held: %s", self.c.post_id, reason)
        return PublishOutcome(self.c.post_id, "ready", "held", error=error, hold_reason=reason)

    def _defer(
        self, reason: str, retry_at: datetime, error: dict[str, Any] | None = None
    ) -> PublishOutcome:
        """Stay ``posting`` (something is unsettled) and be looked at again at `retry_at`."""
        with get_database().transaction() as session:
            self._fenced(session, hold_reason=reason, retry_at=retry_at, last_error=error)
        log.info("post %s deferred until %s: %s", self.c.post_id, retry_at, reason)
        return PublishOutcome(
            self.c.post_id, "posting", "deferred", error=error, hold_reason=reason
        )

    # ---- tokens ----

    def _token(self) -> tokens.AccessToken:
        if self.token is None:
            self.token = tokens.access_token(self.c.account_id)
        return self.token

    def _after_auth_error(self, exc: AuthFailed) -> None:
        """The platform refused the token: refresh once per run; the second time, flag."""
        if self.refreshed or self.token is None:
            tokens.mark_needs_reauth(self.c.account_id, "CREDENTIAL_INVALID", exc.message)
            raise tokens.TokenUnavailable("CREDENTIAL_INVALID", exc.message, needs_reauth=True)
        self.refreshed = True
        self.token = tokens.refresh(self.c.account_id, stale_generation=self.token.generation)

    def _call(self, fn: Callable[[Any], T]) -> T:
        """A call that cannot publish, retried once after an auth error."""
        while True:
            try:
                return fn(self._token().value)
            except AuthFailed as exc:
                self._after_auth_error(exc)

    def _token_hold(
        self, exc: tokens.TokenUnavailable, attempt: _AttemptView | None = None
    ) -> PublishOutcome:
        error = _error(exc.reason, exc.message)
        reason = "account_unhealthy" if exc.needs_reauth else "token_unavailable"
        retry_at = None if exc.needs_reauth else clock.now() + policy.token_retry
        if exc.reason == "ACCOUNT_DISCONNECTED" and attempt is None:
            return self._finish("canceled", "canceled", error=error)
        if attempt is not None:
            # Something may be live on the platform: stay posting until it is settled.
            return self._defer(reason, retry_at or clock.now() + policy.max_check, error)
        return self._release(reason, retry_at=retry_at, error=error)

    # ---- the run ----

    def go(self) -> PublishOutcome:
        posting_mode, healthy = "manual", False
        with get_database().transaction(write=False) as session:
            account = session.get(SocialAccount, self.c.account_id)
            latest = self._latest_attempt(session)
            if account is None or account.status == "disconnected":
                gone = True
            else:
                gone = False
                self.platform = account.platform
                self.account = AccountRef(account.id, account.platform_account_id, account.handle)
                posting_mode = account.posting_mode
                healthy = account.healthy and account.status == "connected"
        if gone:
            unsettled = latest is not None and latest.status in ("started", "unknown", "accepted")
            if unsettled and latest and clock.now() - latest.started_at >= GIVE_UP_AFTER:
                return self._finish(
                    "pending_manual",
                    "pending_manual",
                    attempt=latest,
                    attempt_status="unknown",
                    error=_error(
                        "OUTCOME_UNKNOWN",
                        "The account was disconnected before the platform confirmed whether "
                        "this post was published; check it before publishing again.",
                    ),
                )
            if unsettled:
                return self._defer(
                    "account_disconnected",
                    clock.now() + GIVE_UP_AFTER,
                    _error("ACCOUNT_DISCONNECTED", "The account was disconnected mid-publish."),
                )
            return self._finish(
                "canceled",
                "canceled",
                error=_error("ACCOUNT_DISCONNECTED", "The social account was disconnected."),
            )
        self.publisher = registry.publisher(self.platform, self.c.livemode)
        try:
            if latest is not None and latest.status in ("started", "unknown", "accepted"):
                return self._settle(latest)
            if not healthy:
                return self._release(
                    "account_unhealthy",
                    retry_at=None,
                    error=_error("ACCOUNT_NEEDS_REAUTH", "The account must be reconnected."),
                )
            return self._publish(posting_mode)
        except tokens.TokenUnavailable as exc:
            return self._token_hold(exc)

    def _latest_attempt(self, session: Session) -> _AttemptView | None:
        row = session.scalar(
            sa.select(PublishAttempt)
            .where(
                PublishAttempt.scheduled_post_id == self.c.post_id,
                PublishAttempt.kind == "publish",
            )
            .order_by(PublishAttempt.number.desc())
            .limit(1)
        )
        if row is None:
            return None
        return _AttemptView(
            row.id,
            row.number,
            row.status,
            row.draft,
            dict(row.ref or {}),
            row.platform_publish_id,
            row.platform_post_id,
            row.started_at,
        )

    def _publish(self, posting_mode: str) -> PublishOutcome:
        mode = self.c.mode
        if mode == "managed":
            return self._finish(
                "pending_manual",
                "pending_manual",
                error=_error(
                    "MANAGED_UNAVAILABLE", "No managed-distribution provider is connected."
                ),
            )
        diverted = rules.diversion(self.platform, posting_mode, mode, applied=True)
        if diverted is not None and diverted.outcome == "pending_manual":
            return self._finish(
                "pending_manual",
                "pending_manual",
                error=diverted.error(clock.isoformat_z(clock.now())),
            )
        draft = mode == "draft" or diverted is not None
        cap = None if draft else DAILY_CAPS.get(self.platform)
        now = clock.now()
        try:
            with get_database().transaction(write=False) as session:
                post = session.get(ScheduledPost, self.c.post_id)
                assert post is not None
                publishable = content_seam.resolve(session, post)
                frees_at = self._local_quota(session, cap, now) if cap else None
        except ContentUnavailable as exc:
            return self._finish(
                "pending_manual", "pending_manual", error=_error(exc.code, exc.message)
            )
        if frees_at is not None:
            return self._release(
                "platform_quota",
                retry_at=frees_at,
                error=_error(
                    "PLATFORM_QUOTA_EXCEEDED",
                    f"{self.platform} allows {cap} posts per account per 24 hours.",
                ),
            )
        held = self._remote_quota(now)
        if held is not None:
            return held
        return self._attempts(PublishRequest(publishable, draft=draft, options=self.c.options))

    def _local_quota(self, session: Session, cap: int, now: datetime) -> datetime | None:
        """When the account's own count of the last 24 hours reaches `cap`: the moment it
        frees up (the cap-th most recent post leaves the window); else None."""
        counted = sa.and_(
            PublishAttempt.social_account_id == self.c.account_id,
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

    def _remote_quota(self, now: datetime) -> PublishOutcome | None:
        assert self.publisher is not None
        publisher = self.publisher
        try:
            quota = self._call(lambda token: publisher.quota(token, self.account))
        except (Unavailable, RateLimited, OutcomeUnknown, Rejected):
            return None  # the platform will enforce its own limit on the publish call
        if quota.remaining is not None and quota.remaining <= 0:
            return self._release(
                "platform_quota",
                retry_at=quota.retry_at or now + timedelta(hours=1),
                error=_error(
                    "PLATFORM_QUOTA_EXCEEDED",
                    f"The {self.platform} posting quota ({quota.total}) is used up.",
                ),
            )
        return None

    def _attempts(self, request: PublishRequest) -> PublishOutcome:
        assert self.publisher is not None
        publisher = self.publisher
        last_error: dict[str, Any] | None = None
        while self.quick_left > 0:
            self.quick_left -= 1
            try:
                prepared = self._call(lambda token: publisher.prepare(token, self.account, request))
            except (Unavailable, OutcomeUnknown) as exc:
                last_error = _platform_error(exc)
                self._backoff()
                continue
            except PlatformCallError as exc:
                return self._refused(exc)
            attempt = self._record_attempt(
                "publish", prepared.operation, prepared.ref, draft=request.draft
            )
            try:
                outcome = publisher.commit(self._token().value, self.account, prepared)
            except OutcomeUnknown as exc:
                self._mark_attempt(attempt, "unknown", error=_platform_error(exc))
                attempt.status = "unknown"
                return self._settle(attempt)
            except AuthFailed as exc:
                self._mark_attempt(attempt, "failed", error=_platform_error(exc))
                self.quick_left += 1  # the refresh-once retry is not a quick attempt
                self._after_auth_error(exc)
                continue
            except Unavailable as exc:
                last_error = _platform_error(exc)
                self._mark_attempt(attempt, "failed", error=last_error)
                self._backoff()
                continue
            except PlatformCallError as exc:
                self._mark_attempt(attempt, "failed", error=_platform_error(exc))
                return self._refused(exc)
            return self._accepted(attempt, outcome)
        return self._finish(
            "failed",
            "failed",
            error=last_error or _error("PLATFORM_UNAVAILABLE", f"{self.platform} is unavailable."),
        )

    def _backoff(self) -> None:
        done = policy.quick_attempts - self.quick_left - 1
        if self.quick_left > 0 and done < len(policy.backoff):
            time.sleep(policy.backoff[done])

    def _refused(self, exc: PlatformCallError) -> PublishOutcome:
        """A definite refusal: nothing was published."""
        now = clock.now()
        if isinstance(exc, QuotaExceeded):
            return self._release(
                "platform_quota",
                retry_at=exc.retry_at or now + timedelta(hours=1),
                error=_platform_error(exc),
            )
        if isinstance(exc, RateLimited):
            return self._release(
                "rate_limited",
                retry_at=now + timedelta(seconds=max(exc.retry_after, 1.0)),
                error=_platform_error(exc),
            )
        return self._finish("pending_manual", "pending_manual", error=_platform_error(exc))

    def _accepted(self, attempt: _AttemptView, outcome: Outcome) -> PublishOutcome:
        if outcome.state == "published":
            if outcome.url is None and outcome.post_id:
                outcome = self._with_url(attempt, outcome)
            return self._finish("posted", "posted", attempt=attempt, outcome=outcome)
        if outcome.state == "inbox":
            return self._finish("draft", "draft", attempt=attempt, outcome=outcome)
        if outcome.state == "processing" and outcome.publish_id:
            with get_database().transaction() as session:
                self._fenced(session, platform_publish_id=outcome.publish_id)
                self._attempt_done(
                    session, attempt.id, "accepted", platform_publish_id=outcome.publish_id
                )
            attempt.status, attempt.publish_id = "accepted", outcome.publish_id
            return self._poll(attempt)
        self._mark_attempt(attempt, "unknown")
        attempt.status = "unknown"
        return self._settle(attempt)

    def _ask(self, attempt: _AttemptView, publish_id: str | None, post_id: str | None) -> Outcome:
        """The platform's word on `attempt` (a lookup: never publishes)."""
        assert self.publisher is not None
        publisher = self.publisher
        return self._call(
            lambda token: publisher.lookup(
                token,
                self.account,
                attempt.ref,
                publish_id=publish_id,
                post_id=post_id,
                since=attempt.started_at,
            )
        )

    def _with_url(self, attempt: _AttemptView, outcome: Outcome) -> Outcome:
        try:
            found = self._ask(attempt, outcome.publish_id, outcome.post_id)
        except (PlatformCallError, tokens.TokenUnavailable):
            return outcome  # the post is live either way; the URL is a nicety
        return Outcome(
            state="published",
            publish_id=outcome.publish_id,
            post_id=outcome.post_id,
            url=found.url,
        )

    def _poll(self, attempt: _AttemptView) -> PublishOutcome:
        """Quick status checks after the platform accepted, then defer."""
        for delay in policy.status_polls:
            if delay:
                time.sleep(delay)
            result = self._lookup(attempt)
            if result is None or result.state not in ("processing", "unknown"):
                break
        return self._conclude(attempt, result)

    def _lookup(self, attempt: _AttemptView) -> Outcome | None:
        """One lookup, recorded as its own attempt row; None when the platform did not answer."""
        ref = {"attemptId": attempt.id, "publishId": attempt.publish_id}
        row = self._record_attempt("lookup", "lookup", ref, draft=attempt.draft)
        try:
            found = self._ask(attempt, attempt.publish_id, attempt.post_id)
        except PlatformCallError as exc:
            self._mark_attempt(row, "failed", error=_platform_error(exc))
            return None
        except tokens.TokenUnavailable as exc:
            # No token to ask with: the outcome stays unknown and is looked at again later.
            self._mark_attempt(row, "failed", error=_error(exc.reason, exc.message))
            return None
        self._mark_attempt(
            row, "accepted", platform_publish_id=found.publish_id, platform_post_id=found.post_id
        )
        return found

    def _settle(self, attempt: _AttemptView) -> PublishOutcome:
        """Resolve an attempt whose outcome is not known yet: ask, never post again."""
        return self._conclude(attempt, self._lookup(attempt))

    def _conclude(self, attempt: _AttemptView, found: Outcome | None) -> PublishOutcome:
        if found is not None and found.publish_id is None and attempt.publish_id:
            found = replace(found, publish_id=attempt.publish_id)
        if found is not None and found.state == "published":
            return self._finish("posted", "posted", attempt=attempt, outcome=found)
        if found is not None and found.state == "inbox":
            return self._finish("draft", "draft", attempt=attempt, outcome=found)
        if found is not None and found.state in ("failed", "not_published"):
            # Provably not published: the attempt is over; a new one may follow.
            error = _error(
                "PLATFORM_PUBLISH_FAILED" if found.state == "failed" else "NOT_PUBLISHED",
                f"{self.platform} did not publish it ({found.failure or found.state}).",
                platformCode=found.failure,
            )
            self._mark_attempt(attempt, "failed", error=error)
            if found.state == "failed" and found.failure == "auth_removed":
                tokens.mark_needs_reauth(self.c.account_id, "AUTH_REMOVED", error["message"])
                return self._release("account_unhealthy", retry_at=None, error=error)
            if found.state == "failed" and not found.retryable:
                if found.failure in ("spam_risk_too_many_posts", "reached_active_user_cap"):
                    return self._release(
                        "platform_quota", retry_at=clock.now() + timedelta(hours=1), error=error
                    )
                return self._finish("pending_manual", "pending_manual", error=error)
            if self.quick_left <= 0:
                return self._finish("failed", "failed", error=error)
            self._backoff()
            return self._retry_after_settled()
        # Processing, or nobody can tell yet.
        age = clock.now() - attempt.started_at
        if age >= GIVE_UP_AFTER:
            error = _error(
                "OUTCOME_UNKNOWN",
                f"{self.platform} has not confirmed whether this post was published; "
                "check the account before publishing it again.",
            )
            return self._finish(
                "pending_manual", "pending_manual", attempt=attempt, attempt_status="unknown",
                error=error,
            )  # fmt: skip
        reason = (
            "awaiting_platform"
            if found is not None and found.state == "processing"
            else "outcome_unknown"
        )
        return self._defer(reason, clock.now() + self._check_delay(attempt))

    def _check_delay(self, attempt: _AttemptView) -> timedelta:
        with get_database().transaction(write=False) as session:
            lookups = session.scalar(
                sa.select(sa.func.count())
                .select_from(PublishAttempt)
                .where(
                    PublishAttempt.scheduled_post_id == self.c.post_id,
                    PublishAttempt.kind == "lookup",
                    PublishAttempt.started_at >= attempt.started_at,
                )
            )
        steps = max(0, int(lookups or 0) - len(policy.status_polls))
        delay: timedelta = policy.first_check * (2 ** min(steps, 16))
        return min(delay, policy.max_check)

    def _retry_after_settled(self) -> PublishOutcome:
        with get_database().transaction(write=False) as session:
            account = session.get(SocialAccount, self.c.account_id)
            posting_mode = account.posting_mode if account is not None else "manual"
        return self._publish(posting_mode)


# ---- dispatch ----


@dataclass(frozen=True)
class DispatchReport:
    claimed: list[str] = field(default_factory=list)
    reclaimed: list[str] = field(default_factory=list)
    held: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"claimed": self.claimed, "reclaimed": self.reclaimed, "held": self.held}


@dataclass(frozen=True)
class PublishInput:
    """The input of the ``publishing.publish`` workflow."""

    post_id: str


def workflow_id(post_id: str, claim: int) -> str:
    """One workflow per post and claim: two dispatchers can never start the same one twice."""
    return f"publish:{post_id}:{claim}"


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
        claim = seen + 1
        wf = workflow_id(post_id, claim)
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
                claim_count=claim,
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


def _healthy_account() -> sa.ColumnElement[bool]:
    return sa.and_(SocialAccount.status == "connected", SocialAccount.healthy.is_(True))


def claim_ready(
    session: Session, now: datetime, where: sa.ColumnElement[bool], *, limit: int
) -> tuple[list[str], int]:
    """In `session`: hold the due ``ready`` posts matching `where` whose account is unhealthy
    (``hold_reason='account_unhealthy'``, visible, released by a reconnect), then claim the
    others (healthy account, active project, ``retry_at`` reached) earliest first and enqueue
    one publish workflow each. Returns the claimed post ids and how many were newly held.

    The one claim path of every dispatcher: `dispatch_due` (partner posts) and the Social
    Distribution layer's process-due (its slots) differ only in `where`."""
    healthy_account = _healthy_account()
    unhealthy = sa.select(SocialAccount.id).where(sa.not_(healthy_account))
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
    due = session.execute(
        sa.select(ScheduledPost.id, ScheduledPost.claim_count)
        .join(SocialAccount, SocialAccount.id == ScheduledPost.social_account_id)
        .join(Project, Project.id == ScheduledPost.project_id)
        .where(
            ScheduledPost.status == "ready",
            where,
            ScheduledPost.scheduled_at <= now,
            sa.or_(ScheduledPost.retry_at.is_(None), ScheduledPost.retry_at <= now),
            healthy_account,
            Project.status == "active",
        )
        .order_by(ScheduledPost.scheduled_at, ScheduledPost.id)
        .limit(limit)
    ).all()
    claimed: list[str] = []
    _claim_and_enqueue(session, [(r[0], r[1]) for r in due], "ready", now, claimed)
    return claimed, int(held or 0)


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


# ---- cancellation and holds (called by other domains) ----


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
            ScheduledPost.hold_reason.in_(("account_unhealthy", "token_unavailable")),
        )
        .values(hold_reason=None, retry_at=None, updated_at=now)
    ).rowcount  # type: ignore[attr-defined]
    session.execute(
        sa.update(ScheduledPost)
        .where(
            ScheduledPost.social_account_id == account_id,
            ScheduledPost.status == "posting",
            ScheduledPost.hold_reason.in_(("account_unhealthy", "token_unavailable")),
        )
        .values(retry_at=now, updated_at=now)
    )
    return int(released or 0)
