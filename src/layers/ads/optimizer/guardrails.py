"""Guardrails: named checks every write must pass before authority is even asked.

**Disable guardrails** (a pause of an ad; content-refresh, ad-optimize and the watchdog):

* ``min_age_3d`` — the ad is at least 3 days old.
* ``min_spend_5`` — it spent at least 5.00 in 30 days (waived by the fallback: an ad over
  30 days old with no delivery at all in 30 days is disabled anyway).
* ``actionable_class`` — never ``TOO_YOUNG``, ``LEARNING_PHASE``, ``TOP_PERFORMER`` or
  ``HEALTHY``.
* ``keeps_an_active_ad`` — never leave an adset with zero active ads. Counted across the
  whole plan: every earlier pause of the plan (whatever authority later says) and every pause
  already waiting for approval counts as gone. A swap (pause + replacement) does not lower
  the count: the replacement is launched before the pause is sent.

**Budget guardrails** (adjust_budget on an adset):

* ``max_change_50pct`` — no single change above 50 % of the current budget.
* ``max_change_100`` — no single change above 100.00 absolute.
* ``cooldown_48h`` — 48 hours at least since the entity's last budget change.

The optimizer *sizes* a budget move inside the first two (a wanted +200.00 becomes +100.00,
said in the check's detail) and lets the cooldown *block* it (the decision becomes a hold).
Every check is recorded: the names that passed, and the first that blocked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from layers.ads.optimizer.classify import MIN_AGE_DAYS, STALE_AGE_DAYS
from layers.ads.optimizer.types import (
    PROTECTED,
    AdFacts,
    Classification,
    GuardrailCheck,
    money,
)

MIN_SPEND_CENTS = 500
MAX_CHANGE_PCT = 50
MAX_CHANGE_CENTS = 10_000
COOLDOWN = timedelta(hours=48)

MIN_AGE = "min_age_3d"
MIN_SPEND = "min_spend_5"
ACTIONABLE_CLASS = "actionable_class"
KEEPS_AN_ACTIVE_AD = "keeps_an_active_ad"
MAX_CHANGE_50PCT = "max_change_50pct"
MAX_CHANGE_100 = "max_change_100"
COOLDOWN_48H = "cooldown_48h"


@dataclass
class ActiveLedger:
    """Active ads per adset as the plan is built (mutable on purpose: one per pass)."""

    counts: dict[str, int]

    @classmethod
    def of(cls, ads: Iterable[AdFacts], pending_ad_ids: frozenset[str]) -> ActiveLedger:
        counts: dict[str, int] = {}
        for ad in ads:
            counts.setdefault(ad.adset_id, 0)
            if ad.active and ad.ad_id not in pending_ad_ids:
                counts[ad.adset_id] += 1
        return cls(counts)

    def remove(self, adset_id: str) -> None:
        self.counts[adset_id] = self.counts.get(adset_id, 0) - 1


def disable_checks(
    ad: AdFacts,
    klass: Classification,
    now: datetime,
    ledger: ActiveLedger,
    *,
    swap: bool,
    currency: str = "USD",
) -> list[GuardrailCheck]:
    """The disable guardrails for pausing `ad`, in order (all are evaluated and recorded)."""
    age = ad.age_days(now)
    spend = ad.metrics.d30.spend_cents
    stale = age > STALE_AGE_DAYS and not ad.metrics.has_metrics
    minimum = money(MIN_SPEND_CENTS, currency)
    checks = [
        GuardrailCheck(
            MIN_AGE,
            age >= MIN_AGE_DAYS,
            f"{int(age)} days old" if age >= MIN_AGE_DAYS else f"only {int(age)} days old",
        ),
        GuardrailCheck(
            MIN_SPEND,
            spend >= MIN_SPEND_CENTS or stale,
            "waived: over 30 days old with no metrics (fallback)"
            if stale and spend < MIN_SPEND_CENTS
            else f"{money(spend, currency)} spent in 30 d (minimum {minimum})",
        ),
        GuardrailCheck(
            ACTIONABLE_CLASS,
            klass.klass not in PROTECTED,
            f"{klass.klass} is never paused"
            if klass.klass in PROTECTED
            else f"{klass.klass} is actionable",
        ),
    ]
    left = ledger.counts.get(ad.adset_id, 0)
    if swap:
        checks.append(GuardrailCheck(KEEPS_AN_ACTIVE_AD, True, "swap: the replacement goes live"))
    else:
        checks.append(
            GuardrailCheck(
                KEEPS_AN_ACTIVE_AD,
                left > 1,
                f"{left - 1} active ads left in the adset"
                if left > 1
                else "the last active ad of its adset",
            )
        )
    return checks


def budget_step(
    current_cents: int, wanted_delta_cents: int, currency: str = "USD"
) -> tuple[int, str | None]:
    """`wanted_delta_cents` sized inside the 50 % and 100.00 limits, and why it was cut."""
    limit = min(current_cents * MAX_CHANGE_PCT // 100, MAX_CHANGE_CENTS)
    size = abs(wanted_delta_cents)
    if size <= limit:
        return wanted_delta_cents, None
    cut = limit if wanted_delta_cents > 0 else -limit
    return cut, f"capped from {money(wanted_delta_cents, currency)} to {money(cut, currency)}"


def budget_checks(
    current_cents: int,
    new_cents: int,
    last_change_at: datetime | None,
    now: datetime,
    *,
    note: str | None = None,
    currency: str = "USD",
) -> list[GuardrailCheck]:
    """The budget guardrails for moving a daily budget from `current_cents` to `new_cents`."""
    delta = abs(new_cents - current_cents)
    since = None if last_change_at is None else now - last_change_at
    cooled = since is None or since >= COOLDOWN
    suffix = f" ({note})" if note else ""
    if since is None:
        cooldown_text = "no earlier budget change"
    else:
        hours = int(since.total_seconds() // 3600)
        cooldown_text = f"last budget change {hours} h ago (cooldown 48 h)"
    return [
        GuardrailCheck(
            MAX_CHANGE_50PCT,
            delta * 100 <= current_cents * MAX_CHANGE_PCT,
            f"change {money(delta, currency)} of {money(current_cents, currency)}{suffix}",
        ),
        GuardrailCheck(
            MAX_CHANGE_100,
            delta <= MAX_CHANGE_CENTS,
            f"change {money(delta, currency)} (limit {money(MAX_CHANGE_CENTS, currency)})",
        ),
        GuardrailCheck(COOLDOWN_48H, cooled, cooldown_text),
    ]


def verdict(checks: Iterable[GuardrailCheck]) -> tuple[tuple[str, ...], str | None]:
    """(names that passed, the first name that blocked or ``None``)."""
    checks = list(checks)
    passed = tuple(c.name for c in checks if c.passed)
    blocked = next((c.name for c in checks if not c.passed), None)
    return passed, blocked


def blocked_detail(checks: Iterable[GuardrailCheck]) -> str:
    return next((c.detail for c in checks if not c.passed), "")
