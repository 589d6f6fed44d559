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
from limits import RateLimitItemPerDay, RateLimitItemPerSecond
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

    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset - time.time()))


def _scaled(value: int) -> int:
    return max(1, int(value * get_settings().rate_limit_scale))


@functools.lru_cache(maxsize=64)
def _bucket(
    tier_name: str, endpoint_class: EndpointClass, scale: float, window: int
) -> RateLimitItemPerSecond:
    amount = max(1, int(tier(tier_name).per_minute[endpoint_class] * scale))
    return RateLimitItemPerSecond(amount, window, namespace="layers")


def hit(key_id: str, tier_name: str, endpoint_class: EndpointClass) -> BucketState:
    """Count one request of key `key_id`; raise RateLimited (its headers set) when over."""
    settings = get_settings()
    limits_of = tier(tier_name)
    item = _bucket(
        tier_name, endpoint_class, settings.rate_limit_scale, settings.rate_limit_window_seconds
    )
    limiter = storage.limiter()
    try:
        allowed = limiter.hit(item, key_id, endpoint_class)
        stats = limiter.get_window_stats(item, key_id, endpoint_class)
        state = BucketState(endpoint_class, item.amount, stats.remaining, stats.reset_time)
        if allowed and endpoint_class == WRITE:
            daily = RateLimitItemPerDay(_scaled(limits_of.daily_writes), namespace="layers")
            if not limiter.hit(daily, key_id, "daily"):
                day = limiter.get_window_stats(daily, key_id, "daily")
                state = BucketState(endpoint_class, daily.amount, 0, day.reset_time)
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
