"""The two planning passes: ``ad-optimize`` (`optimize`) and ``content-refresh`` (`refresh`).

Both read `OptimizerInputs` and answer a `Plan` in which every candidate ends as a
`Decision`: every active ad of an active adset (pause, swap or hold, with its class and
reason), every adset whose budget has a reason to move (ad-optimize), every adset refreshed
(content-refresh). Nothing here has a side effect: the caller dispatches ``plan.to_dispatch``,
queues ``plan.pending`` and records the whole plan.

ad-optimize:
  1. classify every ad; pause the actionable ones (``UNDERPERFORMING``, ``FATIGUED``,
     ``CRITICAL``; worst first) through the disable guardrails, each replaced by the adset's
     top eligible creative when there is one and room for it (a swap);
  2. budget moves (only with a target CPA and an adset budget): **scale up** by
     ``Settings.scale_step_pct`` (20 %) an adset with a ``TOP_PERFORMER`` among its active ads and a
     7-day CPA ≤ 0.7 × target; **scale down** by the same step an adset whose 7-day CPA ≥
     1.5 × target (or with 0 installs after spending 2 × target); the step is sized inside
     50 % / 100.00 and never under the minimum daily budget; the 48 h cooldown holds it.
content-refresh: the same disables, then fresh eligible creatives fill each adset — at most
  ``maxNewCreatives`` (3) launches per adset and run, replacements included, within its room.
  It never moves a budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from layers.ads.optimizer import authority, eligibility, guardrails
from layers.ads.optimizer.classify import classify_all
from layers.ads.optimizer.types import (
    ACTIONABLE,
    Action,
    AdClass,
    AdFacts,
    AdsetFacts,
    Classification,
    Creative,
    Decision,
    GuardrailCheck,
    OptimizerInputs,
    Plan,
    Proposal,
    SubjectKind,
    WindowMetrics,
    money,
)

SEVERITY = {AdClass.CRITICAL: 0, AdClass.FATIGUED: 1, AdClass.UNDERPERFORMING: 2}
SCALE_UP_MAX_CPA = (7, 10)  # adset CPA ≤ 0.7 × target
SCALE_DOWN_MIN_CPA = (3, 2)  # adset CPA ≥ 1.5 × target
SCALE_DOWN_ZERO_INSTALL_TARGETS = 2


def label(klass: AdClass) -> str:
    return klass.value.lower().replace("_", " ")


@dataclass
class AdsetState:
    """One adset while a pass plans it (mutable on purpose: one per adset per pass)."""

    adset: AdsetFacts
    ads: list[AdFacts]
    running: int
    occupying: int
    launched: list[str] = field(default_factory=list)


def adset_states(inputs: OptimizerInputs) -> list[AdsetState]:
    """Every adset of the inputs (and any adset only named by an ad), in input order."""
    known = {a.adset_id: a for a in inputs.adsets}
    order = [a.adset_id for a in inputs.adsets]
    by_adset: dict[str, list[AdFacts]] = {}
    for ad in inputs.ads:
        by_adset.setdefault(ad.adset_id, []).append(ad)
        if ad.adset_id not in known:
            known[ad.adset_id] = AdsetFacts(ad.adset_id, ad.campaign_id)
            order.append(ad.adset_id)
    states = []
    for adset_id in order:
        ads = by_adset.get(adset_id, [])
        running, occupying = eligibility.occupancy(adset_id, ads)
        states.append(AdsetState(known[adset_id], ads, running, occupying))
    return states


def decision_inputs(klass: Classification, **extra: Any) -> dict[str, Any]:
    out = dict(klass.inputs)
    out["class"] = klass.klass.value
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def hold_ad(ad: AdFacts, klass: Classification, reason: str, **kw: Any) -> Decision:
    return Decision(
        action=Action.HOLD,
        subject_kind=SubjectKind.AD,
        subject_id=ad.ad_id,
        campaign_id=ad.campaign_id,
        adset_id=ad.adset_id,
        reason=reason,
        inputs=decision_inputs(klass),
        klass=klass.klass,
        score=klass.score,
        **kw,
    )


def plan_ads(
    state: AdsetState,
    inputs: OptimizerInputs,
    classes: dict[str, Classification],
    ledger: guardrails.ActiveLedger,
    *,
    launches: int | None,
) -> list[Decision]:
    """Pause / swap / hold for every active ad of one adset. `launches` caps replacements
    (``None``: no cap beyond the adset's room)."""
    cur = inputs.settings.currency
    decisions: list[Decision] = []
    active = [ad for ad in state.ads if ad.active]
    active.sort(
        key=lambda ad: (
            SEVERITY.get(classes[ad.ad_id].klass, 9),
            classes[ad.ad_id].score,
            ad.ad_id,
        )
    )
    for ad in active:
        klass = classes[ad.ad_id]
        if ad.ad_id in inputs.pending_ad_ids:
            decisions.append(hold_ad(ad, klass, "Hold — a pause already awaits approval"))
            continue
        if klass.klass not in ACTIONABLE:
            checks = [
                c
                for c in guardrails.disable_checks(
                    ad, klass, inputs.now, ledger, swap=True, currency=cur
                )
                if c.name != guardrails.KEEPS_AN_ACTIVE_AD
            ]
            passed, blocked = guardrails.verdict(checks)
            reason = (
                f"Hold — guardrail ({klass.reason})"
                if klass.klass is AdClass.TOO_YOUNG
                else f"Hold — {label(klass.klass)} ({klass.reason})"
            )
            decisions.append(
                hold_ad(
                    ad,
                    klass,
                    reason,
                    guardrails_passed=passed,
                    guardrail_blocked=blocked,
                    guardrail_details=tuple(checks),
                )
            )
            continue
        pick = _replacement(state, inputs, launches)
        checks = guardrails.disable_checks(
            ad, klass, inputs.now, ledger, swap=pick is not None, currency=cur
        )
        passed, blocked = guardrails.verdict(checks)
        if blocked is not None:
            detail = guardrails.blocked_detail(checks)
            decisions.append(
                hold_ad(
                    ad,
                    klass,
                    f"Hold — guardrail ({detail}); {label(klass.klass)}: {klass.reason}",
                    proposed=Action.PAUSE,
                    guardrails_passed=passed,
                    guardrail_blocked=blocked,
                    guardrail_details=tuple(checks),
                )
            )
            continue
        if pick is None:
            ledger.remove(ad.adset_id)
            state.running -= 1
            why_alone = _no_replacement_reason(state, inputs, launches)
            reason = f"Pause — {label(klass.klass)}: {klass.reason}; no replacement ({why_alone})"
        else:
            state.launched.append(pick.content_id)
            state.occupying += 1
            score = "no score" if pick.organic_score is None else f"{pick.organic_score:.1f}"
            reason = (
                f"Pause + replace — {label(klass.klass)}: {klass.reason}; replaced by "
                f"{pick.content_id} ({pick.pool}, organic score {score})"
            )
        decisions.append(
            Decision(
                action=Action.PAUSE,
                subject_kind=SubjectKind.AD,
                subject_id=ad.ad_id,
                campaign_id=ad.campaign_id,
                adset_id=ad.adset_id,
                reason=reason,
                inputs=decision_inputs(klass, spend7d=money(ad.metrics.d7.spend_cents, cur)),
                klass=klass.klass,
                score=klass.score,
                proposed=Action.PAUSE,
                replacement=None if pick is None else eligibility.replacement(pick),
                guardrails_passed=passed,
                guardrail_details=tuple(checks),
            )
        )
    return decisions


def _launch_budget(state: AdsetState, launches: int | None) -> int | None:
    return None if launches is None else launches - len(state.launched)


def _replacement(
    state: AdsetState, inputs: OptimizerInputs, launches: int | None
) -> Creative | None:
    """The adset's top eligible creative for a swap (a swap needs platform room only: the
    paused ad frees its running slot)."""
    budget = _launch_budget(state, launches)
    _, platform_room = eligibility.room(
        state.adset, inputs.settings, state.running, state.occupying
    )
    free = platform_room if budget is None else min(platform_room, budget)
    picks = eligibility.select(
        state.adset, state.ads, inputs.creatives, inputs.settings, room=free, taken=state.launched
    )
    return picks[0] if picks else None


def _no_replacement_reason(state: AdsetState, inputs: OptimizerInputs, launches: int | None) -> str:
    budget = _launch_budget(state, launches)
    if budget is not None and budget <= 0:
        return "this run's new-creative limit is reached"
    _, platform_room = eligibility.room(
        state.adset, inputs.settings, state.running, state.occupying
    )
    if platform_room <= 0:
        return "the adset is at the platform's ads limit"
    return "no eligible creative left"


def _totals(ads: Sequence[AdFacts]) -> WindowMetrics:
    total = WindowMetrics()
    for ad in ads:
        total = total + ad.metrics.d7
    return total


def propose_budget(
    state: AdsetState, inputs: OptimizerInputs, classes: dict[str, Classification]
) -> Proposal | None:
    """The budget move one adset's numbers argue for (unsized), or ``None``."""
    settings, adset = inputs.settings, state.adset
    target, current = settings.target_cpa_cents, adset.daily_budget_cents
    if not target or not current or current <= 0:
        return None
    cur = settings.currency
    total = _totals(state.ads)
    tops = sum(
        1 for ad in state.ads if ad.active and classes[ad.ad_id].klass is AdClass.TOP_PERFORMER
    )
    cpa_text = money(total.cpa_cents, cur) if total.cpa_cents is not None else "none"
    step = current * settings.scale_step_pct // 100
    if tops and total.installs > 0 and total.spend_cents * 10 <= 7 * target * total.installs:
        wanted = step
        why = (
            f"Scale up — 7-day CPA {cpa_text} well under target {money(target, cur)} "
            f"with {tops} top performer{'s' if tops > 1 else ''}"
        )
    elif (total.installs > 0 and total.spend_cents * 2 >= 3 * target * total.installs) or (
        total.installs == 0 and total.spend_cents >= SCALE_DOWN_ZERO_INSTALL_TARGETS * target
    ):
        wanted = -max(0, min(step, current - settings.min_daily_budget_cents))
        why = (
            f"Scale down — 7-day CPA {cpa_text} far over target {money(target, cur)}"
            if total.installs
            else f"Scale down — {money(total.spend_cents, cur)} spent in 7 d with 0 installs "
            f"(target CPA {money(target, cur)})"
        )
    else:
        return None
    return Proposal(
        action=Action.ADJUST_BUDGET,
        subject_kind=SubjectKind.ADSET,
        subject_id=adset.adset_id,
        campaign_id=adset.campaign_id,
        adset_id=adset.adset_id,
        amount_cents=current + wanted,
        previous_amount_cents=current,
        reason=why,
    )


def decide_budget(proposal: Proposal, state: AdsetState, inputs: OptimizerInputs) -> Decision:
    """`proposal` sized inside the budget guardrails, or held by one."""
    settings, adset = inputs.settings, state.adset
    cur = settings.currency
    current = proposal.previous_amount_cents or 0
    total = _totals(state.ads)
    base = Decision(
        action=Action.HOLD,
        subject_kind=proposal.subject_kind,
        subject_id=proposal.subject_id,
        campaign_id=proposal.campaign_id,
        adset_id=proposal.adset_id,
        reason=f"Hold — the budget is at its minimum; wanted: {proposal.reason}",
        inputs={
            "dailyBudgetCents": current,
            "spend7dCents": total.spend_cents,
            "installs7d": total.installs,
            "cpa7dCents": total.cpa_cents,
            "targetCpaCents": settings.target_cpa_cents,
            "lastBudgetChangeAt": adset.last_budget_change_at,
        },
        proposed=Action.ADJUST_BUDGET,
        previous_amount_cents=current,
    )
    wanted = (proposal.amount_cents or current) - current
    if wanted == 0:
        return base
    delta, note = guardrails.budget_step(current, wanted, cur)
    new = current + delta
    checks = guardrails.budget_checks(
        current, new, adset.last_budget_change_at, inputs.now, note=note, currency=cur
    )
    passed, blocked = guardrails.verdict(checks)
    if blocked is not None:
        return replace(
            base,
            reason=f"Hold — guardrail ({guardrails.blocked_detail(checks)}); wanted: "
            f"{proposal.reason}",
            amount_cents=new,
            guardrails_passed=passed,
            guardrail_blocked=blocked,
            guardrail_details=tuple(checks),
        )
    sign = "+" if delta > 0 else ""
    capped = f" ({note})" if note else ""
    return replace(
        base,
        action=Action.ADJUST_BUDGET,
        reason=f"{proposal.reason}: {sign}{money(delta, cur)} to {money(new, cur)}/day{capped}",
        amount_cents=new,
        guardrails_passed=passed,
        guardrail_details=tuple(checks),
    )


def plan_launches(state: AdsetState, inputs: OptimizerInputs) -> list[Decision]:
    """content-refresh's fresh creatives for one adset (after its swaps and pauses)."""
    settings = inputs.settings
    budget = max(0, settings.max_new_creatives - len(state.launched))
    creative_room, platform_room = eligibility.room(
        state.adset, settings, state.running, state.occupying
    )
    free = min(creative_room, platform_room, budget)
    picks = eligibility.select(
        state.adset, state.ads, inputs.creatives, settings, room=free, taken=state.launched
    )
    adset = state.adset
    detail = (
        f"{state.running} running of {settings.max_creatives_per_adset}; "
        f"{state.occupying} ads of the platform's limit"
    )
    decisions = []
    for pick in picks:
        state.launched.append(pick.content_id)
        state.running += 1
        state.occupying += 1
        score = "no score" if pick.organic_score is None else f"{pick.organic_score:.1f}"
        decisions.append(
            Decision(
                action=Action.CREATE_AD,
                subject_kind=SubjectKind.ADSET,
                subject_id=adset.adset_id,
                campaign_id=adset.campaign_id,
                adset_id=adset.adset_id,
                reason=f"Launch {pick.content_id} ({pick.pool}, organic score {score}) — "
                f"fresh eligible creative",
                inputs={"running": state.running - 1, "roomBefore": free},
                proposed=Action.CREATE_AD,
                replacement=eligibility.replacement(pick),
                guardrails_passed=("adset_room",),
                guardrail_details=(GuardrailCheck("adset_room", True, detail),),
            )
        )
    if not decisions and not state.launched:
        if budget <= 0:
            why = "this run's new-creative limit is reached"
        elif min(creative_room, platform_room) <= 0:
            why = f"adset full ({detail})"
        else:
            why = "no eligible creative left for it"
        decisions.append(
            Decision(
                action=Action.HOLD,
                subject_kind=SubjectKind.ADSET,
                subject_id=adset.adset_id,
                campaign_id=adset.campaign_id,
                adset_id=adset.adset_id,
                reason=f"Hold — nothing to launch: {why}",
                inputs={"running": state.running, "occupying": state.occupying},
                proposed=Action.CREATE_AD,
            )
        )
    return decisions


def _finish(
    kind: str,
    inputs: OptimizerInputs,
    classes: dict[str, Classification],
    decisions: list[Decision],
) -> Plan:
    return Plan(
        kind=kind,
        now=inputs.now,
        classifications=tuple(classes.values()),
        decisions=tuple(authority.apply(inputs.authority, d) for d in decisions),
    )


def optimize(inputs: OptimizerInputs) -> Plan:
    """ad-optimize: pauses and swaps, then budget moves; holds say why."""
    classes = classify_all(inputs)
    ledger = guardrails.ActiveLedger.of(inputs.ads, inputs.pending_ad_ids)
    decisions: list[Decision] = []
    budgets: list[Decision] = []
    for state in adset_states(inputs):
        if state.adset.status != "active":
            continue
        decisions.extend(plan_ads(state, inputs, classes, ledger, launches=None))
        move = propose_budget(state, inputs, classes)
        if move is not None:
            budgets.append(decide_budget(move, state, inputs))
    return _finish("ad-optimize", inputs, classes, decisions + budgets)


def refresh(inputs: OptimizerInputs) -> Plan:
    """content-refresh: disable underperformers, re-select, launch replacements and fresh
    creatives (never budgets)."""
    classes = classify_all(inputs)
    ledger = guardrails.ActiveLedger.of(inputs.ads, inputs.pending_ad_ids)
    decisions: list[Decision] = []
    for state in adset_states(inputs):
        if state.adset.status != "active":
            continue
        launches = inputs.settings.max_new_creatives
        decisions.extend(plan_ads(state, inputs, classes, ledger, launches=launches))
        decisions.extend(plan_launches(state, inputs))
    return _finish("content-refresh", inputs, classes, decisions)
