"""The ad optimizer (§19): pure functions from facts to a recorded `Plan` of decisions.

No database, no HTTP, no platform: the ad manager service builds `OptimizerInputs` from what
it synced, calls one pass, dispatches ``plan.to_dispatch``, queues ``plan.pending`` and stores
``plan.to_json()``.

* `optimize` — ad-optimize (every 6 h): pauses and swaps, budget moves, holds.
* `refresh` — content-refresh (every 15 min): disable underperformers, launch fresh creatives.
* `watchdog` — ad-optimize-watchdog (every 2 h): catastrophic spend with zero installs.

The rules (classes, score, guardrails, eligibility, authority) are documented in each module
and, for media buyers, in docs/optimizer.md.
"""

from layers.ads.optimizer.classify import classify, classify_all, score
from layers.ads.optimizer.eligibility import is_eligible, select
from layers.ads.optimizer.propose import optimize, refresh
from layers.ads.optimizer.types import (
    Action,
    AdClass,
    AdFacts,
    AdMetrics,
    AdsetFacts,
    Authority,
    AuthorityPolicy,
    Axis,
    Classification,
    CpaTrend,
    Creative,
    DayMetrics,
    Decision,
    Mode,
    OptimizerInputs,
    Outcome,
    Override,
    Plan,
    Pool,
    Proposal,
    Replacement,
    Settings,
    WindowMetrics,
)
from layers.ads.optimizer.watchdog import watchdog

__all__ = [
    "Action",
    "AdClass",
    "AdFacts",
    "AdMetrics",
    "AdsetFacts",
    "Authority",
    "AuthorityPolicy",
    "Axis",
    "Classification",
    "CpaTrend",
    "Creative",
    "DayMetrics",
    "Decision",
    "Mode",
    "OptimizerInputs",
    "Outcome",
    "Override",
    "Plan",
    "Pool",
    "Proposal",
    "Replacement",
    "Settings",
    "WindowMetrics",
    "classify",
    "classify_all",
    "is_eligible",
    "optimize",
    "refresh",
    "score",
    "select",
    "watchdog",
]
