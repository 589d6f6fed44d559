"""Which creatives may be launched, and which ones an adset gets.

**Eligible** (§19): ``organic_score ≥ 4.0`` or ``override = include``, and never ``override =
exclude``, never ``safety_failed``. The score comes from `layers.metrics.performers` (the same
4.0 gate); an organic score never pauses a running ad, it only picks new ones.

**Selection for one adset**:

1. drop what already runs in the adset (``already_in_adsets``, or any ad of the adset, any
   status but archived/deleted, showing that content) and what this pass already launched there;
2. bucket by pool (``generated | ugc | manual``), rank each pool by ``organic_score`` (highest
   first; ties by content id; an ``include`` without a score ranks last in its pool);
3. take the top N of each pool (``generatedSlots`` / ``ugcSlots`` / ``manualSlots``, 3 each);
4. merge the pools by weighted score (``organicScoreWeight`` per pool, 1.0 each by default);
5. cap by the adset's free room: ``maxCreativesPerAdset`` (10) minus its running ads
   (active or in review), and the platform's ads-per-adset limit (Meta 50) minus every ad it
   holds that is not archived or deleted. A full adset gets nothing (skipped).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from layers.ads.optimizer.types import (
    GONE_STATUSES,
    RUNNING_STATUSES,
    AdFacts,
    AdsetFacts,
    Creative,
    Override,
    Pool,
    Replacement,
    Settings,
)

ELIGIBLE_SCORE = 4.0


def is_eligible(creative: Creative) -> bool:
    if creative.override is Override.EXCLUDE or creative.safety_failed:
        return False
    if creative.override is Override.INCLUDE:
        return True
    return creative.organic_score is not None and creative.organic_score >= ELIGIBLE_SCORE


def capacity(adset: AdsetFacts, ads: Iterable[AdFacts], settings: Settings) -> int:
    """New ads the adset can still take (0 when full)."""
    return min(room(adset, settings, *occupancy(adset.adset_id, ads)))


def occupancy(adset_id: str, ads: Iterable[AdFacts]) -> tuple[int, int]:
    """(running ads, ads counting towards the platform limit) of an adset."""
    running = occupying = 0
    for ad in ads:
        if ad.adset_id == adset_id:
            running += ad.status in RUNNING_STATUSES
            occupying += ad.status not in GONE_STATUSES
    return running, occupying


def room(adset: AdsetFacts, settings: Settings, running: int, occupying: int) -> tuple[int, int]:
    """(room under ``maxCreativesPerAdset``, room under the platform limit), never negative."""
    platform_max = adset.max_ads if adset.max_ads is not None else settings.platform_max_ads
    return max(0, settings.max_creatives_per_adset - running), max(0, platform_max - occupying)


def _rank_key(creative: Creative) -> tuple[float, str]:
    score = creative.organic_score if creative.organic_score is not None else float("-inf")
    return (-score, creative.content_id)


def select(
    adset: AdsetFacts,
    ads: Sequence[AdFacts],
    creatives: Iterable[Creative],
    settings: Settings,
    *,
    room: int | None = None,
    taken: Iterable[str] = (),
) -> list[Creative]:
    """The creatives to launch in `adset`, best first (see the module docstring).

    `room` overrides the computed free room (the caller accounts for this pass's own
    launches and pauses); `taken` are content ids already chosen for this adset in this pass."""
    in_adset = {
        ad.content_id
        for ad in ads
        if ad.adset_id == adset.adset_id and ad.content_id and ad.status not in GONE_STATUSES
    }
    in_adset.update(taken)
    free = capacity(adset, ads, settings) if room is None else room
    if free <= 0:
        return []
    by_pool: dict[Pool, list[Creative]] = {pool: [] for pool in Pool}
    for creative in creatives:
        if (
            is_eligible(creative)
            and creative.content_id not in in_adset
            and adset.adset_id not in creative.already_in_adsets
        ):
            by_pool[creative.pool].append(creative)
    chosen: list[Creative] = []
    for pool, members in by_pool.items():
        chosen.extend(sorted(members, key=_rank_key)[: max(0, settings.slots(pool))])

    def weighted(creative: Creative) -> tuple[float, str]:
        weight = settings.pool_weights.get(creative.pool.value, 1.0)
        score = creative.organic_score if creative.organic_score is not None else float("-inf")
        return (-(score * weight), creative.content_id)

    return sorted(chosen, key=weighted)[:free]


def replacement(creative: Creative) -> Replacement:
    return Replacement(
        content_id=creative.content_id,
        pool=creative.pool,
        organic_score=creative.organic_score,
        override=creative.override,
    )
