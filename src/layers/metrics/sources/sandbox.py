"""The sandbox engagement simulator: test mode's platform, with numbers worth looking at.

Deterministic from the post and the account (a hash, never a random draw), and a function of
the clock, so a test that advances a `ManualClock` sees the curve move:

* each post has a *quality*, log-normal around 1 (a few posts do several times better than the
  rest, as on the real platforms), and each account a *reach* factor;
* views rise like ``peak × (1 − e^(−age / 20 h))``: most of them in the first two days, then
  the curve flattens; engagement is a share of views that depends on the quality too;
* followers grow with the account's age and its posts' quality.

Nothing leaves the machine; the same post asked twice at the same time answers the same.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import UTC, datetime

from layers.kit import clock
from layers.kit.settings import Settings
from layers.metrics.sources.base import AccountStats, MetricsAccount, PostRef, PostStats
from layers.social.vault import Secret

RISE_HOURS = 20.0
BASE_PEAK_VIEWS = 1200.0


def _uniforms(*parts: str) -> tuple[float, float, float, float]:
    """Four numbers in (0, 1) drawn from a hash of `parts` (deterministic)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return tuple(  # type: ignore[return-value]
        (int.from_bytes(digest[i : i + 4], "big") + 0.5) / 2**32 for i in range(0, 16, 4)
    )


def quality(platform_post_id: str) -> float:
    """The post's latent quality: log-normal (σ = 0.9) around 1, by Box–Muller on its hash."""
    u1, u2, _, _ = _uniforms("post", platform_post_id)
    normal = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
    return math.exp(0.9 * normal)


def account_reach(social_account_id: str) -> float:
    u, _, _, _ = _uniforms("account", social_account_id)
    return 0.5 + 1.5 * u


class SandboxMetrics:
    def __init__(self, platform: str, settings: Settings) -> None:
        self.platform = platform

    def post_stats(
        self, token: Secret, account: MetricsAccount, posts: Sequence[PostRef]
    ) -> list[PostStats]:
        now = clock.now()
        return [self._stats(account, post, now) for post in posts]

    def _stats(self, account: MetricsAccount, post: PostRef, now: datetime) -> PostStats:
        age_hours = max(0.0, (now - post.posted_at).total_seconds() / 3600.0)
        q = quality(post.platform_post_id)
        _, _, u3, u4 = _uniforms("post", post.platform_post_id)
        peak = BASE_PEAK_VIEWS * q * account_reach(account.social_account_id)
        views = int(peak * (1.0 - math.exp(-age_hours / RISE_HOURS)))
        like_rate = min(0.25, 0.03 + 0.03 * q + 0.02 * u3)
        likes = int(views * like_rate)
        return PostStats(
            platform_post_id=post.platform_post_id,
            views=views,
            reach=int(views * (0.7 + 0.2 * u4)),
            likes=likes,
            comments=int(likes * (0.05 + 0.05 * u4)),
            shares=int(likes * (0.08 + 0.1 * u3)),
            saves=int(likes * (0.06 + 0.08 * u4)),
            watch_time_ms=int(views * (3500 + 2500 * min(q, 3.0))),
        )

    def account_stats(self, token: Secret, account: MetricsAccount) -> AccountStats:
        since = account.connected_at or datetime(2026, 1, 1, tzinfo=UTC)
        days = max(0.0, (clock.now() - since).total_seconds() / 86400.0)
        base = int(300 + 4700 * _uniforms("followers", account.social_account_id)[0])
        return AccountStats(
            followers=base + int(days * 12 * account_reach(account.social_account_id))
        )
