"""One claimant's run over one post: what it knows, and every write it makes.

Each write is a transaction of its own, fenced on the claim: the protocol commits step by step
(the attempt row before the platform call, the result after it), and a claimant that lost its
claim (`LostClaim`) can no longer change the post. The other modules (`publish`, `call`,
`settle`, `quota`) are functions of a `Run`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.events import service as events
from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.ids import new_id
from layers.models.publishing import PublishAttempt, ScheduledPost
from layers.publishing import rules
from layers.publishing.protocol import base
from layers.publishing.protocol.base import AttemptView, Claimed, LostClaim, PublishOutcome
from layers.social import tokens
from layers.social.platforms.base import AccountRef, AuthFailed, Outcome, PlatformSpec, Publisher

log = logging.getLogger("layers.publishing")

T = TypeVar("T")


class Run:
    """The state of one run: the claim, the account and its publisher (once read), the token,
    and how many quick attempts are left."""

    def __init__(self, claimed: Claimed) -> None:
        self.c = claimed
        self.quick_left = base.policy.quick_attempts
        self.refreshed = False
        self.token: tokens.AccessToken | None = None
        self.platform = ""
        self.account = AccountRef(claimed.account_id, "", None)
        self._spec: PlatformSpec | None = None
        self._publisher: Publisher | None = None

    def connect(self, account: AccountRef, spec: PlatformSpec, publisher: Publisher) -> None:
        """The account is there: its platform's facts and publisher serve the rest of the run."""
        self.account, self.platform = account, spec.name
        self._spec, self._publisher = spec, publisher

    @property
    def spec(self) -> PlatformSpec:
        assert self._spec is not None, "the run has not read its account yet"
        return self._spec

    @property
    def publisher(self) -> Publisher:
        assert self._publisher is not None, "the run has not read its account yet"
        return self._publisher

    # ---- fenced writes (in the caller's session: none of these commits) ----

    def fenced(self, session: Session, **values: Any) -> None:
        """Update the post only while this run still holds its claim; else `LostClaim`."""
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

    def event(self, session: Session, type_: str, data: dict[str, Any]) -> None:
        post = session.get(ScheduledPost, self.c.post_id)
        events.record(
            session,
            type_,
            org_id=self.c.org_id,
            livemode=self.c.livemode,
            project_id=self.c.project_id,
            subject_id=self.c.post_id,
            data={
                "scheduledPostId": self.c.post_id,
                "containerId": post.container_id if post is not None else None,
                "socialAccountId": self.c.account_id,
                "platform": self.platform,
                **data,
            },
        )

    @staticmethod
    def attempt_done(session: Session, attempt_id: str, status: str, **values: Any) -> None:
        session.execute(
            sa.update(PublishAttempt)
            .where(PublishAttempt.id == attempt_id)
            .values(status=status, finished_at=clock.now(), **values)
        )

    # ---- attempts (each in a transaction of its own) ----

    def record_attempt(
        self, kind: str, operation: str, ref: dict[str, Any], *, draft: bool
    ) -> AttemptView:
        """Record a ``started`` attempt (fenced on the claim) and commit it before the platform
        call it stands for.

        This owns its session and commits, unlike the writes that take one: the row must be
        durable *before* the call that can publish (or the lookup) is made, so that a crash
        during or after the call leaves a ``started`` attempt behind, which the next run
        settles by `Publisher.lookup` instead of publishing again."""
        now = clock.now()
        with get_database().transaction() as session:
            self.fenced(session, attempt_count=ScheduledPost.attempt_count + 1)
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
        return AttemptView(attempt.id, number, "started", draft, ref, None, None, now)

    def mark_attempt(self, attempt: AttemptView, status: str, **values: Any) -> None:
        with get_database().transaction() as session:
            self.fenced(session)
            self.attempt_done(session, attempt.id, status, **values)

    # ---- final states ----

    def finish(
        self,
        status: str,
        result: str,
        *,
        attempt: AttemptView | None = None,
        attempt_status: str | None = None,
        outcome: Outcome | None = None,
        error: dict[str, Any] | None = None,
    ) -> PublishOutcome:
        """The post's final status, its platform ids, the attempt's result and the event, in
        one transaction."""
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
            self.fenced(session, **values)
            if attempt is not None:
                extra = {"error": error} if error is not None else {}
                self.attempt_done(
                    session,
                    attempt.id,
                    attempt_status or ("accepted" if status in ("posted", "draft") else "failed"),
                    platform_publish_id=outcome.publish_id if outcome else None,
                    platform_post_id=outcome.post_id if outcome else None,
                    **extra,
                )
            if status in ("posted", "draft"):
                self.event(
                    session,
                    "post.published",
                    {
                        "status": status,
                        "externalId": outcome.post_id if outcome else None,
                        "externalUrl": outcome.url if outcome else None,
                        "platformPostId": outcome.post_id if outcome else None,
                        "platformUrl": outcome.url if outcome else None,
                        **({"reason": reason} if reason else {}),
                    },
                )
            elif status in ("failed", "pending_manual"):
                self.event(session, "post.failed", {"status": status, "error": error})
        log.info("post %s → %s (%s)", self.c.post_id, status, result)
        return PublishOutcome(
            self.c.post_id,
            status,
            result,
            platform_post_id=outcome.post_id if outcome else None,
            platform_url=outcome.url if outcome else None,
            error=error or reason,
        )

    def release(
        self, reason: str, *, retry_at: datetime | None, error: dict[str, Any] | None = None
    ) -> PublishOutcome:
        """Hold: back to ``ready`` (nothing left unsettled), tried again at `retry_at` (or when
        the hold is released, e.g. by a reconnect)."""
        with get_database().transaction() as session:
            self.fenced(
                session,
                status="ready",
                hold_reason=reason,
                retry_at=retry_at,
                claimed_by=None,
                last_error=error,
            )
        log.info("post %s held: %s", self.c.post_id, reason)
        return PublishOutcome(self.c.post_id, "ready", "held", error=error, hold_reason=reason)

    def defer(
        self, reason: str, retry_at: datetime, error: dict[str, Any] | None = None
    ) -> PublishOutcome:
        """Stay ``posting`` (something is unsettled) and be looked at again at `retry_at`."""
        with get_database().transaction() as session:
            self.fenced(session, hold_reason=reason, retry_at=retry_at, last_error=error)
        log.info("post %s deferred until %s: %s", self.c.post_id, retry_at, reason)
        return PublishOutcome(
            self.c.post_id, "posting", "deferred", error=error, hold_reason=reason
        )

    # ---- tokens ----

    def access(self) -> tokens.AccessToken:
        """The account's access token (read once per run, refreshed once after an auth error)."""
        if self.token is None:
            self.token = tokens.access_token(self.c.account_id)
        return self.token

    def after_auth_error(self, exc: AuthFailed) -> None:
        """The platform refused the token: refresh once per run; the second time, flag."""
        if self.refreshed or self.token is None:
            tokens.mark_needs_reauth(self.c.account_id, "CREDENTIAL_INVALID", exc.message)
            raise tokens.TokenUnavailable("CREDENTIAL_INVALID", exc.message, needs_reauth=True)
        self.refreshed = True
        self.token = tokens.refresh(self.c.account_id, stale_generation=self.token.generation)

    def call(self, fn: Callable[[Any], T]) -> T:
        """A call that cannot publish, retried once after an auth error."""
        while True:
            try:
                return fn(self.access().value)
            except AuthFailed as exc:
                self.after_auth_error(exc)

    def token_hold(
        self, exc: tokens.TokenUnavailable, attempt: AttemptView | None = None
    ) -> PublishOutcome:
        """No usable token: hold the post (or cancel it, its account gone); with an attempt
        that may be live, stay ``posting`` until it is settled."""
        error = base.error(exc.reason, exc.message)
        reason = "account_unhealthy" if exc.needs_reauth else "token_unavailable"
        retry_at = None if exc.needs_reauth else clock.now() + base.policy.token_retry
        if exc.reason == "ACCOUNT_DISCONNECTED" and attempt is None:
            return self.finish("canceled", "canceled", error=error)
        if attempt is not None:
            # Something may be live on the platform: stay posting until it is settled.
            return self.defer(reason, retry_at or clock.now() + base.policy.max_check, error)
        return self.release(reason, retry_at=retry_at, error=error)

    # ---- quick attempts ----

    def backoff(self) -> None:
        """Wait before the next quick attempt (none after the last)."""
        done = base.policy.quick_attempts - self.quick_left - 1
        if self.quick_left > 0 and done < len(base.policy.backoff):
            time.sleep(base.policy.backoff[done])
