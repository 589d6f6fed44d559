"""What an ads platform offers us, whatever the platform: the `AdsPlatform` protocol, the
objects it reads and writes, its errors, and its facts (`AdsPlatformSpec`).

Invariants every implementation keeps:

* **Money is integer cents** (the account currency's minor unit) everywhere in and out of
  this package. Platforms answer decimal strings ("12.34") or minor-unit strings ("1234");
  the clients convert with `Decimal` (`cents_from_decimal`, `cents_from_minor`), never with
  float arithmetic.
* Ids are the platform's own, as strings: a Meta ad account is ``act_<digits>``, a TikTok
  one is its ``advertiser_id``.
* Statuses are ours (`AdStatus`): ``active | paused | archived | deleted | in_review |
  rejected`` — the filter values of the Ads API's list-ads endpoint.
* Listing methods return **every** object (the clients follow the platform's paging).
* Every call may raise an `AdsCallError`: `AdsAuthFailed` (the token was refused — the ad
  account needs reconnecting; nothing happened), `AdsRateLimited` (throttled after the
  client's bounded retries; nothing happened), `AdsRejected` (a definite refusal),
  `AdsUnavailable` (the platform could not be reached or answered 5xx).

Platform names: API paths say ``meta | tiktok`` (the registry's keys), request and response
bodies say ``meta_ads | tiktok_ads`` — `BODY_NAMES` / `path_name` convert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal, Protocol

from layers.social.platforms.base import PlatformCallError
from layers.social.vault import Secret

# ---- platform names ----

PLATFORMS = ("meta", "tiktok")  # the registry's keys and the API's path names
BODY_NAMES: dict[str, str] = {"meta": "meta_ads", "tiktok": "tiktok_ads"}


def body_name(platform: str) -> str:
    """``meta`` → ``meta_ads`` (the name used in request and response bodies)."""
    return BODY_NAMES[platform]


def path_name(name: str) -> str:
    """``meta_ads`` (or ``meta``) → ``meta`` (the registry key, the path segment)."""
    for path, body in BODY_NAMES.items():
        if name in (path, body):
            return path
    raise KeyError(name)


# ---- statuses ----

AdStatus = Literal["active", "paused", "archived", "deleted", "in_review", "rejected"]
AD_STATUSES: tuple[AdStatus, ...] = (
    "active",
    "paused",
    "archived",
    "deleted",
    "in_review",
    "rejected",
)
SettableStatus = Literal["active", "paused"]
AccountStatus = Literal["active", "disabled", "pending", "closed"]
Outcome = Literal["conversions", "traffic", "app_installs", "engagement", "lead_generation"]
OUTCOMES: tuple[Outcome, ...] = (
    "conversions",
    "traffic",
    "app_installs",
    "engagement",
    "lead_generation",
)


# ---- errors ----


class AdsCallError(PlatformCallError):
    """An ads platform call that did not succeed. ``code`` is ours (stable), ``platform_code``
    theirs. Messages come from the platform's error fields, never from the request (URLs and
    bodies carry tokens)."""

    code = "ADS_PLATFORM_ERROR"


class AdsAuthFailed(AdsCallError):
    """The platform refused the token (expired, revoked, permission withdrawn): the ad account
    needs reconnecting, and nothing may be dispatched to it until then. Nothing happened."""

    code = "AD_ACCOUNT_AUTH_FAILED"


class AdsRateLimited(AdsCallError):
    """Throttled, still after the client's bounded retries. Nothing happened; try again after
    ``retry_after`` seconds."""

    code = "ADS_RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: float = 60.0, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class AdsRejected(AdsCallError):
    """A definite, permanent refusal (invalid parameters, policy, an object that is gone)."""

    code = "ADS_REJECTED"


class AdsUnavailable(AdsCallError):
    """The platform could not be reached, did not answer, or answered 5xx. A read can be
    retried; a write may or may not have happened (re-read before writing again)."""

    code = "ADS_PLATFORM_UNAVAILABLE"


# ---- money ----

_CENT = Decimal("0.01")


def cents_from_decimal(value: Any) -> int:
    """Integer cents of a decimal currency amount ("12.345" → 1235, 7 → 700), rounded half
    up; 0 for an absent or unreadable value. Floats go through their shortest repr, so
    ``0.1`` is exactly 10 cents."""
    if value is None or isinstance(value, bool) or value == "":
        return 0
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return 0
    if not amount.is_finite():
        return 0
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cents_from_minor(value: Any) -> int | None:
    """Integer cents of a minor-unit amount ("1234" → 1234); None when absent or unreadable
    (Meta answers budgets this way, and "0" for "no budget at this level")."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite():
        return None
    return int(amount.to_integral_value(rounding=ROUND_HALF_UP))


