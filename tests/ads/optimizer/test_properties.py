"""Property tests over random ad pools: the guardrails and authority hold for every plan."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.ads.optimizer import (
    Action,
    AdFacts,
    AdMetrics,
    AdsetFacts,
    Authority,
    AuthorityPolicy,
    CpaTrend,
    Creative,
    Mode,
    OptimizerInputs,
    Outcome,
    Override,
    Plan,
    Pool,
    Settings,
    WindowMetrics,
    classify_all,
    is_eligible,
    optimize,
    refresh,
    watchdog,
)
from layers.ads.optimizer.authority import axis_for
from layers.ads.optimizer.types import PROTECTED as PROTECTED_CLASSES
from tests.ads.optimizer.factories import NOW

STATUSES = ["active"] * 6 + ["paused", "in_review", "archived", "rejected"]
CAMPAIGNS = ["cmp_a", "cmp_b", "cmp_c"]


def windows(rng: random.Random) -> AdMetrics:
    spend = rng.choice([0, rng.randint(0, 800), rng.randint(0, 20_000)])
    installs = rng.choice([0, 0, rng.randint(0, 3), rng.randint(0, 40)])
    impressions = rng.randint(0, 50_000)
    clicks = rng.randint(0, impressions // 10)
    week = WindowMetrics(spend, impressions, clicks, installs)
    day = WindowMetrics(
        rng.choice([rng.randint(0, spend), spend]),
        impressions // 7,
        clicks // 7,
        rng.randint(0, installs),
    )
    earlier = WindowMetrics(rng.randint(0, 20_000), installs=rng.randint(0, 40))
    return AdMetrics(
        d1=day,
        d3=day,
        d7=week,
        d14=week + earlier,
        d30=week + earlier,
        frequency=rng.choice([None, rng.uniform(0.5, 8.0)]),
        trend=rng.choice([None, CpaTrend(earlier, week)]),
    )


@st.composite
def modes(draw) -> Authority:
    axis = st.sampled_from(list(Mode))
    return Authority(draw(axis), draw(axis), draw(axis), kill_switch=draw(st.booleans()))


@st.composite
def pools(draw) -> OptimizerInputs:
    """A layer: 1–5 adsets of 1–12 ads. The structure and the knobs are drawn one by one; each
    ad's numbers come from a `random.Random` of a drawn seed (replayable; hypothesis shows the
    seed of a failing example), which keeps generation fast."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    ads: list[AdFacts] = []
    adsets: list[AdsetFacts] = []
    content = [f"cnt_{i}" for i in range(12)]
    for s in range(draw(st.integers(1, 5))):
        adset_id = f"as_{s}"
        campaign = draw(st.sampled_from(CAMPAIGNS))
        changed = draw(st.one_of(st.none(), st.floats(0, 200)))
        adsets.append(
            AdsetFacts(
                adset_id=adset_id,
                campaign_id=campaign,
                daily_budget_cents=draw(st.one_of(st.none(), st.integers(1, 300_000))),
                last_budget_change_at=None if changed is None else NOW - timedelta(hours=changed),
                max_ads=draw(st.one_of(st.none(), st.integers(1, 15))),
                status=draw(st.sampled_from(["active", "active", "active", "paused"])),
            )
        )
        for a in range(draw(st.integers(1, 12))):
            ads.append(
                AdFacts(
                    ad_id=f"ad_{s}_{a}",
                    adset_id=adset_id,
                    campaign_id=campaign,
                    status=rng.choice(STATUSES),
                    created_at=NOW - timedelta(days=rng.choice([rng.uniform(0, 60), 3, 30.5])),
                    metrics=windows(rng),
                    learning=rng.random() < 0.2,
                    content_id=rng.choice([None, *content]),
                )
            )
    adset_ids = [a.adset_id for a in adsets]
    creatives = [
        Creative(
            content_id=cid,
            pool=rng.choice(list(Pool)),
            organic_score=rng.choice([None, round(rng.uniform(0, 10), 1), 4.0]),
            override=rng.choice([None, None, *Override]),
            safety_failed=rng.random() < 0.1,
            already_in_adsets=frozenset(rng.sample(adset_ids, rng.randint(0, len(adset_ids)))),
        )
        for cid in rng.sample(content, draw(st.integers(0, len(content))))
    ]
    campaign_blocks = draw(st.dictionaries(st.sampled_from(CAMPAIGNS), modes(), max_size=3))
    return OptimizerInputs(
        now=NOW,
        ads=ads,
        adsets=adsets,
        creatives=creatives,
        settings=Settings(
            target_cpa_cents=draw(st.one_of(st.none(), st.integers(100, 5_000))),
            generated_slots=draw(st.integers(0, 4)),
            ugc_slots=draw(st.integers(0, 4)),
            manual_slots=draw(st.integers(0, 4)),
            max_creatives_per_adset=draw(st.integers(1, 12)),
            max_new_creatives=draw(st.integers(0, 5)),
            scale_step_pct=draw(st.integers(1, 90)),
        ),
        authority=AuthorityPolicy(draw(modes()), campaign_blocks),
        pending_ad_ids=frozenset(
            rng.sample([a.ad_id for a in ads], min(len(ads), rng.randint(0, 3)))
        ),
    )


