"""The protocol's vocabulary: its timings, what a run reports, and the records it passes on.

`policy` is read at call time (``base.policy.backoff``), so tests may replace it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from layers.kit import clock
from layers.social.platforms.base import PlatformCallError

QUEUED_STATUSES = ("pending", "pending_assets", "ready")
# An attempt in one of these may have published: a run settles it before anything else.
UNSETTLED = ("started", "unknown", "accepted")
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


class LostClaim(Exception):
    """Another claimant owns the post now; this run stops without writing."""


class Retry:
    """A settled attempt provably did not publish and quick attempts are left: publish again
    (through the gates: the account's posting mode and the content are read anew)."""


RETRY = Retry()


@dataclass(frozen=True)
class Claimed:
    """The post as its claimant won it; every write of the run is fenced on ``claim``."""

    post_id: str
    claim: int
    org_id: str
    livemode: bool
    project_id: str
    account_id: str
    mode: str
    options: dict[str, Any]


@dataclass
class AttemptView:
    """A ``publish_attempts`` row as the run tracks it."""

    id: str
    number: int
    status: str
    draft: bool
    ref: dict[str, Any]
    publish_id: str | None
    post_id: str | None
    started_at: datetime


def error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """A post's or attempt's ``last_error``/``error``."""
    return {"code": code, "message": message[:1000], "at": clock.isoformat_z(clock.now()), **extra}


def platform_error(exc: PlatformCallError) -> dict[str, Any]:
    return error(exc.code, exc.message, platformCode=exc.platform_code, httpStatus=exc.http_status)