def decimal_from_cents(cents: int) -> str:
    """``1234`` → ``"12.34"`` (what TikTok takes for budgets)."""
    return str((Decimal(cents) / 100).quantize(_CENT))


# ---- objects ----


@dataclass(frozen=True)
class AdsGrant:
    """The outcome of an ad-account OAuth code exchange. ``account_ids``: the ad accounts the
    grant covers when the platform says so in the exchange (TikTok), else empty (ask
    `AdsPlatform.list_ad_accounts`)."""

    access_token: Secret
    expires_in: int | None = None  # seconds; None: long-lived / does not expire
    refresh_token: Secret | None = None
    scopes: tuple[str, ...] = ()
    account_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdAccount:
    account_id: str  # Meta "act_<digits>", TikTok advertiser_id
    name: str
    currency: str  # ISO 4217
    timezone: str | None = None
    status: AccountStatus = "active"
    created_at: datetime | None = None


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    account_id: str
    name: str
    status: AdStatus
    objective: str | None  # the platform's own objective name
    daily_budget_cents: int | None  # None: no budget at this level (set on the adsets)
    lifetime_budget_cents: int | None
    created_at: datetime | None


@dataclass(frozen=True)
class Adset:
    """A Meta ad set / a TikTok ad group. ``learning``: the platform says delivery is still
    learning (None: the platform does not report it)."""

    adset_id: str
    campaign_id: str
    account_id: str
    name: str
    status: AdStatus
    daily_budget_cents: int | None
    lifetime_budget_cents: int | None
    created_at: datetime | None
    learning: bool | None = None
    bid_amount_cents: int | None = None


@dataclass(frozen=True)
class Ad:
    """An ad. ``status`` is the configured one (what `set_ad_status` changes), except that an
    ad under review or disapproved says so; ``effective_status`` is the platform's raw
    delivery status. ``learning`` is the ad's adset's learning flag when the platform reports
    it at that level."""

    ad_id: str
    adset_id: str
    campaign_id: str
    account_id: str
    name: str
    status: AdStatus
    created_at: datetime | None
    effective_status: str | None = None
    learning: bool | None = None
    creative_id: str | None = None
    media_url: str | None = None


@dataclass(frozen=True)
class AdDayMetrics:
    """One ad's delivery on one day (the ad account's timezone). ``installs`` are the
    conversions the optimizer counts (Meta: app-install actions; TikTok: ``conversion``).
    ``frequency``: impressions per person that day (Meta only; None elsewhere)."""

    ad_id: str
    day: date
    spend_cents: int
    impressions: int
    clicks: int
    installs: int
    frequency: float | None = None
    reach: int | None = None


@dataclass(frozen=True)
class AdCreativeInput:
    """A new ad made from our media: one video or image URL (publicly fetchable) and its
    caption.

    * ``identity``: who the ad speaks as — Meta: the Facebook Page id; TikTok: the identity
      id (``identity_type`` CUSTOMIZED_USER unless ``options["identity_type"]`` says
      otherwise). None: the identity of an ad already in the target adset.
    * ``link_url``: where the ad leads (the app store or landing page); None: the same as
      the adset's existing ads where the platform needs one.
    * ``options``: platform-specific extras, passed through (documented per client).
    """

    kind: Literal["video", "image"]
    media_url: str
    caption: str
    name: str
    identity: str | None = None
    link_url: str | None = None
    call_to_action: str | None = None
    thumbnail_url: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in ("video", "image"):
            raise ValueError(f"unknown creative kind {self.kind!r}")
        if not self.media_url:
            raise ValueError("a creative needs a media URL")


