"""The optimizer's own vocabulary: what it is told (facts) and what it answers (decisions).

Everything here is a frozen dataclass of plain values, so the optimizer stays pure: the ad
manager service turns platform rows into these facts, calls `optimize` / `refresh` /
`watchdog`, and stores the answer with `to_json()`.

Invariants:

* **Money is integer cents** in the ad account's currency (``*_cents``); no float ever holds
  money. The reference's dollar thresholds ($5, $50, $100) are read in the account's currency
  unit (5.00, 50.00, 100.00 of it).
* Times are timezone-aware UTC ``datetime``s; ages are measured from `OptimizerInputs.now`.
* An ad counts as **active** only when its status is ``active`` (delivering). ``in_review``
  ads are on their way but deliver nothing yet, so they never keep an adset "alive".
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from layers.kit.clock import isoformat_z

WINDOWS = (1, 3, 7, 14, 30)
"""The metric windows, in days, the optimizer reads (§19: 1d/3d/7d/14d/30d)."""

ACTIVE = "active"
RUNNING_STATUSES = frozenset({"active", "in_review"})
"""Ads that occupy one of ``maxCreativesPerAdset`` (delivering or about to)."""
GONE_STATUSES = frozenset({"archived", "deleted"})
"""Ads that no longer count towards the platform's ads-per-adset limit."""


class AdClass(enum.StrEnum):
    TOO_YOUNG = "TOO_YOUNG"
    LEARNING_PHASE = "LEARNING_PHASE"
    TOP_PERFORMER = "TOP_PERFORMER"
    HEALTHY = "HEALTHY"
    UNDERPERFORMING = "UNDERPERFORMING"
    FATIGUED = "FATIGUED"
    CRITICAL = "CRITICAL"


ACTIONABLE = frozenset({AdClass.UNDERPERFORMING, AdClass.FATIGUED, AdClass.CRITICAL})
PROTECTED = frozenset(
    {AdClass.TOO_YOUNG, AdClass.LEARNING_PHASE, AdClass.TOP_PERFORMER, AdClass.HEALTHY}
)


class Action(enum.StrEnum):
    PAUSE = "pause"
    ADJUST_BUDGET = "adjust_budget"
    ADJUST_BID = "adjust_bid"
    HOLD = "hold"
    CREATE_AD = "create_ad"


class Axis(enum.StrEnum):
    CREATIVE = "creative"
    TACTICAL = "tactical"
    STRUCTURAL = "structural"


class Mode(enum.StrEnum):
    OFF = "off"
    DRAFT = "draft"
    AUTO = "auto"


class Outcome(enum.StrEnum):
    DISPATCH = "dispatch"
    PENDING = "pending"
    DENIED = "denied"


class Pool(enum.StrEnum):
    GENERATED = "generated"
    UGC = "ugc"
    MANUAL = "manual"


class Override(enum.StrEnum):
    INCLUDE = "include"
    EXCLUDE = "exclude"


class SubjectKind(enum.StrEnum):
    AD = "ad"
    ADSET = "adset"


# --- facts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowMetrics:
    """Totals over one window. CPA = spend / installs, rounded half up to a cent."""

    spend_cents: int = 0
    impressions: int = 0
    clicks: int = 0
    installs: int = 0

    @property
    def cpa_cents(self) -> int | None:
        if self.installs <= 0:
            return None
        return (2 * self.spend_cents + self.installs) // (2 * self.installs)

    def __add__(self, other: WindowMetrics) -> WindowMetrics:
        return WindowMetrics(
            self.spend_cents + other.spend_cents,
            self.impressions + other.impressions,
            self.clicks + other.clicks,
            self.installs + other.installs,
        )


@dataclass(frozen=True)
class DayMetrics:
    """One day of one ad, as the platforms report it (ad level, by day)."""

    day: date
    spend_cents: int = 0
    impressions: int = 0
    clicks: int = 0
    installs: int = 0
    frequency: float | None = None


@dataclass(frozen=True)
class CpaTrend:
    """The CPA trend as two halves: ``earlier`` (days 8–14 back) and ``recent`` (last 7 days)."""

    earlier: WindowMetrics
    recent: WindowMetrics


