"""Plain factories for the optimizer's facts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from layers.ads.optimizer import (
    AdFacts,
    AdMetrics,
    AdsetFacts,
    Authority,
    AuthorityPolicy,
    CpaTrend,
    Creative,
    Mode,
    OptimizerInputs,
    Override,
    Pool,
    Settings,
    WindowMetrics,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
AUTO = AuthorityPolicy(Authority(Mode.AUTO, Mode.AUTO, Mode.AUTO))


def window(spend: int = 0, installs: int = 0, impressions: int = 10_000, clicks: int = 200):
    return WindowMetrics(spend, impressions, clicks, installs)


def ad(
    ad_id: str,
    *,
    adset: str = "as_1",
    campaign: str = "cmp_1",
    age: float = 10,
    spend: int = 0,
    installs: int = 0,
    impressions: int | None = None,
    clicks: int | None = None,
    status: str = "active",
    learning: bool = False,
    frequency: float | None = None,
    trend: CpaTrend | None = None,
    spend_1d: int | None = None,
    installs_1d: int | None = None,
    content_id: str | None = None,
) -> AdFacts:
    """An ad whose 7-day (and 14/30-day) totals are `spend` / `installs`; 1 day is a seventh
    unless given. By default a cent buys an impression (CPM 10.00) and 2 % of them click, so
    every ad has the same CTR and its CVR follows its CPA."""
    imp = impressions if impressions is not None else spend
    clk = clicks if clicks is not None else imp // 50
    week = WindowMetrics(spend, imp, clk, installs)
    day = WindowMetrics(
        spend // 7 if spend_1d is None else spend_1d,
        imp // 7,
        clk // 7,
        installs // 7 if installs_1d is None else installs_1d,
    )
    return AdFacts(
        ad_id=ad_id,
        adset_id=adset,
        campaign_id=campaign,
        status=status,
        created_at=NOW - timedelta(days=age),
        metrics=AdMetrics(
            d1=day,
            d3=day,
            d7=week,
            d14=week,
            d30=week,
            frequency=frequency,
            trend=trend,
        ),
        learning=learning,
        content_id=content_id,
    )


def adset(
    adset_id: str = "as_1",
    *,
    campaign: str = "cmp_1",
    budget: int | None = None,
    changed_hours_ago: float | None = None,
    max_ads: int | None = None,
    status: str = "active",
) -> AdsetFacts:
    return AdsetFacts(
        adset_id=adset_id,
        campaign_id=campaign,
        daily_budget_cents=budget,
        last_budget_change_at=None
        if changed_hours_ago is None
        else NOW - timedelta(hours=changed_hours_ago),
        max_ads=max_ads,
        status=status,
    )


def creative(
    content_id: str,
    score: float | None = 6.0,
    *,
    pool: Pool = Pool.GENERATED,
    override: Override | None = None,
    safety_failed: bool = False,
    in_adsets: Sequence[str] = (),
) -> Creative:
    return Creative(
        content_id=content_id,
        pool=pool,
        organic_score=score,
        override=override,
        safety_failed=safety_failed,
        already_in_adsets=frozenset(in_adsets),
    )


def inputs(
    ads: Sequence[AdFacts],
    adsets: Sequence[AdsetFacts] | None = None,
    creatives: Sequence[Creative] = (),
    *,
    settings: Settings | None = None,
    authority: AuthorityPolicy = AUTO,
    pending: Sequence[str] = (),
) -> OptimizerInputs:
    if adsets is None:
        adsets = [adset(a) for a in dict.fromkeys(x.adset_id for x in ads)]
    return OptimizerInputs(
        now=NOW,
        ads=list(ads),
        adsets=list(adsets),
        creatives=list(creatives),
        settings=settings or Settings(target_cpa_cents=1000),
        authority=authority,
        pending_ad_ids=frozenset(pending),
    )