@dataclass(frozen=True)
class CampaignInput:
    """The simplified campaign create ("LOCK 6"): exactly one of the two budgets."""

    name: str
    outcome: Outcome
    daily_budget_cents: int | None = None
    lifetime_budget_cents: int | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    bid_strategy: str | None = None
    status: SettableStatus = "paused"

    def __post_init__(self) -> None:
        if (self.daily_budget_cents is None) == (self.lifetime_budget_cents is None):
            raise ValueError("give exactly one of daily_budget_cents and lifetime_budget_cents")
        if not 1 <= len(self.name) <= 128:
            raise ValueError("a campaign name has 1 to 128 characters")
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}")


# ---- a platform's facts ----


@dataclass(frozen=True)
class AdsPlatformSpec:
    """The facts of one ads platform that the rest of the system needs (nothing outside this
    package branches on a platform's name)."""

    name: str  # registry key and path name: "meta"
    body_name: str  # request/response bodies: "meta_ads"
    display_name: str
    adset_word: str  # "ad set" / "ad group", for people
    max_ads_per_adset: int  # full adsets are skipped by content-refresh
    calls_per_minute: int  # pacing: calls one ad account may make a minute
    max_retries: int  # rate-limit answers retried before `AdsRateLimited` is raised
    max_backoff_seconds: float  # longest single wait between retries (longer: raise)
    oauth_scopes: tuple[str, ...]
    money_unit: Literal["minor", "decimal"]  # how the platform's API writes budgets
    reports_frequency: bool
    reports_learning: bool
    min_daily_budget_cents: int  # the platform's smallest daily budget (USD accounts)


class AdsPlatform(Protocol):
    """One ads platform for one app's credentials. ``token`` is the ad-account grant's access
    token; ``account_id`` the platform's ad account id (`AdAccount.account_id`). Every method
    may raise an `AdsCallError` (see the module docstring)."""

    spec: AdsPlatformSpec

    # -- ad-account OAuth --

    def oauth_url(self, *, state: str, redirect_uri: str) -> str:
        """Where the person consents to let us manage their ad accounts."""
        ...

    def exchange_code(self, *, code: str, redirect_uri: str) -> AdsGrant:
        """Exchange the authorization code from the redirect for a token."""
        ...

    # -- reads --

    def list_ad_accounts(self, token: Secret) -> list[AdAccount]:
        """The ad accounts the token may manage."""
        ...

    def list_campaigns(self, token: Secret, account_id: str) -> list[Campaign]:
        """Every campaign of the account (deleted ones excluded)."""
        ...

    def list_adsets(
        self, token: Secret, account_id: str, *, campaign_id: str | None = None
    ) -> list[Adset]:
        """Every adset of the account, or of one campaign."""
        ...

    def list_ads(self, token: Secret, account_id: str, *, adset_id: str | None = None) -> list[Ad]:
        """Every ad of the account, or of one adset."""
        ...

    def ad_daily_metrics(
        self, token: Secret, account_id: str, *, since: date, until: date
    ) -> list[AdDayMetrics]:
        """Per ad per day (both ends included) for the ads that delivered; a day without
        delivery may be absent."""
        ...

    # -- writes --

    def set_ad_status(
        self, token: Secret, account_id: str, ad_id: str, status: SettableStatus
    ) -> None:
        """Pause or activate one ad."""
        ...

    def set_adset_budget(
        self, token: Secret, account_id: str, adset_id: str, daily_budget_cents: int
    ) -> None:
        """Set an adset's daily budget (the guardrails are the optimizer's, not the client's)."""
        ...

    def create_ad(
        self, token: Secret, account_id: str, adset_id: str, creative: AdCreativeInput
    ) -> Ad:
        """Upload the creative's media, make the creative and an active ad in `adset_id`."""
        ...

    def create_campaign(self, token: Secret, account_id: str, campaign: CampaignInput) -> Campaign:
        """Create a campaign (simplified: name, outcome, one budget, schedule)."""
        ...
