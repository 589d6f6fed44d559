"""Authority: axes per action, per-campaign resolution, kill switch, outcomes."""

from __future__ import annotations

import pytest

from layers.ads.optimizer import Action, Authority, AuthorityPolicy, Axis, Mode, Outcome
from layers.ads.optimizer import authority as auth


def test_axes():
    assert auth.axis_for(Action.HOLD) is None
    assert auth.axis_for(Action.ADJUST_BUDGET) is Axis.TACTICAL
    assert auth.axis_for(Action.ADJUST_BID) is Axis.TACTICAL
    assert auth.axis_for(Action.CREATE_AD) is Axis.CREATIVE
    assert auth.axis_for(Action.PAUSE, with_replacement=True) is Axis.CREATIVE
    assert auth.axis_for(Action.PAUSE) is Axis.STRUCTURAL


@pytest.mark.parametrize(
    ("mode", "outcome", "code"),
    [
        (Mode.OFF, Outcome.DENIED, "authority_axis_off"),
        (Mode.DRAFT, Outcome.PENDING, None),
        (Mode.AUTO, Outcome.DISPATCH, None),
    ],
)
def test_modes(mode, outcome, code):
    policy = AuthorityPolicy(Authority(creative=mode, tactical=Mode.OFF, structural=Mode.OFF))
    assert auth.gate(policy, "cmp_1", Axis.CREATIVE) == (outcome, code, "layer_defaults")


def test_per_campaign_block_wins_over_defaults():
    policy = AuthorityPolicy(
        Authority(Mode.OFF, Mode.OFF, Mode.OFF),
        {"cmp_2": Authority(Mode.AUTO, Mode.DRAFT, Mode.OFF)},
    )
    assert auth.gate(policy, "cmp_1", Axis.TACTICAL)[0] is Outcome.DENIED
    assert auth.gate(policy, "cmp_2", Axis.TACTICAL) == (Outcome.PENDING, None, "per_campaign")
    assert auth.gate(policy, "cmp_2", Axis.CREATIVE)[0] is Outcome.DISPATCH


def test_kill_switch_denies_every_write_from_defaults_or_campaign():
    all_auto = Authority(Mode.AUTO, Mode.AUTO, Mode.AUTO)
    killed = AuthorityPolicy(
        Authority(Mode.AUTO, Mode.AUTO, Mode.AUTO, kill_switch=True), {"cmp_2": all_auto}
    )
    for campaign in ("cmp_1", "cmp_2"):
        for axis in Axis:
            assert auth.gate(killed, campaign, axis)[:2] == (Outcome.DENIED, "kill_switch_active")
    per_campaign = AuthorityPolicy(
        all_auto, {"cmp_2": Authority(Mode.AUTO, Mode.AUTO, Mode.AUTO, kill_switch=True)}
    )
    assert auth.gate(per_campaign, "cmp_1", Axis.CREATIVE)[0] is Outcome.DISPATCH
    assert auth.gate(per_campaign, "cmp_2", Axis.CREATIVE)[0] is Outcome.DENIED