@dataclass(frozen=True)
class AdMetrics:
    """Per-window totals (each window ends today, inclusive), frequency and the CPA trend.

    ``frequency`` is the platform's average impressions per person over the last 7 days (Meta
    reports it; TikTok does not: ``None``)."""

    d1: WindowMetrics = WindowMetrics()
    d3: WindowMetrics = WindowMetrics()
    d7: WindowMetrics = WindowMetrics()
    d14: WindowMetrics = WindowMetrics()
    d30: WindowMetrics = WindowMetrics()
    frequency: float | None = None
    trend: CpaTrend | None = None

    @property
    def has_metrics(self) -> bool:
        """Any delivery at all in 30 days (spend or impressions)."""
        return self.d30.spend_cents > 0 or self.d30.impressions > 0

    @classmethod
    def from_days(cls, days: Iterable[DayMetrics], today: date) -> AdMetrics:
        """Windows, frequency (latest reported in 7 days) and trend from daily rows."""
        rows = [d for d in days if today - timedelta(days=29) <= d.day <= today]
        totals: dict[int, WindowMetrics] = {}
        for width in WINDOWS:
            since = today - timedelta(days=width - 1)
            totals[width] = _sum(d for d in rows if d.day >= since)
        earlier = _sum(
            d for d in rows if today - timedelta(days=13) <= d.day <= today - timedelta(days=7)
        )
        freq = [d for d in sorted(rows, key=lambda d: d.day) if d.frequency is not None]
        recent_freq = [d.frequency for d in freq if d.day >= today - timedelta(days=6)]
        return cls(
            d1=totals[1],
            d3=totals[3],
            d7=totals[7],
            d14=totals[14],
            d30=totals[30],
            frequency=recent_freq[-1] if recent_freq else None,
            trend=CpaTrend(earlier=earlier, recent=totals[7]),
        )


def _sum(days: Iterable[DayMetrics]) -> WindowMetrics:
    total = WindowMetrics()
    for d in days:
        total = total + WindowMetrics(d.spend_cents, d.impressions, d.clicks, d.installs)
    return total


@dataclass(frozen=True)
class AdFacts:
    ad_id: str
    adset_id: str
    campaign_id: str
    status: str
    """``active | paused | archived | deleted | in_review | rejected`` (the list-ads vocabulary)."""
    created_at: datetime
    metrics: AdMetrics = AdMetrics()
    learning: bool = False
    """The platform says the ad (or its adset) is still in its learning phase."""
    content_id: str | None = None
    """The creative (content container) the ad runs, when it came from our media."""

    def age_days(self, now: datetime) -> float:
        return (now - self.created_at).total_seconds() / 86400

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


@dataclass(frozen=True)
class AdsetFacts:
    adset_id: str
    campaign_id: str
    daily_budget_cents: int | None = None
    """``None`` when the budget lives on the campaign (no adset budget to move)."""
    last_budget_change_at: datetime | None = None
    max_ads: int | None = None
    """The platform's ads-per-adset limit (Meta 50); ``None`` → `Settings.platform_max_ads`."""
    status: str = ACTIVE


@dataclass(frozen=True)
class Creative:
    """A creative the layer may launch: a content container of the project."""

    content_id: str
    pool: Pool
    organic_score: float | None
    override: Override | None = None
    safety_failed: bool = False
    already_in_adsets: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Authority:
    """One authority block: a mode per axis, and the kill switch (denies every write)."""

    creative: Mode = Mode.DRAFT
    tactical: Mode = Mode.DRAFT
    structural: Mode = Mode.DRAFT
    kill_switch: bool = False

    def mode(self, axis: Axis) -> Mode:
        return {
            Axis.CREATIVE: self.creative,
            Axis.TACTICAL: self.tactical,
            Axis.STRUCTURAL: self.structural,
        }[axis]


@dataclass(frozen=True)
class AuthorityPolicy:
    """The layer's defaults and the campaigns that have their own block (``per_campaign``)."""

    defaults: Authority = Authority()
    campaigns: Mapping[str, Authority] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """The layer's targets and knobs (config), with the reference's defaults."""

    target_cpa_cents: int | None = None
    generated_slots: int = 3
    ugc_slots: int = 3
    manual_slots: int = 3
    max_creatives_per_adset: int = 10
    platform_max_ads: int = 50
    max_new_creatives: int = 3
    """content-refresh: new ads launched per adset and run (the API's ``maxNewCreatives``)."""
    pool_weights: Mapping[str, float] = field(
        default_factory=lambda: {"generated": 1.0, "ugc": 1.0, "manual": 1.0}
    )
    """``organicScoreWeight`` per pool: orders creatives across pools (never within one)."""
    currency: str = "USD"
    scale_step_pct: int = 20
    """Budget moves are this share of the current budget (then clamped by the guardrails)."""
    min_daily_budget_cents: int = 100

    def slots(self, pool: Pool) -> int:
        return {
            Pool.GENERATED: self.generated_slots,
            Pool.UGC: self.ugc_slots,
            Pool.MANUAL: self.manual_slots,
        }[pool]


