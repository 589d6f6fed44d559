"""ad-optimize-watchdog (every 2 h): catch catastrophic spend with zero installs.

**Rule.** An active ad is *catastrophic* when it spent more than 50.00 with 0 installs in the
last 7 days — the ``CRITICAL`` rule, checked every 2 hours instead of every 6 — or more than
50.00 with 0 installs in the last 24 hours (even if it had installs earlier in the week).
An ad that spent 60.00 without an install is therefore caught on the first tick that sees it.

**What it does.** It pauses the ad (no replacement: finding one is content-refresh's job, so the
pause is on the ``structural`` axis) when every disable guardrail passes. When one blocks —
the ad is the last active ad of its adset, or ``TOO_YOUNG`` / ``LEARNING_PHASE`` (which are
never paused, even here), or classed ``HEALTHY`` / ``TOP_PERFORMER`` on its week — it pauses
nothing and records a **flagged** hold instead: someone must look (the service notifies).

Only catastrophic ads get a decision; the watchdog is silent about the rest.
"""

from __future__ import annotations

from dataclasses import replace

from layers.ads.optimizer import authority, guardrails
from layers.ads.optimizer.classify import CRITICAL_ZERO_INSTALL_SPEND_CENTS, classify_all
from layers.ads.optimizer.propose import adset_states, decision_inputs
from layers.ads.optimizer.types import (
    Action,
    AdFacts,
    Decision,
    OptimizerInputs,
    Plan,
    SubjectKind,
    money,
)

THRESHOLD_CENTS = CRITICAL_ZERO_INSTALL_SPEND_CENTS


def catastrophic(ad: AdFacts, currency: str = "USD") -> str | None:
    """Why `ad` is catastrophic, or ``None``."""
    limit = money(THRESHOLD_CENTS, currency)
    for window, name in ((ad.metrics.d1, "24 h"), (ad.metrics.d7, "7 d")):
        if window.installs == 0 and window.spend_cents > THRESHOLD_CENTS:
            spent = money(window.spend_cents, currency)
            return f"{spent} spent in {name} with 0 installs (over {limit})"
    return None


def watchdog(inputs: OptimizerInputs) -> Plan:
    classes = classify_all(inputs)
    ledger = guardrails.ActiveLedger.of(inputs.ads, inputs.pending_ad_ids)
    cur = inputs.settings.currency
    decisions: list[Decision] = []
    for state in adset_states(inputs):
        if state.adset.status != "active":
            continue
        for ad in sorted(state.ads, key=lambda a: (-a.metrics.d7.spend_cents, a.ad_id)):
            why = catastrophic(ad, cur) if ad.active else None
            if why is None:
                continue
            klass = classes[ad.ad_id]
            base = Decision(
                action=Action.HOLD,
                subject_kind=SubjectKind.AD,
                subject_id=ad.ad_id,
                campaign_id=ad.campaign_id,
                adset_id=ad.adset_id,
                reason=why,
                inputs=decision_inputs(
                    klass,
                    spend24hCents=ad.metrics.d1.spend_cents,
                    installs24h=ad.metrics.d1.installs,
                ),
                klass=klass.klass,
                score=klass.score,
                proposed=Action.PAUSE,
            )
            if ad.ad_id in inputs.pending_ad_ids:
                decisions.append(
                    replace(
                        base,
                        reason=f"Watchdog — {why}; a pause already awaits approval",
                        flagged=True,
                    )
                )
                continue
            checks = guardrails.disable_checks(
                ad, klass, inputs.now, ledger, swap=False, currency=cur
            )
            passed, blocked = guardrails.verdict(checks)
            if blocked is not None:
                detail = guardrails.blocked_detail(checks)
                decisions.append(
                    replace(
                        base,
                        reason=f"Watchdog — {why}; not paused: guardrail ({detail}); flagged",
                        guardrails_passed=passed,
                        guardrail_blocked=blocked,
                        guardrail_details=tuple(checks),
                        flagged=True,
                    )
                )
                continue
            ledger.remove(ad.adset_id)
            decisions.append(
                replace(
                    base,
                    action=Action.PAUSE,
                    reason=f"Watchdog pause — {why}",
                    guardrails_passed=passed,
                    guardrail_details=tuple(checks),
                )
            )
    return Plan(
        kind="ad-optimize-watchdog",
        now=inputs.now,
        classifications=tuple(classes.values()),
        decisions=tuple(authority.apply(inputs.authority, d) for d in decisions),
    )