# ~2 s of CPU for both tests together on an idle machine
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def active_after(inputs: OptimizerInputs, plan: Plan) -> Counter[str]:
    """Active ads per adset once every pause and launch of the plan has landed — whatever
    authority said (pending ones may be approved later), pending pauses included."""
    left: Counter[str] = Counter()
    for ad in inputs.ads:
        if ad.active and ad.ad_id not in inputs.pending_ad_ids:
            left[ad.adset_id] += 1
    for d in plan.decisions:
        if d.action is Action.PAUSE:
            left[d.adset_id] -= 1
        if d.replacement is not None and d.action is not Action.HOLD:
            left[d.adset_id] += 1  # the swap's (or launch's) new ad, live before the pause
    return left


def check_common(inputs: OptimizerInputs, plan: Plan) -> None:
    before = Counter(
        a.adset_id for a in inputs.ads if a.active and a.ad_id not in inputs.pending_ad_ids
    )
    after = active_after(inputs, plan)
    for adset_id, count in before.items():
        assert after[adset_id] >= 1, (adset_id, count, plan.decisions)
    classes = classify_all(inputs)
    ads = {a.ad_id: a for a in inputs.ads}
    for d in plan.decisions:
        if d.action is Action.PAUSE:
            assert classes[d.subject_id].klass not in PROTECTED_CLASSES
            assert d.klass not in PROTECTED_CLASSES
            assert ads[d.subject_id].age_days(NOW) >= 3
            assert d.subject_id not in inputs.pending_ad_ids
            assert d.guardrail_blocked is None
        check_authority(inputs, d)
    json.dumps(plan.to_json())
    launched = Counter(
        (d.adset_id, d.replacement.content_id)
        for d in plan.decisions
        if d.replacement is not None and d.action is not Action.HOLD
    )
    creatives = {c.content_id: c for c in inputs.creatives}
    for (adset_id, content_id), times in launched.items():
        assert times == 1
        c = creatives[content_id]
        assert is_eligible(c) and adset_id not in c.already_in_adsets
        assert all(
            a.content_id != content_id
            for a in inputs.ads
            if a.adset_id == adset_id and a.status not in ("archived", "deleted")
        )


def check_authority(inputs: OptimizerInputs, d) -> None:
    if d.action is Action.HOLD:
        assert d.authority is None
        return
    policy = inputs.authority
    block = policy.campaigns.get(d.campaign_id, policy.defaults)
    killed = policy.defaults.kill_switch or block.kill_switch
    mode = block.mode(axis_for(d.action, with_replacement=d.replacement is not None))
    if killed or mode is Mode.OFF:
        assert d.authority is Outcome.DENIED
    elif mode is Mode.DRAFT:
        assert d.authority is Outcome.PENDING
    else:
        assert d.authority is Outcome.DISPATCH
    assert d.authority is not Outcome.DISPATCH or (mode is Mode.AUTO and not killed)


def check_budgets(inputs: OptimizerInputs, plan: Plan) -> None:
    adsets = {s.adset_id: s for s in inputs.adsets}
    moved = Counter()
    for d in plan.decisions:
        if d.action is not Action.ADJUST_BUDGET:
            continue
        adset = adsets[d.subject_id]
        moved[d.subject_id] += 1
        old, new = d.previous_amount_cents, d.amount_cents
        assert old == adset.daily_budget_cents and old is not None and new is not None
        change = abs(new - old)
        assert change > 0 and change * 2 <= old and change <= 10_000
        last = adset.last_budget_change_at
        assert last is None or NOW - last >= timedelta(hours=48)
    assert all(n == 1 for n in moved.values())


@PROPERTY
@given(pools())
def test_every_plan_keeps_every_guardrail(inputs):
    """optimize, refresh and watchdog over the same random layer."""
    plan = optimize(inputs)
    check_common(inputs, plan)
    check_budgets(inputs, plan)
    # every active ad of an active adset ends as exactly one decision
    live = {s.adset_id for s in inputs.adsets if s.status == "active"}
    expected = sorted(a.ad_id for a in inputs.ads if a.active and a.adset_id in live)
    assert sorted(d.subject_id for d in plan.decisions if d.subject_kind == "ad") == expected

    fresh = refresh(inputs)
    check_common(inputs, fresh)
    assert all(d.action is not Action.ADJUST_BUDGET for d in fresh.decisions)
    per_adset = Counter(d.adset_id for d in fresh.decisions if d.replacement and d.writes)
    assert all(n <= inputs.settings.max_new_creatives for n in per_adset.values())

    guard = watchdog(inputs)
    check_common(inputs, guard)
    assert all(d.action in (Action.PAUSE, Action.HOLD) for d in guard.decisions)
    assert all(d.replacement is None for d in guard.decisions)


@settings(PROPERTY, max_examples=60)
@given(pools(), st.sampled_from([Mode.OFF, Mode.DRAFT]))
def test_off_and_draft_never_dispatch(inputs, mode):
    block = Authority(mode, mode, mode)
    pinned = OptimizerInputs(
        now=inputs.now,
        ads=inputs.ads,
        adsets=inputs.adsets,
        creatives=inputs.creatives,
        settings=inputs.settings,
        authority=AuthorityPolicy(block, dict.fromkeys(CAMPAIGNS, block)),
        pending_ad_ids=inputs.pending_ad_ids,
    )
    for plan in (optimize(pinned), refresh(pinned), watchdog(pinned)):
        assert plan.to_dispatch == ()
        expected = Outcome.DENIED if mode is Mode.OFF else Outcome.PENDING
        assert all(d.authority is expected for d in plan.decisions if d.writes)
