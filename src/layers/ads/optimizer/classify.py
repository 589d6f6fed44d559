"""Classify every ad: a 0–100 performance score, then one class by fixed precedence.

**Performance score** (7-day window). The *pool* is the ad's campaign (all its ads, any
status); when the campaign has no install in 7 days the whole layer is the pool.

* References: ``pool CPA`` = pool spend / pool installs, ``pool CTR`` = clicks / impressions,
  ``pool CVR`` = installs / clicks; ``target`` = the layer's target CPA (optional).
* The ad's rates are smoothed towards the pool so that a small sample reads as average, not
  as extreme: ``CPA* = (spend + ref) / (installs + 1)`` with ``ref`` = pool CPA (else target);
  ``CTR* = (clicks + 1000·poolCTR) / (impressions + 1000)``; ``CVR* = (installs + 20·poolCVR) /
  (clicks + 20)``.
* Each comparison is a ratio *r* where above 1 is better, scored ``clamp(50·r, 0, 100)`` (on
  par = 50, twice as good = 100): ``target / CPA*`` (weight 40), ``poolCPA / CPA*`` (30),
  ``CTR* / poolCTR`` (15), ``CVR* / poolCVR`` (15). Missing references drop out and the
  remaining weights are renormalised; with none the score is 50. Rounded half up.

**Precedence** (the first rule that matches wins):

1. ``TOO_YOUNG`` — under 3 days old.
2. ``LEARNING_PHASE`` — the platform reports learning.
3. ``CRITICAL`` — more than 50.00 spent in 7 days with 0 installs, or 7-day CPA > 2.5 × pool CPA.
4. ``UNDERPERFORMING`` — fallback: over 30 days old and no delivery at all in 30 days.
5. ``TOP_PERFORMER`` — score ≥ 80.
6. ``FATIGUED`` — 7-day spend ≥ 20.00, the last 7 days' CPA ≥ 1.3 × the 7 days before
   (≥ 1.5 × when the platform reports no frequency), and frequency ≥ 3.0 (when reported).
   With no install in the last 7 days the recent CPA is at least its spend.
7. ``UNDERPERFORMING`` — 7-day CPA ≥ 1.5 × pool CPA and above the target (when set).
8. ``HEALTHY`` — score ≥ 50.
9. ``UNDERPERFORMING`` — score < 50.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from layers.ads.optimizer.types import (
    AdClass,
    AdFacts,
    Classification,
    OptimizerInputs,
    Settings,
    WindowMetrics,
    money,
)

MIN_AGE_DAYS = 3
TOP_SCORE = 80
HEALTHY_SCORE = 50
CRITICAL_ZERO_INSTALL_SPEND_CENTS = 5000
CRITICAL_CPA_MULTIPLE = (5, 2)  # 2.5 as a fraction: CPA·2 > 5·pool
UNDERPERFORMING_CPA_MULTIPLE = (3, 2)  # 1.5
STALE_AGE_DAYS = 30
FATIGUE_MIN_SPEND_CENTS = 2000
FATIGUE_GROWTH = (13, 10)  # 1.3
FATIGUE_GROWTH_NO_FREQUENCY = (3, 2)  # 1.5
FATIGUE_FREQUENCY = 3.0
WEIGHTS = {"target": 40, "pool_cpa": 30, "ctr": 15, "cvr": 15}
PRIOR_IMPRESSIONS = 1000
PRIOR_CLICKS = 20


@dataclass(frozen=True)
class PoolStats:
    """What an ad is compared with: its campaign's 7-day totals (or the layer's)."""

    totals: WindowMetrics
    scope: str
    """``campaign`` or ``layer``."""

    @property
    def cpa_cents(self) -> int | None:
        return self.totals.cpa_cents

    @property
    def ctr(self) -> float | None:
        t = self.totals
        return t.clicks / t.impressions if t.impressions > 0 else None

    @property
    def cvr(self) -> float | None:
        t = self.totals
        return t.installs / t.clicks if t.clicks > 0 else None


def pools(ads: Iterable[AdFacts]) -> dict[str, PoolStats]:
    """Each campaign's pool; campaigns without an install in 7 days get the layer's pool."""
    per_campaign: dict[str, WindowMetrics] = {}
    layer = WindowMetrics()
    for ad in ads:
        per_campaign[ad.campaign_id] = per_campaign.get(ad.campaign_id, WindowMetrics()) + (
            ad.metrics.d7
        )
        layer = layer + ad.metrics.d7
    return {
        campaign: PoolStats(totals, "campaign")
        if totals.installs > 0
        else PoolStats(layer, "layer")
        for campaign, totals in per_campaign.items()
    }


def _ratio_score(ratio: float) -> float:
    return max(0.0, min(100.0, 50.0 * ratio))


def score(ad: AdFacts, pool: PoolStats, target_cpa_cents: int | None) -> int:
    """The 0–100 performance score of the module docstring."""
    m = ad.metrics.d7
    parts: dict[str, float] = {}
    ref = pool.cpa_cents or target_cpa_cents
    if ref:
        cpa = (m.spend_cents + ref) / (m.installs + 1)
        if target_cpa_cents:
            parts["target"] = _ratio_score(target_cpa_cents / cpa)
        if pool.cpa_cents:
            parts["pool_cpa"] = _ratio_score(pool.cpa_cents / cpa)
    pool_ctr, pool_cvr = pool.ctr, pool.cvr
    if pool_ctr:
        ctr = (m.clicks + PRIOR_IMPRESSIONS * pool_ctr) / (m.impressions + PRIOR_IMPRESSIONS)
        parts["ctr"] = _ratio_score(ctr / pool_ctr)
    if pool_cvr:
        cvr = (m.installs + PRIOR_CLICKS * pool_cvr) / (m.clicks + PRIOR_CLICKS)
        parts["cvr"] = _ratio_score(cvr / pool_cvr)
    if not parts:
        return HEALTHY_SCORE
    weight = sum(WEIGHTS[k] for k in parts)
    value = sum(WEIGHTS[k] * v for k, v in parts.items()) / weight
    return int(value + 0.5)


def _times(value: int, multiple: tuple[int, int], reference: int) -> bool:
    """``value ≥ multiple × reference`` in integers (multiple as numerator, denominator)."""
    num, den = multiple
    return value * den >= num * reference


def fatigue(ad: AdFacts, currency: str = "USD") -> str | None:
    """Why the ad is fatigued, or ``None``."""
    m, trend, freq = ad.metrics.d7, ad.metrics.trend, ad.metrics.frequency
    if trend is None or m.spend_cents < FATIGUE_MIN_SPEND_CENTS or trend.earlier.installs <= 0:
        return None
    growth = FATIGUE_GROWTH if freq is not None else FATIGUE_GROWTH_NO_FREQUENCY
    if freq is not None and freq < FATIGUE_FREQUENCY:
        return None
    recent, earlier = trend.recent, trend.earlier
    # recent CPA ≥ growth × earlier CPA, cross-multiplied (recent installs 0 → CPA ≥ spend)
    lhs = recent.spend_cents * earlier.installs
    rhs = earlier.spend_cents * max(recent.installs, 1)
    if not _times(lhs, growth, rhs):
        return None
    earlier_cpa = earlier.cpa_cents or 0
    recent_cpa = recent.cpa_cents
    recent_text = money(recent_cpa, currency) if recent_cpa is not None else "no install"
    freq_text = f", frequency {freq:.1f}" if freq is not None else ""
    before = money(earlier_cpa, currency)
    return f"CPA rising: {recent_text} last 7 d vs {before} the 7 d before{freq_text}"


def classify(
    ad: AdFacts, now: datetime, pool: PoolStats, settings: Settings = Settings()
) -> Classification:
    m = ad.metrics.d7
    cur = settings.currency
    target = settings.target_cpa_cents
    age = ad.age_days(now)
    value = score(ad, pool, target)
    pool_cpa = pool.cpa_cents
    inputs: dict[str, Any] = {
        "ageDays": round(age, 1),
        "spend7dCents": m.spend_cents,
        "installs7d": m.installs,
        "cpa7dCents": m.cpa_cents,
        "targetCpaCents": target,
        "poolCpaCents": pool_cpa,
        "poolScope": pool.scope,
        "ctr7d": round(m.clicks / m.impressions, 4) if m.impressions else None,
        "frequency": ad.metrics.frequency,
        "spend30dCents": ad.metrics.d30.spend_cents,
        "learning": ad.learning,
        "score": value,
    }

    def result(klass: AdClass, reason: str) -> Classification:
        return Classification(
            ad_id=ad.ad_id,
            adset_id=ad.adset_id,
            campaign_id=ad.campaign_id,
            klass=klass,
            score=value,
            reason=reason,
            inputs=inputs,
        )

    if age < MIN_AGE_DAYS:
        return result(AdClass.TOO_YOUNG, f"only {int(age)} days old")
    if ad.learning:
        return result(AdClass.LEARNING_PHASE, "the platform reports the learning phase")
    if m.installs == 0 and m.spend_cents > CRITICAL_ZERO_INSTALL_SPEND_CENTS:
        limit = money(CRITICAL_ZERO_INSTALL_SPEND_CENTS, cur)
        return result(
            AdClass.CRITICAL,
            f"{money(m.spend_cents, cur)} spent in 7 d with 0 installs (over {limit})",
        )
    if m.installs > 0 and pool_cpa and m.spend_cents * 2 > 5 * pool_cpa * m.installs:
        return result(
            AdClass.CRITICAL,
            f"CPA {money(m.cpa_cents or 0, cur)} is over 2.5× the pool's {money(pool_cpa, cur)}",
        )
    if age > STALE_AGE_DAYS and not ad.metrics.has_metrics:
        return result(
            AdClass.UNDERPERFORMING,
            f"no delivery in 30 days at {int(age)} days old (fallback)",
        )
    if value >= TOP_SCORE:
        return result(AdClass.TOP_PERFORMER, f"score {value} ≥ {TOP_SCORE}")
    why_fatigued = fatigue(ad, cur)
    if why_fatigued:
        return result(AdClass.FATIGUED, why_fatigued)
    cpa = m.cpa_cents
    if (
        cpa is not None
        and pool_cpa
        and _times(m.spend_cents, UNDERPERFORMING_CPA_MULTIPLE, pool_cpa * m.installs)
        and (target is None or cpa > target)
    ):
        vs_target = f", target {money(target, cur)}" if target else ""
        return result(
            AdClass.UNDERPERFORMING,
            f"CPA {money(cpa, cur)} is ≥ 1.5× the pool's {money(pool_cpa, cur)}{vs_target}",
        )
    if value >= HEALTHY_SCORE:
        return result(AdClass.HEALTHY, f"score {value} ≥ {HEALTHY_SCORE}")
    return result(AdClass.UNDERPERFORMING, f"score {value} < {HEALTHY_SCORE}")


def classify_all(inputs: OptimizerInputs) -> dict[str, Classification]:
    """Every ad of `inputs` (any status), by ad id, in input order."""
    stats = pools(inputs.ads)
    return {
        ad.ad_id: classify(ad, inputs.now, stats[ad.campaign_id], inputs.settings)
        for ad in inputs.ads
    }
