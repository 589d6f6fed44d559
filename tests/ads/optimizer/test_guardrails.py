"""Disable and budget guardrails, each by name."""

from __future__ import annotations

from datetime import timedelta

from layers.ads.optimizer import guardrails as g
from layers.ads.optimizer.classify import classify_all
from tests.ads.optimizer.factories import NOW, ad, inputs


def checks_for(target, others=(), *, swap=False):
    ins = inputs([target, *others])
    ledger = g.ActiveLedger.of(ins.ads, frozenset())
    klass = classify_all(ins)[target.ad_id]
    return {c.name: c for c in g.disable_checks(target, klass, NOW, ledger, swap=swap)}


def test_disable_checks_pass_for_an_old_spending_critical_ad_with_company():
    checks = checks_for(ad("a", spend=6_000), [ad("b", spend=1_000, installs=2)])
    assert all(c.passed for c in checks.values())
    assert list(checks) == [g.MIN_AGE, g.MIN_SPEND, g.ACTIONABLE_CLASS, g.KEEPS_AN_ACTIVE_AD]


def test_min_age_and_min_spend_boundaries():
    assert not checks_for(ad("a", age=2.9, spend=6_000))[g.MIN_AGE].passed
    assert checks_for(ad("a", age=3, spend=6_000))[g.MIN_AGE].passed
    assert not checks_for(ad("a", spend=499))[g.MIN_SPEND].passed
    assert checks_for(ad("a", spend=500))[g.MIN_SPEND].passed


def test_min_spend_is_waived_for_the_stale_fallback():
    check = checks_for(ad("a", age=40))[g.MIN_SPEND]
    assert check.passed and "fallback" in check.detail


def test_protected_classes_are_blocked():
    check = checks_for(ad("a", learning=True, spend=9_000))[g.ACTIONABLE_CLASS]
    assert not check.passed and "LEARNING_PHASE" in check.detail


def test_last_active_ad_is_kept_unless_swapped():
    lonely = ad("a", spend=6_000)
    paused_sibling = ad("b", status="paused")
    assert not checks_for(lonely, [paused_sibling])[g.KEEPS_AN_ACTIVE_AD].passed
    assert checks_for(lonely, [paused_sibling], swap=True)[g.KEEPS_AN_ACTIVE_AD].passed
    in_review = ad("c", status="in_review")
    assert not checks_for(lonely, [in_review])[g.KEEPS_AN_ACTIVE_AD].passed


def test_ledger_counts_pending_pauses_as_gone():
    ads = [ad("a"), ad("b"), ad("c", adset="as_2")]
    ledger = g.ActiveLedger.of(ads, frozenset({"b"}))
    assert ledger.counts == {"as_1": 1, "as_2": 1}
    ledger.remove("as_2")
    assert ledger.counts["as_2"] == 0


def test_budget_step_is_sized_inside_fifty_percent_and_one_hundred_dollars():
    assert g.budget_step(10_000, 2_000) == (2_000, None)
    assert g.budget_step(10_000, 6_000)[0] == 5_000  # 50 %
    delta, note = g.budget_step(100_000, 20_000)
    assert delta == 10_000 and note == "capped from $200.00 to $100.00"
    assert g.budget_step(100_000, -30_000)[0] == -10_000


def test_budget_checks_name_each_limit():
    def names(current, new, hours=None):
        last = None if hours is None else NOW - timedelta(hours=hours)
        return {c.name: c.passed for c in g.budget_checks(current, new, last, NOW)}

    assert names(10_000, 15_000) == {
        g.MAX_CHANGE_50PCT: True,
        g.MAX_CHANGE_100: True,
        g.COOLDOWN_48H: True,
    }
    assert not names(10_000, 15_001)[g.MAX_CHANGE_50PCT]
    assert not names(10_000, 4_999)[g.MAX_CHANGE_50PCT]
    assert not names(100_000, 110_001)[g.MAX_CHANGE_100]
    assert names(100_000, 110_000)[g.MAX_CHANGE_100]
    assert not names(10_000, 11_000, hours=47.9)[g.COOLDOWN_48H]
    assert names(10_000, 11_000, hours=48)[g.COOLDOWN_48H]


def test_verdict_lists_passed_and_the_first_block():
    checks = g.budget_checks(10_000, 20_000, NOW - timedelta(hours=1), NOW)
    passed, blocked = g.verdict(checks)
    assert passed == (g.MAX_CHANGE_100,)
    assert blocked == g.MAX_CHANGE_50PCT
