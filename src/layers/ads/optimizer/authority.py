"""Authority: who may do what, per axis (`off | draft | auto`), per campaign over defaults.

**Axes.** ``tactical``: budget and bid moves. ``creative``: launching creatives (content-refresh
``create_ad``) and *swaps* — a pause that comes with a replacement is "replace a creative".
``structural``: a pause with no replacement (it removes delivery from the adset: §19's "pause
ads"), and every campaign / adset structure change. Holds write nothing and ask no one.

**Resolution.** A campaign with its own block (``per_campaign``) uses it whole; otherwise the
layer defaults (``layer_defaults``). The kill switch — on the layer defaults or on the
campaign's block — denies every write (``kill_switch_active``), whatever the modes say.

**Outcomes.** ``off`` → denied (``authority_axis_off``); ``draft`` → pending (an approval
makes it dispatch on a later tick); ``auto`` → dispatch.
"""

from __future__ import annotations

from dataclasses import replace

from layers.ads.optimizer.types import (
    Action,
    Authority,
    AuthorityPolicy,
    Axis,
    Decision,
    Mode,
    Outcome,
)

AXIS_OFF = "authority_axis_off"
KILL_SWITCH = "kill_switch_active"
PER_CAMPAIGN = "per_campaign"
LAYER_DEFAULTS = "layer_defaults"

_OUTCOMES = {Mode.OFF: Outcome.DENIED, Mode.DRAFT: Outcome.PENDING, Mode.AUTO: Outcome.DISPATCH}


def axis_for(action: Action, *, with_replacement: bool = False) -> Axis | None:
    """The axis that governs `action` (``None`` for a hold)."""
    if action is Action.HOLD:
        return None
    if action in (Action.ADJUST_BUDGET, Action.ADJUST_BID):
        return Axis.TACTICAL
    if action is Action.CREATE_AD:
        return Axis.CREATIVE
    return Axis.CREATIVE if with_replacement else Axis.STRUCTURAL


def resolve(policy: AuthorityPolicy, campaign_id: str) -> tuple[Authority, str]:
    """The block that applies to `campaign_id` and where it came from."""
    block = policy.campaigns.get(campaign_id)
    if block is None:
        return policy.defaults, LAYER_DEFAULTS
    if policy.defaults.kill_switch and not block.kill_switch:
        block = replace(block, kill_switch=True)
    return block, PER_CAMPAIGN


def gate(policy: AuthorityPolicy, campaign_id: str, axis: Axis) -> tuple[Outcome, str | None, str]:
    """(outcome, denial code or ``None``, source) for a write on `axis` in `campaign_id`."""
    block, source = resolve(policy, campaign_id)
    if block.kill_switch:
        return Outcome.DENIED, KILL_SWITCH, source
    outcome = _OUTCOMES[block.mode(axis)]
    return outcome, AXIS_OFF if outcome is Outcome.DENIED else None, source


def apply(policy: AuthorityPolicy, decision: Decision) -> Decision:
    """`decision` with its axis, authority outcome and source filled in (holds unchanged)."""
    axis = axis_for(decision.action, with_replacement=decision.replacement is not None)
    if axis is None:
        return decision
    outcome, code, source = gate(policy, decision.campaign_id, axis)
    return replace(
        decision, axis=axis, authority=outcome, denial_code=code, authority_source=source
    )
