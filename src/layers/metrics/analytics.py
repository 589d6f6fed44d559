"""Series, totals and top performers, derived from the snapshots.

A snapshot holds lifetime counters, so what a post did in a bucket is its last value in the
bucket minus its last value before it; a bucket's figure is the sum over the posts in scope.
The totals are the same differences over the whole window, so they always equal the sum of
the series (engagement rate excepted: it is a ratio, computed from the summed counters).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.errors import NotFound, Validation
from layers.kit.repository import TenantScope
from layers.metrics import scoping
from layers.metrics.schemas import (
    Granularity,
    Metric,
    MetricPoint,
    MetricScope,
    MetricSeries,
    MetricsOut,
)
from layers.models.metrics import COUNTERS, AccountMetricSnapshot, PostMetricSnapshot
from layers.projects import service as projects

DEFAULT_BUNDLES: dict[MetricScope, tuple[Metric, ...]] = {
    MetricScope.platform_post: (
        Metric.views,
        Metric.likes,
        Metric.comments,
        Metric.shares,
        Metric.saves,
        Metric.watch_time_ms,
        Metric.engagement_rate,
    ),
    MetricScope.social_account: (
        Metric.views,
        Metric.engagement_rate,
        Metric.followers,
        Metric.follower_delta,
        Metric.posts_published,
    ),
}
DEFAULT_BUNDLE = (
    Metric.views,
    Metric.likes,
    Metric.comments,
    Metric.shares,
    Metric.engagement_rate,
    Metric.posts_published,
)
MAX_POINTS = {Granularity.hour: 24 * 31, Granularity.day: 366, Granularity.week: 260}
STEP = {
    Granularity.hour: timedelta(hours=1),
    Granularity.day: timedelta(days=1),
    Granularity.week: timedelta(weeks=1),
}
ENGAGEMENT = ("likes", "comments", "shares", "saves")
# ``impressions``: neither platform reports it for organic posts today; views are the closest.
ALIASES = {"impressions": "views"}


def bucket_start(at: datetime, granularity: Granularity) -> datetime:
    if granularity is Granularity.hour:
        return at.replace(minute=0, second=0, microsecond=0)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if granularity is Granularity.day:
        return day
    return day - timedelta(days=day.weekday())  # weeks start on Monday (ISO)


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime
    granularity: Granularity

    def buckets(self) -> list[datetime]:
        first = bucket_start(self.since, self.granularity)
        out, at = [], first
        while at < self.until:
            out.append(at)
            at += STEP[self.granularity]
        return out


def window_of(since: datetime | None, until: datetime | None, granularity: Granularity) -> Window:
    until = _utc(until) if until else clock.now()
    since = _utc(since) if since else until - timedelta(days=30)
    if since >= until:
        raise Validation.field("since", "must be before until", "range_order")
    window = Window(since, until, granularity)
    if len(window.buckets()) > MAX_POINTS[granularity]:
        raise Validation.field(
            "granularity",
            f"{granularity.value} buckets over this range would be more than "
            f"{MAX_POINTS[granularity]} points; choose a coarser granularity or a shorter range",
            "too_many_points",
        )
    return window


def _utc(value: datetime) -> datetime:
    """A query time: an explicit offset is honoured, a naive time is read as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def metrics(
    session: Session,
    tenant: TenantScope,
    project_id: str,
    *,
    scope: MetricScope,
    scope_id: str,
    wanted: Sequence[Metric],
    window: Window,
) -> MetricsOut:
    projects.get(session, tenant, project_id)  # 404 for another tenant's project
    selection = scoping.resolve(session, tenant, project_id, scope, scope_id)
    if selection is None:
        raise NotFound(f"No {scope.value} {scope_id} in project {project_id}.", id=scope_id)
    chosen = list(dict.fromkeys(wanted)) or list(DEFAULT_BUNDLES.get(scope, DEFAULT_BUNDLE))
    buckets = window.buckets()
    counters = _counter_deltas(
        scoping.post_snapshots(session, selection, window.since, window.until),
        scoping.post_baselines(session, selection, window.since),
        window.granularity,
    )
    series: list[MetricSeries] = []
    totals: dict[str, float] = {}
    for metric in chosen:
        values, total = _metric(session, selection, metric, counters, window)
        series.append(
            MetricSeries(
                metric=metric,
                points=[MetricPoint(start=b, value=values.get(b, 0.0)) for b in buckets],
            )
        )
        totals[metric.value] = total
    return MetricsOut(
        scope=scope,
        id=scope_id,
        granularity=window.granularity,
        since=window.since,
        until=window.until,
        series=series,
        totals=totals,
    )


