"""ad-optimize and content-refresh plans: swaps, holds that say why, budgets, authority."""

from __future__ import annotations

import json

from layers.ads.optimizer import (
    Action,
    AdClass,
    Authority,
    AuthorityPolicy,
    Mode,
    Outcome,
    Pool,
    Settings,
    optimize,
    refresh,
)
from tests.ads.optimizer.factories import ad, adset, creative, inputs


def by_subject(plan):
    return {d.subject_id: d for d in plan.decisions}


def story():
    """One adset: a CRITICAL ad, a young one, a healthy one; three creatives to pick from."""
    ads = [
        ad("ad_crit", spend=6_000),
        ad("ad_young", age=2, spend=3_000),
        ad("ad_ok", spend=10_000, installs=10),
    ]
    creatives = [
        creative("cnt_low", 4.2, pool=Pool.UGC),
        creative("cnt_top", 8.7),
        creative("cnt_bad", 2.0),
    ]
    return inputs(ads, creatives=creatives)


def test_pauses_the_critical_ad_replaces_it_and_holds_the_young_one():
    plan = optimize(story())
    d = by_subject(plan)
    crit = d["ad_crit"]
    assert crit.action is Action.PAUSE and crit.klass is AdClass.CRITICAL
    assert crit.replacement is not None and crit.replacement.content_id == "cnt_top"
    assert crit.replacement.organic_score == 8.7
    assert crit.guardrails_passed == (
        "min_age_3d",
        "min_spend_5",
        "actionable_class",
        "keeps_an_active_ad",
    )
    assert crit.authority is Outcome.DISPATCH and crit.axis == "creative"
    assert crit.inputs["spend7dCents"] == 6_000 and crit.inputs["installs7d"] == 0
    assert "cnt_top" in crit.reason and "0 installs" in crit.reason
    young = d["ad_young"]
    assert young.action is Action.HOLD and young.klass is AdClass.TOO_YOUNG
    assert young.reason == "Hold — guardrail (only 2 days old)"
    assert young.guardrail_blocked == "min_age_3d" and young.authority is None
    assert d["ad_ok"].action is Action.HOLD and d["ad_ok"].klass is AdClass.HEALTHY
    assert len(plan.classifications) == 3
    rendered = json.loads(json.dumps(plan.to_json()))
    assert rendered["summary"] == {"hold": 2, "pause:dispatch": 1}
    assert rendered["decisions"][0]["replacement"]["organic_score"] == 8.7


def test_several_pauses_in_one_adset_never_take_the_last_active_ad():
    ads = [
        ad("a", spend=1_800, installs=1),  # underperforming (CPA ≥ 1.5 × pool)
        ad("b", spend=7_000),  # critical
        ad("c", spend=2_000),  # underperforming (score)
        ad("ref", adset="as_9", spend=100_000, installs=100),  # the pool: CPA ≈ 10.00
    ]
    plan = optimize(inputs(ads, [adset("as_1")]))
    d = by_subject(plan)
    assert d["b"].action is Action.PAUSE  # worst first
    mine = [x for x in plan.decisions if x.adset_id == "as_1"]
    paused = [x for x in mine if x.action is Action.PAUSE]
    held = [x for x in mine if x.action is Action.HOLD]
    assert len(paused) == 2 and len(held) == 1
    assert held[0].guardrail_blocked == "keeps_an_active_ad"
    assert held[0].proposed is Action.PAUSE
    assert "last active ad" in held[0].reason
    assert all(x.replacement is None and x.axis == "structural" for x in paused)
    assert "no eligible creative left" in paused[0].reason


def test_a_swap_may_replace_the_last_active_ad():
    plan = optimize(inputs([ad("solo", spend=9_000)], creatives=[creative("cnt", 5.0)]))
    (decision,) = plan.decisions
    assert decision.action is Action.PAUSE and decision.replacement is not None


def test_no_replacement_at_the_platform_limit():
    ads = [ad("x", spend=9_000), ad("y", spend=5_000, installs=5)]
    ads += [ad(f"p{i}", status="paused") for i in range(48)]
    plan = optimize(inputs(ads, creatives=[creative("cnt", 9.0)]))
    x = by_subject(plan)["x"]
    assert x.action is Action.PAUSE and x.replacement is None
    assert "platform's ads limit" in x.reason


def test_a_pending_pause_is_not_proposed_again_and_counts_as_gone():
    ads = [ad("a", spend=9_000), ad("b", spend=8_000)]
    plan = optimize(inputs(ads, pending=["a"]))
    d = by_subject(plan)
    assert d["a"].action is Action.HOLD and "awaits approval" in d["a"].reason
    assert d["b"].action is Action.HOLD and d["b"].guardrail_blocked == "keeps_an_active_ad"


def test_paused_adsets_and_paused_ads_are_left_alone():
    ads = [ad("a", adset="as_p", spend=9_000), ad("b", status="paused", spend=9_000)]
    plan = optimize(inputs(ads, [adset("as_p", status="paused"), adset("as_1")]))
    assert plan.decisions == ()


