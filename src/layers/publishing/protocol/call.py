"""The publishing call: `Publisher.prepare` (calls that cannot publish), the attempt row
committed, then `Publisher.commit` (the one call that can).

At most `Policy.quick_attempts`, and only where the platform cannot have published: it could
not be reached or answered 5xx before accepting (`Unavailable`). An unknown outcome (a timeout
after sending) is settled, never retried blindly; a definite refusal holds the post (quota,
rate limit) or leaves it to a person. An auth error refreshes the token once; that retry is
not a quick attempt.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from layers.kit import clock
from layers.publishing.protocol import settle
from layers.publishing.protocol.base import PublishOutcome, Retry, error, platform_error
from layers.publishing.protocol.run import Run
from layers.social.platforms.base import (
    AuthFailed,
    OutcomeUnknown,
    PlatformCallError,
    PublishRequest,
    QuotaExceeded,
    RateLimited,
    Unavailable,
)


def attempts(run: Run, request: PublishRequest) -> PublishOutcome | Retry:
    """Publish `request`: quick attempts until one is accepted, settled or refused."""
    publisher = run.publisher
    last_error: dict[str, Any] | None = None
    while run.quick_left > 0:
        run.quick_left -= 1
        try:
            prepared = run.call(lambda token: publisher.prepare(token, run.account, request))
        except (Unavailable, OutcomeUnknown) as exc:
            last_error = platform_error(exc)
            run.backoff()
            continue
        except PlatformCallError as exc:
            return refused(run, exc)
        attempt = run.record_attempt(
            "publish", prepared.operation, prepared.ref, draft=request.draft
        )
        try:
            outcome = publisher.commit(run.access().value, run.account, prepared)
        except OutcomeUnknown as exc:
            run.mark_attempt(attempt, "unknown", error=platform_error(exc))
            attempt.status = "unknown"
            return settle.settle(run, attempt)
        except AuthFailed as exc:
            run.mark_attempt(attempt, "failed", error=platform_error(exc))
            run.quick_left += 1  # the refresh-once retry is not a quick attempt
            run.after_auth_error(exc)
            continue
        except Unavailable as exc:
            last_error = platform_error(exc)
            run.mark_attempt(attempt, "failed", error=last_error)
            run.backoff()
            continue
        except PlatformCallError as exc:
            run.mark_attempt(attempt, "failed", error=platform_error(exc))
            return refused(run, exc)
        return settle.accepted(run, attempt, outcome)
    return run.finish(
        "failed",
        "failed",
        error=last_error or error("PLATFORM_UNAVAILABLE", f"{run.platform} is unavailable."),
    )


def refused(run: Run, exc: PlatformCallError) -> PublishOutcome:
    """A definite refusal: nothing was published."""
    now = clock.now()
    if isinstance(exc, QuotaExceeded):
        return run.release(
            "platform_quota",
            retry_at=exc.retry_at or now + timedelta(hours=1),
            error=platform_error(exc),
        )
    if isinstance(exc, RateLimited):
        return run.release(
            "rate_limited",
            retry_at=now + timedelta(seconds=max(exc.retry_after, 1.0)),
            error=platform_error(exc),
        )
    return run.finish("pending_manual", "pending_manual", error=platform_error(exc))