@dataclass(frozen=True)
class OptimizerInputs:
    """Everything one optimizer pass reads: one layer's ads, adsets and creatives."""

    now: datetime
    ads: Sequence[AdFacts]
    adsets: Sequence[AdsetFacts]
    creatives: Sequence[Creative] = ()
    settings: Settings = Settings()
    authority: AuthorityPolicy = AuthorityPolicy()
    pending_ad_ids: frozenset[str] = frozenset()
    """Ads with a pause already waiting for approval: not proposed again, and counted as
    leaving their adset when the last-active-ad guardrail counts."""


# --- answers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Classification:
    ad_id: str
    adset_id: str
    campaign_id: str
    klass: AdClass
    score: int
    """The performance score, 0–100 (see `classify`)."""
    reason: str
    inputs: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return as_json(self)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Replacement:
    content_id: str
    pool: Pool
    organic_score: float | None
    override: Override | None = None


@dataclass(frozen=True)
class Proposal:
    """What the optimizer wants to do, before guardrails and authority."""

    action: Action
    subject_kind: SubjectKind
    subject_id: str
    campaign_id: str
    adset_id: str
    amount_cents: int | None = None
    """adjust_budget: the new daily budget."""
    previous_amount_cents: int | None = None
    replacement: Replacement | None = None
    reason: str = ""


@dataclass(frozen=True)
class GuardrailCheck:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Decision:
    """One recorded decision: what, on what, why, which guardrails, who may do it.

    ``action`` is what happens (``hold`` when a guardrail blocked the ``proposed`` action).
    A pause with a ``replacement`` is a swap: dispatch launches the replacement first and
    pauses only once it exists, so a swap never lowers an adset's active ads. ``authority``
    is ``None`` for holds (nothing to dispatch)."""

    action: Action
    subject_kind: SubjectKind
    subject_id: str
    campaign_id: str
    adset_id: str
    reason: str
    inputs: Mapping[str, Any]
    klass: AdClass | None = None
    score: int | None = None
    proposed: Action | None = None
    amount_cents: int | None = None
    previous_amount_cents: int | None = None
    replacement: Replacement | None = None
    guardrails_passed: tuple[str, ...] = ()
    guardrail_blocked: str | None = None
    guardrail_details: tuple[GuardrailCheck, ...] = ()
    axis: Axis | None = None
    authority: Outcome | None = None
    authority_source: str | None = None
    """``per_campaign | layer_defaults``."""
    denial_code: str | None = None
    """``authority_axis_off`` or ``kill_switch_active`` when ``authority`` is denied."""
    flagged: bool = False
    """The watchdog saw catastrophic spend it may not pause: someone must look."""

    @property
    def writes(self) -> bool:
        return self.action is not Action.HOLD

    def to_json(self) -> dict[str, Any]:
        return as_json(self)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Plan:
    """A pass's answer: every ad's class and every decision, in a stable order."""

    kind: str
    """``ad-optimize | content-refresh | ad-optimize-watchdog``."""
    now: datetime
    classifications: tuple[Classification, ...]
    decisions: tuple[Decision, ...]

    def by_outcome(self, outcome: Outcome) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.authority is outcome)

    @property
    def to_dispatch(self) -> tuple[Decision, ...]:
        return self.by_outcome(Outcome.DISPATCH)

    @property
    def pending(self) -> tuple[Decision, ...]:
        return self.by_outcome(Outcome.PENDING)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = as_json(self)
        counts: dict[str, int] = {}
        for d in self.decisions:
            key = d.action.value if d.authority is None else f"{d.action}:{d.authority}"
            counts[key] = counts.get(key, 0) + 1
        out["summary"] = dict(sorted(counts.items()))
        return out


def as_json(value: Any) -> Any:
    """JSON-safe rendering of the optimizer's values (dataclasses, enums, times, tuples)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, enum.Enum):
        return as_json(value.value)
    if isinstance(value, datetime):
        return isoformat_z(value) if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return [as_json(v) for v in sorted(value, key=str)]
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def money(cents: int, currency: str = "USD") -> str:
    """``$32.00`` for USD, ``32.00 EUR`` otherwise (integer arithmetic only)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    amount = f"{whole:,}.{part:02d}"
    return f"{sign}${amount}" if currency == "USD" else f"{sign}{amount} {currency}"
