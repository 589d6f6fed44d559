"""The sandbox market's planted ads classify as their roles under the optimizer's rules, so
that test mode shows every class (the pure market against the pure optimizer: no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from layers.ads.optimizer.classify import classify, pools
from layers.ads.optimizer.types import AdFacts, AdMetrics, DayMetrics, Settings
from layers.ads.platforms.sandbox_market import Identity, Market

EPOCH = datetime(2026, 11, 2, 9, tzinfo=UTC)
EXPECTED = {
    "top_performer": "TOP_PERFORMER",
    "healthy": "HEALTHY",
    "underperforming": "UNDERPERFORMING",
    "fatigued": "FATIGUED",
    "stale": "UNDERPERFORMING",  # the fallback: over 30 days old, never delivered
    "critical": "CRITICAL",
    "steady": "HEALTHY",
    "young_early": "HEALTHY",
    "young": "TOO_YOUNG",
    "learning_a": "LEARNING_PHASE",
    "learning_b": "LEARNING_PHASE",
    "watchdog": "TOO_YOUNG",
}


def classes(platform: str, account_id: str, days: float, target: int | None) -> dict[str, str]:
    identity = Identity(platform, account_id)
    now = EPOCH + timedelta(days=days)
    market = Market(identity, EPOCH, reports_frequency=platform == "meta")
    snapshot = market.snapshot(now)
    facts = []
    for ad in snapshot.ads:
        rows = [
            DayMetrics(r.day, r.spend_cents, r.impressions, r.clicks, r.installs, r.frequency)
            for r in snapshot.metrics
            if r.ad_id == ad.ad_id
        ]
        metrics = AdMetrics.from_days(rows, now.date())
        facts.append(
            AdFacts(
                ad.ad_id,
                ad.adset_id,
                ad.campaign_id,
                ad.status,
                ad.created_at or now,
                metrics,
                bool(ad.learning),
            )
        )
    by_campaign = pools(facts)
    roles = {ad_id: role for role, ad_id in identity.planted_ads().items()}
    settings = Settings(target_cpa_cents=target)
    return {
        roles[f.ad_id]: classify(f, now, by_campaign[f.campaign_id], settings).klass.value
        for f in facts
    }


@pytest.mark.parametrize("platform", ["meta", "tiktok"])
@pytest.mark.parametrize("target", [None, 400])
def test_planted_roles_classify_as_named_ten_days_in(platform: str, target: int | None) -> None:
    for account in ("act_100", "act_200", "7300"):
        assert classes(platform, account, 10, target) == EXPECTED


def test_the_market_moves_on() -> None:
    later = classes("meta", "act_100", 12, None)
    assert later["young"] == "HEALTHY" and later["watchdog"] == "LEARNING_PHASE"
    assert later["critical"] == "CRITICAL" and later["fatigued"] == "FATIGUED"