def budget_inputs(budget, *, changed=None, spend=2_000, installs=10, target=1_000, **kw):
    ads = [
        ad("a", spend=spend, installs=installs),
        ad("b", spend=spend, installs=installs),
        # the rest of the campaign (an adset without its own budget): pool CPA ≈ 13.50
        ad("ref", adset="as_9", spend=50_000, installs=20),
    ]
    return inputs(
        ads,
        [adset(budget=budget, changed_hours_ago=changed)],
        settings=Settings(target_cpa_cents=target),
        **kw,
    )


def adset_decision(plan):
    return next(d for d in plan.decisions if d.subject_kind == "adset")


def test_scale_up_a_top_performing_adset_well_under_target():
    plan = optimize(budget_inputs(10_000))
    d = adset_decision(plan)
    assert d.action is Action.ADJUST_BUDGET
    assert (d.previous_amount_cents, d.amount_cents) == (10_000, 12_000)
    assert d.axis == "tactical" and d.authority is Outcome.DISPATCH
    assert d.guardrails_passed == ("max_change_50pct", "max_change_100", "cooldown_48h")
    assert d.reason.startswith("Scale up — 7-day CPA $2.00 well under target $10.00")


def test_scale_up_is_capped_at_one_hundred_dollars():
    d = adset_decision(optimize(budget_inputs(100_000)))
    assert d.amount_cents == 110_000
    assert "capped from $200.00 to $100.00" in d.reason


def test_scale_down_far_over_target_and_never_under_the_minimum():
    d = adset_decision(optimize(budget_inputs(10_000, spend=8_000, installs=4, target=1_000)))
    assert d.action is Action.ADJUST_BUDGET and d.amount_cents == 8_000
    floor = adset_decision(optimize(budget_inputs(100, spend=8_000, installs=4)))
    assert floor.action is Action.HOLD and "minimum" in floor.reason


def test_cooldown_holds_a_budget_move():
    d = adset_decision(optimize(budget_inputs(10_000, changed=20)))
    assert d.action is Action.HOLD and d.proposed is Action.ADJUST_BUDGET
    assert d.guardrail_blocked == "cooldown_48h"
    assert d.reason.startswith("Hold — guardrail (last budget change 20 h ago (cooldown 48 h))")
    assert d.authority is None
    assert adset_decision(optimize(budget_inputs(10_000, changed=48))).action is (
        Action.ADJUST_BUDGET
    )


def test_no_budget_moves_without_target_or_adset_budget_or_reason():
    assert not any(d.subject_kind == "adset" for d in optimize(budget_inputs(None)).decisions)
    no_target = budget_inputs(10_000, target=None)
    no_target = type(no_target)(**{**no_target.__dict__, "settings": Settings()})
    assert not any(d.subject_kind == "adset" for d in optimize(no_target).decisions)
    on_target = budget_inputs(10_000, spend=10_000, installs=10)  # CPA = target
    assert not any(d.subject_kind == "adset" for d in optimize(on_target).decisions)


def test_authority_draft_is_pending_off_is_denied():
    draft = AuthorityPolicy(Authority(Mode.DRAFT, Mode.DRAFT, Mode.DRAFT))
    plan = optimize(inputs(story().ads, creatives=story().creatives, authority=draft))
    assert {d.authority for d in plan.decisions if d.writes} == {Outcome.PENDING}
    assert plan.to_dispatch == () and len(plan.pending) == 1
    off = AuthorityPolicy(Authority(Mode.OFF, Mode.AUTO, Mode.AUTO))
    crit = by_subject(optimize(inputs(story().ads, creatives=story().creatives, authority=off)))
    assert crit["ad_crit"].authority is Outcome.DENIED
    assert crit["ad_crit"].denial_code == "authority_axis_off"


def test_refresh_swaps_then_fills_up_to_max_new_creatives_and_never_budgets():
    ads = [ad("a", spend=9_000), ad("b", spend=5_000, installs=5)]
    creatives = [creative(f"c{i}", 9.0 - i) for i in range(3)]
    creatives += [creative(f"u{i}", 8.5 - i, pool=Pool.UGC) for i in range(3)]
    plan = refresh(
        inputs(ads, [adset(budget=10_000)], creatives, settings=Settings(target_cpa_cents=5_000))
    )
    assert plan.kind == "content-refresh"
    assert all(d.action is not Action.ADJUST_BUDGET for d in plan.decisions)
    launched = [d.replacement.content_id for d in plan.decisions if d.replacement]
    assert launched == ["c0", "u0", "c1"]  # 1 replacement + 2 fresh = maxNewCreatives 3
    creates = [d for d in plan.decisions if d.action is Action.CREATE_AD]
    assert len(creates) == 2 and all(d.axis == "creative" for d in creates)


def test_refresh_respects_max_creatives_per_adset_and_says_when_full():
    ads = [ad(f"a{i}", spend=5_000, installs=5) for i in range(10)]
    plan = refresh(inputs(ads, creatives=[creative("c", 9.0)]))
    hold = [d for d in plan.decisions if d.subject_kind == "adset"]
    assert len(hold) == 1 and hold[0].action is Action.HOLD
    assert "adset full" in hold[0].reason
    nothing = refresh(inputs([ad("a", spend=5_000, installs=5)]))
    assert "no eligible creative" in by_subject(nothing)["as_1"].reason
    room = refresh(inputs(ads[:8], creatives=[creative(f"c{i}", 9.0) for i in range(5)]))
    assert sum(d.action is Action.CREATE_AD for d in room.decisions) == 2
