"""What reading metrics back from a platform looks like, whatever the platform.

A source returns each post's **lifetime** counters at the moment of the call (the platforms
report them that way); `layers.metrics` stores them as snapshots and derives series from the
differences, so reading the same post twice never counts anything twice.

Errors are the platform errors of `layers.social.platforms.base`: `AuthFailed` (the token is
refused: the account needs reauth), `RateLimited` (back off ``retry_after`` seconds),
`PlatformCallError` otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from layers.social.vault import Secret


@dataclass(frozen=True)
class MetricsAccount:
    social_account_id: str
    platform_account_id: str
    handle: str | None
    connected_at: datetime | None


@dataclass(frozen=True)
class PostRef:
    """A published post as the platform knows it."""

    platform_post_id: str
    posted_at: datetime


@dataclass(frozen=True)
class PostStats:
    """A post's lifetime counters (0 where the platform does not report one)."""

    platform_post_id: str
    views: int = 0
    reach: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0
    saves: int = 0
    watch_time_ms: int = 0


@dataclass(frozen=True)
class AccountStats:
    followers: int


class PostMetrics(Protocol):
    """Reads counters back from one platform for one account's token."""

    platform: str

    def post_stats(
        self, token: Secret, account: MetricsAccount, posts: Sequence[PostRef]
    ) -> list[PostStats]:
        """The counters of `posts` (at most the spec's ``metrics_batch``); a post the platform
        no longer knows (deleted) is left out of the answer."""
        ...

    def account_stats(self, token: Secret, account: MetricsAccount) -> AccountStats:
        """The account's follower count now."""
        ...
