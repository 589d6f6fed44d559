"""Reading published posts' counters back, one account at a time.

Cadence (settings): a post younger than ``metrics_young_days`` is read every
``metrics_young_minutes``, then once a day until ``metrics_window_days``, then never again.

Rate limits come from the account's `PlatformSpec`: a sync of one account makes at most
``metrics_calls_per_minute × metrics_tick_minutes`` calls (``metrics_batch`` posts each); what
is left stays due for the next tick, so an account never goes over its average rate and no
worker sleeps holding a slot. A rate-limit answer defers the account's due posts by the
platform's ``Retry-After``. A refused token marks the account for reauth through
`layers.social.tokens` (exactly as publishing does) and defers its posts by an hour.

Each call's answer is written in its own short transaction: a crash loses at most the call
in flight, and since snapshots hold lifetime counters, reading a post again after an outage
double-counts nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.ids import new_id
from layers.kit.settings import Settings, get_settings
from layers.metrics import repository
from layers.metrics.repository import DuePost
from layers.metrics.sources.base import MetricsAccount, PostRef, PostStats
from layers.metrics.sources.registry import source_for
from layers.models.metrics import AccountMetricSnapshot, PostMetricSnapshot
from layers.models.social import SocialAccount
from layers.social import health, tokens
from layers.social.platforms import registry
from layers.social.platforms.base import AuthFailed, PlatformCallError, RateLimited
from layers.social.vault import Secret

log = logging.getLogger("layers.metrics.sync")

TOKEN_BACKOFF = timedelta(hours=1)
ERROR_BACKOFF = timedelta(minutes=15)
FOLLOWERS_EVERY = timedelta(hours=1)
WRITE_EVERY = 25  # posts read before their snapshots are written (one transaction)


@dataclass
class SyncReport:
    account_id: str
    posts: int = 0
    snapshots: int = 0
    calls: int = 0
    deferred: int = 0
    gone: int = 0
    error: str | None = None
    followers: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "accountId": self.account_id,
            "posts": self.posts,
            "snapshots": self.snapshots,
            "calls": self.calls,
            "deferred": self.deferred,
            "gone": self.gone,
            "error": self.error,
            "followers": self.followers,
        }


def next_sync(posted_at: datetime, now: datetime, settings: Settings) -> datetime | None:
    """When a post published at `posted_at` is read next after a read at `now`."""
    age = now - posted_at
    if age < timedelta(days=settings.metrics_young_days):
        return now + timedelta(minutes=settings.metrics_young_minutes)
    if age < timedelta(days=settings.metrics_window_days):
        return now + timedelta(days=1)
    return None


def call_budget(platform: str, settings: Settings) -> int:
    spec = registry.spec(platform)
    return max(1, spec.metrics_calls_per_minute * settings.metrics_tick_minutes)


def sync_account(account_id: str) -> SyncReport:
    """Read back the due posts of one account (and its followers, hourly)."""
    settings = get_settings()
    now = clock.now()
    report = SyncReport(account_id)
    database = get_database()
    with database.transaction(write=False) as session:
        account = session.get(SocialAccount, account_id)
        if account is None:
            return report
        spec = registry.spec(account.platform)
        budget = call_budget(account.platform, settings)
        due = repository.due_posts(session, account_id, now, budget * spec.metrics_batch)
        followers_due = _followers_due(
            repository.last_account_snapshot_at(session, account_id), now
        )
        ref = MetricsAccount(
            social_account_id=account.id,
            platform_account_id=account.platform_account_id,
            handle=account.handle,
            connected_at=account.connected_at,
        )
        platform, livemode = account.platform, account.livemode
        org_id, project_id = account.org_id, account.project_id
        usable = account.status == "connected" and account.healthy
    report.posts = len(due)
    if not usable:
        # Disconnected: never again; unhealthy (needs reauth): try after a reconnect.
        later = None if account.status != "connected" else now + TOKEN_BACKOFF
        _defer(report, [post.post_id for post in due], later, {"code": "ACCOUNT_UNUSABLE"})
        return report
    source = source_for(platform, livemode, settings)
    batches = [due[i : i + spec.metrics_batch] for i in range(0, len(due), spec.metrics_batch)]
    pending: list[tuple[list[DuePost], list[PostStats]]] = []
    read = 0  # batches answered so far (a token refresh resumes from here)

    def flush() -> None:
        if pending:
            _record(report, pending, org_id=org_id, livemode=livemode, platform=platform)
            pending.clear()

    def read_all(token: Secret) -> None:
        nonlocal read
        while read < len(batches):
            batch = batches[read]
            refs = [PostRef(post.platform_post_id, post.posted_at) for post in batch]
            try:
                stats = source.post_stats(token, ref, refs)
            except (AuthFailed, RateLimited):
                raise
            except PlatformCallError as exc:
                report.calls += 1
                read += 1
                flush()
                _defer(report, [post.post_id for post in batch], now + ERROR_BACKOFF, exc.to_dict())
                continue
            report.calls += 1
            read += 1
            pending.append((batch, stats))
            if sum(len(done) for done, _ in pending) >= WRITE_EVERY:
                flush()

    def unread() -> list[str]:
        return [post.post_id for batch in batches[read:] for post in batch]

    try:
        tokens.with_token(account_id, read_all)
    except RateLimited as exc:
        flush()
        _defer(report, unread(), now + timedelta(seconds=exc.retry_after), exc.to_dict())
    except tokens.TokenUnavailable as exc:
        flush()
        _defer(report, unread(), now + TOKEN_BACKOFF, {"code": exc.reason, "message": str(exc)})
    flush()
    if report.snapshots:
        # The account's temperature reads its posts' engagement: take it now, not at the
        # next sweep (a change re-plans its automatic layers in this same transaction).
        with database.transaction() as session:
            account = session.get(SocialAccount, account_id)
            if account is not None:
                health.take_snapshot(session, account, reason="metrics")
    if followers_due and report.error is None:
        try:
            followers = tokens.with_token(
                account_id, lambda token: source.account_stats(token, ref)
            )
        except (PlatformCallError, tokens.TokenUnavailable) as exc:
            log.info("followers of %s not read: %s", account_id, exc)
        else:
            report.followers = followers.followers
            with database.transaction() as session:
                session.add(
                    AccountMetricSnapshot(
                        id=new_id("ams", now),
                        org_id=org_id,
                        livemode=livemode,
                        project_id=project_id,
                        social_account_id=account_id,
                        captured_at=clock.now(),
                        followers=followers.followers,
                    )
                )
    return report


def _followers_due(last: datetime | None, now: datetime) -> bool:
    return last is None or now - last >= FOLLOWERS_EVERY


def _defer(
    report: SyncReport,
    post_ids: list[str],
    until: datetime | None,
    error: dict[str, object],
) -> None:
    with get_database().transaction() as session:
        repository.reschedule(session, post_ids, next_sync_at=until, error=error)
    report.deferred += len(post_ids)
    report.error = str(error.get("code"))


def _record(
    report: SyncReport,
    answered: list[tuple[list[DuePost], list[PostStats]]],
    *,
    org_id: str,
    livemode: bool,
    platform: str,
) -> None:
    """Write the snapshots of several answered calls in one transaction, and when each post
    is read next (a post the platform no longer has is not read again)."""
    settings = get_settings()
    captured = clock.now()
    read_next: dict[datetime | None, list[str]] = {}
    with get_database().transaction() as session:
        for batch, stats in answered:
            by_id = {stat.platform_post_id: stat for stat in stats}
            for post in batch:
                stat = by_id.get(post.platform_post_id)
                if stat is None:
                    repository.reschedule(
                        session, [post.post_id], next_sync_at=None, error={"code": "POST_GONE"}
                    )
                    report.gone += 1
                    continue
                session.add(
                    _snapshot(post, stat, report.account_id, org_id, livemode, platform, captured)
                )
                when = next_sync(post.posted_at, captured, settings)
                read_next.setdefault(when, []).append(post.post_id)
                report.snapshots += 1
        for when, post_ids in read_next.items():
            repository.reschedule(session, post_ids, next_sync_at=when, synced_at=captured)


def _snapshot(
    post: DuePost,
    stat: PostStats,
    account_id: str,
    org_id: str,
    livemode: bool,
    platform: str,
    captured: datetime,
) -> PostMetricSnapshot:
    return PostMetricSnapshot(
        id=new_id("pms", captured),
        org_id=org_id,
        livemode=livemode,
        project_id=post.project_id,
        social_account_id=account_id,
        scheduled_post_id=post.post_id,
        container_id=post.container_id,
        layer_id=post.layer_id,
        platform=platform,
        captured_at=captured,
        views=stat.views,
        reach=stat.reach,
        likes=stat.likes,
        comments=stat.comments,
        shares=stat.shares,
        saves=stat.saves,
        watch_time_ms=stat.watch_time_ms,
    )
