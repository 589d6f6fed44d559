"""Each class at its boundary, the precedence, and the score formula."""

from __future__ import annotations

import pytest

from layers.ads.optimizer import AdClass, CpaTrend, Settings, WindowMetrics
from layers.ads.optimizer.classify import PoolStats, classify, classify_all, pools, score
from tests.ads.optimizer.factories import NOW, ad, inputs

# a pool whose CPA is exactly 10.00, CTR 2 %, CVR 5 %
POOL = PoolStats(WindowMetrics(100_000, 100_000, 2_000, 100), "campaign")
NO_TARGET = Settings()
TARGET_10 = Settings(target_cpa_cents=1000)


def klass(a, settings=NO_TARGET, pool=POOL) -> AdClass:
    return classify(a, NOW, pool, settings).klass


def test_too_young_under_three_days_even_when_critical():
    assert klass(ad("a", age=2.99, spend=9_000)) is AdClass.TOO_YOUNG
    assert klass(ad("a", age=3.0, spend=9_000)) is AdClass.CRITICAL
    assert classify(ad("a", age=2.5), NOW, POOL).reason == "only 2 days old"


def test_learning_phase_beats_everything_but_youth():
    assert klass(ad("a", spend=9_000, learning=True)) is AdClass.LEARNING_PHASE
    assert klass(ad("a", age=1, learning=True)) is AdClass.TOO_YOUNG


def test_critical_zero_installs_over_fifty_dollars_in_seven_days():
    assert klass(ad("a", spend=5_001)) is AdClass.CRITICAL
    assert klass(ad("a", spend=5_000)) is not AdClass.CRITICAL
    assert klass(ad("a", spend=6_000, installs=1)) is AdClass.CRITICAL  # CPA 60 > 2.5 × 10


def test_critical_cpa_over_two_and_a_half_times_the_pool():
    assert klass(ad("a", spend=2_501, installs=1)) is AdClass.CRITICAL
    assert klass(ad("a", spend=2_500, installs=1)) is AdClass.UNDERPERFORMING
    assert klass(ad("a", spend=5_002, installs=2)) is AdClass.CRITICAL


def test_stale_fallback_over_thirty_days_without_metrics():
    assert klass(ad("a", age=30.5)) is AdClass.UNDERPERFORMING
    assert "fallback" in classify(ad("a", age=31), NOW, POOL).reason
    assert klass(ad("a", age=30)) is AdClass.HEALTHY  # no data, not stale yet: neutral 50


@pytest.mark.parametrize("settings", [NO_TARGET, TARGET_10])
def test_top_healthy_underperforming_follow_the_score(settings):
    seen = set()
    for spend in range(1_000, 6_000, 7):
        a = ad("a", spend=spend, installs=4)
        c = classify(a, NOW, POOL, settings)
        cpa_far = spend * 2 >= 3 * 4_000 and (settings.target_cpa_cents is None or spend > 4_000)
        if c.score >= 80:
            expected = AdClass.TOP_PERFORMER
        elif cpa_far:
            expected = AdClass.UNDERPERFORMING
        elif c.score >= 50:
            expected = AdClass.HEALTHY
        else:
            expected = AdClass.UNDERPERFORMING
        assert c.klass is expected, (spend, c)
        seen.add(c.score)
    assert {79, 80, 49, 50} <= seen  # the sweep crossed both thresholds


def test_score_formula_on_par_is_fifty_and_twice_as_good_is_one_hundred():
    on_par = ad("a", spend=1_000, installs=1)
    assert score(on_par, POOL, 1_000) == 50
    # no reference at all → neutral
    assert score(ad("a", spend=700, installs=1), PoolStats(WindowMetrics(), "layer"), None) == 50
    # CPA* = (400 + 1000) / 4 = 350 → ratios 2.86 → 100 on both CPA parts;
    # CTR on par → 50; CVR* = (4 + 20·0.05) / (8 + 20) = 0.1786 → 3.57 → 100
    great = ad("a", spend=400, installs=4)
    assert score(great, POOL, 1_000) == 93  # (4000 + 3000 + 750 + 1500) / 100 = 92.5, half up
    # no install and spend: smoothed CPA = (3000 + 1000) / 1 → 0.25 → 12.5 on the CPA parts;
    # CTR on par 50; CVR* = 1 / 80 = 0.0125 → 0.25 → 12.5
    poor = ad("a", spend=3_000)
    expected = (40 * 12.5 + 30 * 12.5 + 15 * 50 + 15 * 12.5) / 100
    assert score(poor, POOL, 1_000) == int(expected + 0.5)


def test_fatigued_needs_rising_cpa_high_frequency_and_spend():
    earlier = WindowMetrics(1_000, installs=10)  # CPA 1.00
    # pool CPA 1.50 so these ads (CPA ≈ 1.30) are neither critical nor top
    pool = PoolStats(WindowMetrics(150_000, 150_000, 3_000, 1_000), "campaign")

    def fatigued(recent_spend, installs=20, frequency=3.0, trend=True):
        recent = WindowMetrics(recent_spend, installs=installs)
        a = ad(
            "a",
            spend=recent_spend,
            installs=installs,
            frequency=frequency,
            trend=CpaTrend(earlier, recent) if trend else None,
        )
        return classify(a, NOW, pool, NO_TARGET)

    assert fatigued(2_600).klass is AdClass.FATIGUED  # CPA 1.30 = 1.3 × 1.00
    assert "frequency 3.0" in fatigued(2_600).reason
    assert fatigued(2_599).klass is not AdClass.FATIGUED
    assert fatigued(2_600, frequency=2.9).klass is not AdClass.FATIGUED
    assert fatigued(2_600, frequency=None).klass is not AdClass.FATIGUED  # needs 1.5× then
    assert fatigued(3_000, frequency=None).klass is AdClass.FATIGUED
    assert fatigued(2_600, trend=False).klass is not AdClass.FATIGUED
    # not enough spend: 19.99
    assert fatigued(1_999, installs=15).klass is not AdClass.FATIGUED


def test_underperforming_by_cpa_respects_the_target():
    a = ad("a", spend=1_500, installs=1)  # CPA 15.00 = 1.5 × pool
    assert klass(a, NO_TARGET) is AdClass.UNDERPERFORMING
    assert "1.5×" in classify(a, NOW, POOL, NO_TARGET).reason
    # meeting a 20.00 target: not underperforming by CPA (the score decides)
    c = classify(a, NOW, POOL, Settings(target_cpa_cents=2_000))
    assert "1.5×" not in c.reason


def test_pool_is_the_campaign_else_the_layer():
    ads = [
        ad("a", campaign="c1", spend=1_000, installs=2),
        ad("b", campaign="c1", spend=3_000, installs=2),
        ad("c", campaign="c2", spend=800),
    ]
    stats = pools(ads)
    assert stats["c1"].scope == "campaign" and stats["c1"].cpa_cents == 1_000
    assert stats["c2"].scope == "layer" and stats["c2"].cpa_cents == 1_200


def test_classify_all_covers_every_ad_with_inputs():
    out = classify_all(inputs([ad("a", spend=6_000), ad("b", spend=900, installs=1)]))
    assert list(out) == ["a", "b"]
    assert out["a"].inputs["spend7dCents"] == 6_000
    assert out["a"].inputs["installs7d"] == 0
    assert out["b"].inputs["cpa7dCents"] == 900
