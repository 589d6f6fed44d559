"""Counting a request against its key's buckets, and the organization's concurrent-jobs cap.

A request draws one hit from its endpoint class's per-minute bucket (per key), and a write
also from the key's daily write cap. Over either → 429 RATE_LIMITED with ``Retry-After`` (the
seconds until the bucket's window ends). The bucket state travels to the response headers
(`middleware`) on success and error alike.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import sqlalchemy as sa
from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerSecond
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy.orm import Session

from layers.kit.errors import RateLimited, Unavailable
from layers.kit.settings import get_settings
from layers.models.jobs import Job
from layers.orgs.limits import storage
from layers.orgs.limits.classes import LONG, WRITE, EndpointClass
from layers.orgs.limits.tiers import tier


@dataclass(frozen=True)
class BucketState:
    endpoint_class: EndpointClass
    limit: int
    remaining: int
    reset: float  # epoch seconds when the window ends

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset)),
        }

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """`headers`, as ASGI writes them (lower-case names, bytes)."""
        return [(name.lower().encode(), value.encode()) for name, value in self.headers().items()]

    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset - time.time()))


def _scaled(value: int) -> int:
    return max(1, int(value * get_settings().rate_limit_scale))


# The items are cached by what they are (amounts, window), not by tier name: a tier's
# numbers may change (settings, tests) and its name with them would serve a stale item.
@functools.lru_cache(maxsize=64)
def _item(amount: int, window: int) -> RateLimitItem:
    if window == _DAY:
        return RateLimitItemPerDay(amount, namespace="layers")
    return RateLimitItemPerSecond(amount, window, namespace="layers")


_DAY = 86_400


def _count(
    limiter: FixedWindowRateLimiter, item: RateLimitItem, key_id: str, bucket: str
) -> tuple[bool, int, float]:
    """Count one hit: whether it is within the item's amount, the requests left, and when the
    window ends. One storage call where the storage can (`storage.COUNTS_WINDOWS`), else the
    `limits` strategy's hit and window stats."""
    store = limiter.storage
    if isinstance(store, storage.COUNTS_WINDOWS):
        count, reset = store.incr_window(item.key_for(key_id, bucket), item.get_expiry())
        return count <= item.amount, max(0, item.amount - count), reset
    allowed = limiter.hit(item, key_id, bucket)
    stats = limiter.get_window_stats(item, key_id, bucket)
    return allowed, stats.remaining, stats.reset_time


def hit(key_id: str, tier_name: str, endpoint_class: EndpointClass) -> BucketState:
    """Count one request of key `key_id`; raise RateLimited (its headers set) when over."""
    settings = get_settings()
    limits_of = tier(tier_name)
    item = _item(_scaled(limits_of.per_minute[endpoint_class]), settings.rate_limit_window_seconds)
    limiter = storage.limiter()
    try:
        allowed, remaining, reset = _count(limiter, item, key_id, endpoint_class)
        state = BucketState(endpoint_class, item.amount, remaining, reset)
        if allowed and endpoint_class == WRITE:
            daily = _item(_scaled(limits_of.daily_writes), _DAY)
            within_day, _, day_reset = _count(limiter, daily, key_id, "daily")
            if not within_day:
                state = BucketState(endpoint_class, daily.amount, 0, day_reset)
                allowed = False
    except limiter.storage.base_exceptions as exc:
        # The counters' store is unreachable: refuse rather than let every request through.
        raise Unavailable(
            "Rate limits cannot be checked right now (their store is unreachable); retry shortly.",
            component="rate_limit_store",
        ) from exc
    if not allowed:
        raise _limited(state, f"Rate limit of {state.limit} {endpoint_class} requests reached.")
    return state


def _limited(state: BucketState, message: str) -> RateLimited:
    retry_after = state.retry_after()
    error = RateLimited(
        message + f" Retry after {retry_after}s.",
        retry_after,
        endpointClass=state.endpoint_class,
        limit=state.limit,
    )
    error.headers = {
        "Retry-After": str(retry_after),
        "X-RateLimit-Endpoint-Class": state.endpoint_class,
        **state.headers(),
    }
    return error


def running_jobs(session: Session, org_id: str) -> int:
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(Job)
        .where(Job.org_id == org_id, Job.status == "running")
    )
    return int(count or 0)


def check_concurrent_jobs(session: Session, org_id: str, tier_name: str) -> None:
    """A job-starting request when the organization already runs its tier's cap → 429.
    (A check before the start, not a lock: two simultaneous starts may both pass it.)"""
    cap = _scaled(tier(tier_name).concurrent_jobs)
    running = running_jobs(session, org_id)
    if running >= cap:
        retry_after = 5
        raise RateLimited(
            f"The organization already runs {running} jobs (its cap is {cap}); retry when "
            f"one finishes.",
            retry_after,
            endpointClass=LONG,
            concurrentJobs=running,
            limit=cap,
        )
