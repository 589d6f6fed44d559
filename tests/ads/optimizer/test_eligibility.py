"""Creative eligibility and selection by pools, caps, full adsets and exclusions."""

from __future__ import annotations

from layers.ads.optimizer import Override, Pool, Settings
from layers.ads.optimizer.eligibility import ELIGIBLE_SCORE, capacity, is_eligible, select
from layers.metrics import performers
from tests.ads.optimizer.factories import ad, adset, creative


def test_the_gate_is_the_metrics_domain_gate():
    assert performers.ELIGIBLE_SCORE == ELIGIBLE_SCORE
    for score in (None, 0.0, 3.9, 4.0, 7.5):
        for override in (None, Override.INCLUDE, Override.EXCLUDE):
            ours = is_eligible(creative("c", score, override=override))
            theirs = performers.is_eligible(score, override.value if override else None)
            assert ours == theirs, (score, override)


def test_eligibility_rules():
    assert is_eligible(creative("c", 4.0))
    assert not is_eligible(creative("c", 3.99))
    assert not is_eligible(creative("c", None))
    assert is_eligible(creative("c", 1.0, override=Override.INCLUDE))
    assert is_eligible(creative("c", None, override=Override.INCLUDE))
    assert not is_eligible(creative("c", 9.0, override=Override.EXCLUDE))
    assert not is_eligible(creative("c", 9.0, safety_failed=True))
    assert not is_eligible(creative("c", 9.0, override=Override.INCLUDE, safety_failed=True))


def pool_of(prefix, pool, scores):
    return [creative(f"{prefix}{i}", s, pool=pool) for i, s in enumerate(scores)]


CREATIVES = [
    *pool_of("g", Pool.GENERATED, [9.0, 8.0, 7.0, 6.0, 5.0]),
    *pool_of("u", Pool.UGC, [8.5, 4.5, 3.0]),
    *pool_of("m", Pool.MANUAL, [4.1, 9.5, 6.5, 5.5]),
]


def ids(picks):
    return [c.content_id for c in picks]


def test_top_n_per_pool_merged_by_score():
    picks = select(adset(), [], CREATIVES, Settings())
    # top 3 generated, the 2 eligible UGC, top 3 manual; best first across pools
    assert ids(picks) == ["m1", "g0", "u0", "g1", "g2", "m2", "m3", "u1"]


def test_slots_per_pool_are_configurable():
    settings = Settings(generated_slots=1, ugc_slots=0, manual_slots=2)
    assert ids(select(adset(), [], CREATIVES, settings)) == ["m1", "g0", "m2"]


def test_pool_weights_order_across_pools_only():
    settings = Settings(pool_weights={"generated": 2.0, "ugc": 1.0, "manual": 1.0})
    picks = ids(select(adset(), [], CREATIVES, settings))
    assert picks[:3] == ["g0", "g1", "g2"]
    assert picks.index("m1") < picks.index("m2")


def test_capped_by_max_creatives_per_adset():
    running = [ad(f"a{i}") for i in range(7)]
    picks = select(adset(), running, CREATIVES, Settings())
    assert ids(picks) == ["m1", "g0", "u0"]  # 10 - 7 running
    assert select(adset(), running, CREATIVES, Settings(max_creatives_per_adset=7)) == []


def test_capped_by_the_platform_limit_and_full_adsets_are_skipped():
    paused = [ad(f"p{i}", status="paused") for i in range(48)]
    assert capacity(adset(), paused, Settings()) == 2
    assert ids(select(adset(), paused, CREATIVES, Settings())) == ["m1", "g0"]
    assert select(adset(max_ads=48), paused, CREATIVES, Settings()) == []
    archived = [ad(f"x{i}", status="archived") for i in range(60)]
    assert capacity(adset(), archived, Settings()) == 10


def test_never_a_creative_already_in_that_adset():
    in_adset = [ad("a1", content_id="m1"), ad("a2", content_id="g0", status="paused")]
    tagged = [
        creative("u0", 8.5, pool=Pool.UGC, in_adsets=["as_1"]),
        creative("u9", 8.4, pool=Pool.UGC, in_adsets=["as_2"]),
    ]
    base = [c for c in CREATIVES if c.content_id != "u0"]
    picks = ids(select(adset(), in_adset, base + tagged, Settings()))
    assert "m1" not in picks and "g0" not in picks and "u0" not in picks
    assert "u9" in picks
    # content already launched by this pass counts too
    assert "m2" not in ids(select(adset(), [], CREATIVES, Settings(), taken=["m2"]))


def test_explicit_room():
    assert ids(select(adset(), [], CREATIVES, Settings(), room=1)) == ["m1"]
    assert select(adset(), [], CREATIVES, Settings(), room=0) == []


def test_excluded_and_unsafe_are_never_selected():
    bad = [
        creative("x", 9.9, override=Override.EXCLUDE),
        creative("y", 9.8, safety_failed=True),
        creative("z", None, pool=Pool.MANUAL, override=Override.INCLUDE),
    ]
    assert ids(select(adset(), [], bad, Settings())) == ["z"]