Deltas = dict[str, dict[datetime, float]]


def _counter_deltas(
    snapshots: Iterable[PostMetricSnapshot],
    baselines: dict[str, PostMetricSnapshot],
    granularity: Granularity,
) -> Deltas:
    """Per counter, per bucket: the sum over posts of what each post gained in the bucket."""
    deltas: Deltas = {name: defaultdict(float) for name in COUNTERS}
    previous: dict[str, PostMetricSnapshot] = dict(baselines)
    for snap in snapshots:
        before = previous.get(snap.scheduled_post_id)
        bucket = bucket_start(snap.captured_at, granularity)
        for name in COUNTERS:
            gained = getattr(snap, name) - (getattr(before, name) if before else 0)
            deltas[name][bucket] += gained
        previous[snap.scheduled_post_id] = snap
    return deltas


def _metric(
    session: Session,
    selection: scoping.Selection,
    metric: Metric,
    counters: Deltas,
    window: Window,
) -> tuple[dict[datetime, float], float]:
    name = ALIASES.get(metric.value, metric.value)
    if name in COUNTERS:
        values = dict(counters[name])
        return values, float(sum(values.values()))
    if metric is Metric.engagement_rate:
        rates: dict[datetime, float] = {}
        for bucket, views in counters["views"].items():
            engaged = sum(counters[n].get(bucket, 0.0) for n in ENGAGEMENT)
            rates[bucket] = _rate(engaged, views)
        all_views = sum(counters["views"].values())
        all_engaged = sum(sum(counters[n].values()) for n in ENGAGEMENT)
        return rates, _rate(all_engaged, all_views)
    if metric is Metric.posts_published:
        published: dict[datetime, float] = defaultdict(float)
        for at in scoping.published_times(session, selection, window.since, window.until):
            published[bucket_start(at, window.granularity)] += 1
        return dict(published), float(sum(published.values()))
    levels, deltas = _followers(scoping.account_snapshots(session, selection, window.until), window)
    if metric is Metric.followers:
        latest = max(levels) if levels else None
        return levels, levels[latest] if latest is not None else 0.0
    return deltas, float(sum(deltas.values()))


def _followers(
    snapshots: Sequence[AccountMetricSnapshot], window: Window
) -> tuple[dict[datetime, float], dict[datetime, float]]:
    """Per bucket: the summed follower level (each account's last value so far) and its
    change since the previous bucket (the first bucket against the level before the window)."""
    by_account: dict[str, list[AccountMetricSnapshot]] = defaultdict(list)
    for snap in snapshots:
        by_account[snap.social_account_id].append(snap)
    levels: dict[datetime, float] = {}
    deltas: dict[datetime, float] = {}
    cursor = {account: 0 for account in by_account}
    current: dict[str, int] = {}
    for account, snaps in by_account.items():
        while cursor[account] < len(snaps) and snaps[cursor[account]].captured_at < window.since:
            current[account] = snaps[cursor[account]].followers
            cursor[account] += 1
    level_before = float(sum(current.values()))
    for bucket in window.buckets():
        end = bucket + STEP[window.granularity]
        for account, snaps in by_account.items():
            while cursor[account] < len(snaps) and snaps[cursor[account]].captured_at < end:
                current[account] = snaps[cursor[account]].followers
                cursor[account] += 1
        if not current:
            continue
        level = float(sum(current.values()))
        levels[bucket] = level
        deltas[bucket] = level - level_before if level_before else 0.0
        level_before = level
    return levels, deltas


def _rate(engaged: float, views: float) -> float:
    return round(engaged / views, 4) if views > 0 and math.isfinite(engaged) else 0.0
