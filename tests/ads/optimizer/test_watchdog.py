"""The watchdog: catastrophic spend with zero installs, caught in one tick."""

from __future__ import annotations

from layers.ads.optimizer import Action, Authority, AuthorityPolicy, Mode, Outcome, watchdog
from tests.ads.optimizer.factories import ad, creative, inputs


def test_catches_sixty_dollars_without_an_install_in_one_tick():
    ads = [ad("burn", spend=6_000), ad("fine", spend=5_000, installs=5)]
    plan = watchdog(inputs(ads, creatives=[creative("cnt", 9.0)]))
    assert plan.kind == "ad-optimize-watchdog"
    (d,) = plan.decisions  # silent about the healthy ad
    assert d.subject_id == "burn" and d.action is Action.PAUSE
    assert d.replacement is None and d.axis == "structural"
    assert d.authority is Outcome.DISPATCH and not d.flagged
    assert d.reason.startswith("Watchdog pause — $60.00 spent in")
    assert d.inputs["spend7dCents"] == 6_000


def test_last_24_hours_alone_is_enough():
    # installs earlier in the week, then 55.00 in a day with none
    a = ad("burst", spend=20_000, installs=20, spend_1d=5_500, installs_1d=0)
    b = ad("other", spend=5_000, installs=5)
    (d,) = watchdog(inputs([a, b])).decisions
    assert "in 24 h with 0 installs" in d.reason
    assert d.inputs["spend24hCents"] == 5_500


def test_threshold_is_more_than_fifty_dollars():
    ads = [ad("edge", spend=5_000, spend_1d=5_000), ad("other", spend=5_000, installs=5)]
    assert watchdog(inputs(ads)).decisions == ()


def test_last_active_ad_is_flagged_not_paused():
    (d,) = watchdog(inputs([ad("solo", spend=6_000), ad("off", status="paused")])).decisions
    assert d.action is Action.HOLD and d.flagged
    assert d.guardrail_blocked == "keeps_an_active_ad"
    assert "flagged" in d.reason and d.authority is None


def test_young_and_learning_ads_are_flagged_not_paused():
    ads = [
        ad("young", age=1, spend=6_000, spend_1d=6_000),
        ad("learning", spend=6_000, learning=True),
        ad("fine", spend=5_000, installs=5),
    ]
    out = {d.subject_id: d for d in watchdog(inputs(ads)).decisions}
    assert out["young"].action is Action.HOLD and out["young"].flagged
    assert out["young"].guardrail_blocked == "min_age_3d"
    assert out["learning"].action is Action.HOLD
    assert out["learning"].guardrail_blocked == "actionable_class"


def test_two_burning_ads_in_one_adset_leave_one_running():
    ads = [ad("x", spend=9_000), ad("y", spend=7_000)]
    out = {d.subject_id: d for d in watchdog(inputs(ads)).decisions}
    assert out["x"].action is Action.PAUSE  # the bigger spender first
    assert out["y"].action is Action.HOLD and out["y"].flagged


def test_structural_draft_makes_the_pause_pending():
    draft = AuthorityPolicy(Authority(Mode.AUTO, Mode.AUTO, Mode.DRAFT))
    ads = [ad("burn", spend=6_000), ad("fine", spend=5_000, installs=5)]
    (d,) = watchdog(inputs(ads, authority=draft)).decisions
    assert d.action is Action.PAUSE and d.authority is Outcome.PENDING


def test_pending_pause_is_flagged_again():
    ads = [ad("burn", spend=6_000), ad("fine", spend=5_000, installs=5)]
    (d,) = watchdog(inputs(ads, pending=["burn"])).decisions
    assert d.action is Action.HOLD and d.flagged and "awaits approval" in d.reason
