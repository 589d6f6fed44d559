"""``GET /v1/projects/{id}/ads-metrics``: what the ads did, as ``(series, totals)``.

Read from the daily rows the sync stores (one per ad and day, the platform's latest numbers),
bucketed by day or by ISO week (Monday). Money is integer cents: ``spend``, ``cpa``, ``cpc``
and ``cpm`` (cost per thousand impressions). Ratios (``cpa``, ``cpc``, ``cpm``, ``ctr``) are
computed per bucket and, in the totals, over the whole window — never averaged — and are
null where their denominator is 0. ``conversions`` are installs. ``frequency`` is the average
of the days that report it (Meta).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.ads import repository
from layers.ads.platforms.base import path_name
from layers.ads.schemas import (
    AdsGranularity,
    AdsMetric,
    AdsMetricPoint,
    AdsMetricScope,
    AdsMetricSeries,
    AdsMetricsOut,
)
from layers.kit import clock
from layers.kit.errors import NotFound, Validation
from layers.models.ads import Ad, AdAccount, AdDailyMetric
from layers.orgs.service import Principal
from layers.projects import service as projects

DEFAULT_METRICS = (AdsMetric.spend, AdsMetric.conversions, AdsMetric.cpa)
MAX_DAYS = 400
COUNTERS = ("spend_cents", "impressions", "clicks", "installs")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ads_of(
    session: Session,
    principal: Principal,
    project_id: str,
    scope: AdsMetricScope,
    scope_id: str,
    platforms: list[str] | None,
) -> tuple[sa.Select[Any], str]:
    """The ads in scope (a subquery) and the currency to report in."""
    base = sa.select(Ad.id).where(
        Ad.org_id == principal.org_id,
        Ad.livemode == principal.livemode,
        Ad.project_id == project_id,
    )
    if platforms and scope not in (AdsMetricScope.ad_account, AdsMetricScope.project):
        raise Validation.field(
            "platforms", "is only allowed at ad_account or project scope", "not_allowed"
        )
    if platforms:
        base = base.where(Ad.platform.in_([path_name(p) for p in platforms]))
    if scope is AdsMetricScope.project:
        if scope_id != project_id:
            raise NotFound(f"No project {scope_id}.", id=scope_id)
        account_currency = session.scalar(
            sa.select(AdAccount.currency).where(AdAccount.project_id == project_id).limit(1)
        )
        return base, account_currency or "USD"
    repos: dict[AdsMetricScope, tuple[Any, Any]] = {
        AdsMetricScope.ad: (repository.ads_repo, Ad.id),
        AdsMetricScope.adset: (repository.adsets_repo, Ad.adset_id),
        AdsMetricScope.campaign: (repository.campaigns_repo, Ad.campaign_id),
        AdsMetricScope.ad_account: (repository.accounts_repo, Ad.ad_account_id),
    }
    repo, column = repos[scope]
    row = repo.get(session, principal, scope_id)
    if getattr(row, "project_id", None) != project_id:
        raise NotFound(f"No {scope.value} {scope_id} in project {project_id}.", id=scope_id)
    account_id = scope_id if scope is AdsMetricScope.ad_account else row.ad_account_id
    account = session.get(AdAccount, account_id)
    return base.where(column == scope_id), account.currency if account else "USD"


def _bucket(day: date, granularity: AdsGranularity) -> date:
    return day - timedelta(days=day.weekday()) if granularity is AdsGranularity.week else day


def _ratio(num: int, den: int, scale: int = 1) -> int | None:
    """``num * scale / den`` rounded half up to an integer (cents), None without a denominator."""
    if den <= 0:
        return None
    return (2 * num * scale + den) // (2 * den)


def _value(metric: AdsMetric, c: dict[str, int], freq: list[float]) -> float | int | None:
    spend, imps, clicks, installs = (c[k] for k in COUNTERS)
    match metric:
        case AdsMetric.spend:
            return spend
        case AdsMetric.impressions:
            return imps
        case AdsMetric.clicks:
            return clicks
        case AdsMetric.conversions:
            return installs
        case AdsMetric.cpa:
            return _ratio(spend, installs)
        case AdsMetric.cpc:
            return _ratio(spend, clicks)
        case AdsMetric.cpm:
            return _ratio(spend, imps, 1000)
        case AdsMetric.ctr:
            return round(clicks / imps, 6) if imps else None
        case AdsMetric.frequency:
            return round(sum(freq) / len(freq), 3) if freq else None


def ads_metrics(
    session: Session,
    principal: Principal,
    project_id: str,
    *,
    scope: AdsMetricScope,
    scope_id: str,
    wanted: list[AdsMetric],
    platforms: list[str] | None,
    since: datetime | None,
    until: datetime | None,
    granularity: AdsGranularity,
) -> AdsMetricsOut:
    projects.get(session, principal, project_id)
    end = _utc(until) if until else clock.now()
    start = _utc(since) if since else end - timedelta(days=30)
    if start >= end:
        raise Validation.field("since", "must be before until", "range_order")
    if (end - start).days > MAX_DAYS:
        raise Validation.field("since", f"the range is at most {MAX_DAYS} days", "too_many_points")
    ads, currency = _ads_of(session, principal, project_id, scope, scope_id, platforms)
    first = start.date()
    last = (end - timedelta(microseconds=1)).date()
    rows = session.execute(
        sa.select(
            AdDailyMetric.day,
            AdDailyMetric.spend_cents,
            AdDailyMetric.impressions,
            AdDailyMetric.clicks,
            AdDailyMetric.installs,
            AdDailyMetric.frequency,
        ).where(
            AdDailyMetric.ad_id.in_(ads.scalar_subquery()),
            AdDailyMetric.day >= first,
            AdDailyMetric.day <= last,
        )
    ).all()
    buckets: dict[date, dict[str, int]] = {}
    freqs: dict[date, list[float]] = defaultdict(list)
    day = _bucket(first, granularity)
    step = timedelta(days=7 if granularity is AdsGranularity.week else 1)
    while day <= last:
        buckets[day] = dict.fromkeys(COUNTERS, 0)
        day += step
    total = dict.fromkeys(COUNTERS, 0)
    all_freq: list[float] = []
    for row in rows:
        key = _bucket(row.day, granularity)
        for name in COUNTERS:
            buckets[key][name] += int(getattr(row, name))
            total[name] += int(getattr(row, name))
        if row.frequency:
            freqs[key].append(float(row.frequency))
            all_freq.append(float(row.frequency))
    chosen = list(dict.fromkeys(wanted)) or list(DEFAULT_METRICS)
    series = [
        AdsMetricSeries(
            metric=metric,
            points=[
                AdsMetricPoint(
                    start=datetime.combine(key, time(), UTC),
                    value=_value(metric, counts, freqs.get(key, [])),
                )
                for key, counts in buckets.items()
            ],
        )
        for metric in chosen
    ]
    return AdsMetricsOut(
        scope=scope,
        id=scope_id,
        granularity=granularity,
        since=start,
        until=end,
        currency=currency,
        series=series,
        totals={m.value: _value(m, total, all_freq) for m in chosen},
    )
