"""The Ads API's models (§19). Money is integer cents; path platforms are ``meta | tiktok``,
bodies and filters say ``meta_ads | tiktok_ads``."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from layers.kit.schemas import ApiModel, RequestModel, UtcDateTime, text
from layers.social.schemas import ReturnUrl

LAYER_ID = r"^lyr_[0-9A-HJKMNP-TV-Z]{26}$"


class PathPlatform(StrEnum):
    meta = "meta"
    tiktok = "tiktok"


class BodyPlatform(StrEnum):
    meta_ads = "meta_ads"
    tiktok_ads = "tiktok_ads"


class AxisMode(StrEnum):
    off = "off"
    draft = "draft"
    auto = "auto"


class ManagementMode(StrEnum):
    manual = "manual"
    draft = "draft"
    autopilot = "autopilot"


class Outcome(StrEnum):
    conversions = "conversions"
    traffic = "traffic"
    app_installs = "app_installs"
    engagement = "engagement"
    lead_generation = "lead_generation"


class AdStatusFilter(StrEnum):
    active = "active"
    paused = "paused"
    archived = "archived"
    deleted = "deleted"
    in_review = "in_review"
    rejected = "rejected"


class PendingStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    dispatched = "dispatched"
    failed = "failed"


# ---- ad accounts ----


class AdOAuthUrlRequest(RequestModel):
    platform: BodyPlatform
    return_url: ReturnUrl


class AdOAuthUrl(ApiModel):
    authorize_url: str
    state: str
    expires_at: UtcDateTime
    platform: BodyPlatform
    project_id: str


class AdAccountOut(ApiModel):
    id: str
    project_id: str
    platform: BodyPlatform
    platform_account_id: str
    name: str | None
    currency: str
    status: str
    healthy: bool
    health_error: dict[str, Any] | None
    partner_writes_consent: bool
    connected_at: UtcDateTime | None
    last_synced_at: UtcDateTime | None
    livemode: bool


class AdAccountList(ApiModel):
    items: list[AdAccountOut]
    next_cursor: str | None


# ---- campaigns ----


class CampaignCreate(RequestModel):
    """The simplified create ("LOCK 6"): exactly one of the two budgets."""

    ad_account_id: str = Field(min_length=1, max_length=40)
    name: str = text(1, 128)
    outcome: Outcome
    daily_budget_cents: int | None = Field(default=None, ge=100, le=100_000_000)
    lifetime_budget_cents: int | None = Field(default=None, ge=100, le=10_000_000_000)
    campaign_management_mode: ManagementMode = ManagementMode.draft
    creative_mode: ManagementMode = ManagementMode.draft
    start_time: UtcDateTime | None = None
    end_time: UtcDateTime | None = None
    bid_strategy: str | None = Field(default=None, min_length=1, max_length=32)
    layer_id: str | None = Field(default=None, pattern=LAYER_ID)

    @model_validator(mode="after")
    def _one_budget(self) -> CampaignCreate:
        if (self.daily_budget_cents is None) == (self.lifetime_budget_cents is None):
            raise PydanticCustomError(
                "one_budget", "give exactly one of dailyBudgetCents and lifetimeBudgetCents"
            )
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise PydanticCustomError("range_order", "endTime must be after startTime")
        return self


class CampaignOut(ApiModel):
    id: str
    project_id: str
    ad_account_id: str
    layer_id: str | None
    platform: BodyPlatform
    platform_campaign_id: str
    name: str
    outcome: str | None
    status: str
    daily_budget_cents: int | None
    lifetime_budget_cents: int | None
    bid_strategy: str | None
    start_time: UtcDateTime | None
    end_time: UtcDateTime | None
    last_class: str | None
    authority: AuthorityAxes | None = None


# ---- ads ----


class AdOut(ApiModel):
    id: str
    project_id: str
    platform: BodyPlatform
    ad_account_id: str
    campaign_id: str
    adset_id: str
    platform_ad_id: str
    name: str
    status: str
    learning: bool
    ads_content_id: str | None
    container_id: str | None
    launched_at: UtcDateTime
    last_class: str | None = Field(description="The class of the last optimizer run.")
    last_reason: str | None
    classified_at: UtcDateTime | None
    spend_cents_7d: int
    installs_7d: int


class AdList(ApiModel):
    items: list[AdOut]
    next_cursor: str | None


# ---- authority ----


class AuthorityAxes(ApiModel):
    creative: AxisMode
    tactical: AxisMode
    structural: AxisMode


class AuthorityAxesPatch(RequestModel):
    creative: AxisMode | None = None
    tactical: AxisMode | None = None
    structural: AxisMode | None = None


class DefaultsOut(ApiModel):
    layer_id: str
    platform: BodyPlatform
    defaults: AuthorityAxes
    kill_switch_active: bool
    last_modified_at: UtcDateTime
    last_modified_by: str


class DefaultsPatch(RequestModel):
    layer_id: str | None = Field(
        default=None, pattern=LAYER_ID, description="Needed when the project has several."
    )
    defaults: AuthorityAxesPatch | None = None
    kill_switch_active: bool | None = None


class CampaignAuthorityOut(ApiModel):
    campaign_id: str
    layer_id: str
    platform: BodyPlatform
    source: str = Field(description="per_campaign | layer_defaults")
    authority: AuthorityAxes
    kill_switch_active: bool
    last_modified_at: UtcDateTime
    last_modified_by: str


class CampaignAuthorityPatch(RequestModel):
    authority: AuthorityAxesPatch | None = None
    use_layer_defaults: bool | None = Field(
        default=None, description="true: drop the campaign's own block (back to the defaults)."
    )


# ---- optimizer runs and decisions ----


class OptimizerRunRequest(RequestModel):
    layer_id: str = Field(pattern=LAYER_ID)
    platform: BodyPlatform
    dry_run: bool = False


class OptimizerRunAccepted(ApiModel):
    job_id: str
    run_id: str
    kind: str
    status: str
    location_url: str


class DecisionOut(ApiModel):
    id: str
    seq: int
    subject_type: str
    subject_id: str
    ad_id: str | None
    adset_id: str | None
    campaign_id: str | None
    action: str
    klass: str | None = Field(serialization_alias="class", description="The ad's class.")
    reason: str
    inputs: dict[str, Any]
    params: dict[str, Any]
    axis: str | None
    guardrails_passed: list[str]
    guardrails_blocked: list[str]
    replacement: dict[str, Any] | None
    authority: str = Field(description="dispatch | pending | denied | dry_run | none")
    pending_action_id: str | None
    dispatched_at: UtcDateTime | None
    dispatch_error: dict[str, Any] | None
    created_at: UtcDateTime


class OptimizerRunOut(ApiModel):
    run_id: str
    job_id: str | None
    layer_id: str
    project_id: str
    platform: BodyPlatform
    kind: str
    dry_run: bool
    status: str
    summary: dict[str, Any] | None
    started_at: UtcDateTime
    finished_at: UtcDateTime | None
    decisions: list[DecisionOut]


# ---- pending actions ----


class PendingOut(ApiModel):
    pending_id: str
    layer_id: str
    platform: BodyPlatform
    decision_id: str
    campaign_id: str | None
    subject_id: str
    action: str
    axis: str
    params: dict[str, Any]
    reason: str
    status: PendingStatus
    verdict_id: str | None
    comment: str | None
    dispatched: bool
    dispatched_at: UtcDateTime | None
    created_at: UtcDateTime


class PendingList(ApiModel):
    items: list[PendingOut]
    next_cursor: str | None


class ApproveRequest(RequestModel):
    comment: str | None = Field(default=None, min_length=1, max_length=1000)


class RejectRequest(RequestModel):
    reason: str = text(1, 1000)


class VerdictOut(ApiModel):
    pending_id: str
    status: PendingStatus
    dispatched: bool
    dispatched_at: UtcDateTime | None
    verdict_id: str


# ---- content refresh ----


class ContentRefreshRequest(RequestModel):
    layer_id: str = Field(pattern=LAYER_ID)
    max_new_creatives: int = Field(default=3, ge=1, le=50)


class ContentRefreshAccepted(ApiModel):
    job_id: str
    run_id: str
    kind: str
    status: str
    location_url: str


# ---- ads metrics ----


class AdsMetricScope(StrEnum):
    ad = "ad"
    adset = "adset"
    campaign = "campaign"
    ad_account = "ad_account"
    project = "project"


class AdsMetric(StrEnum):
    spend = "spend"
    impressions = "impressions"
    clicks = "clicks"
    conversions = "conversions"
    cpa = "cpa"
    cpc = "cpc"
    cpm = "cpm"
    ctr = "ctr"
    frequency = "frequency"


class AdsGranularity(StrEnum):
    day = "day"
    week = "week"


class AdsMetricPoint(ApiModel):
    start: UtcDateTime
    value: float | int | None


class AdsMetricSeries(ApiModel):
    metric: AdsMetric
    points: list[AdsMetricPoint]


class AdsMetricsOut(ApiModel):
    scope: AdsMetricScope
    id: str
    granularity: AdsGranularity
    since: UtcDateTime
    until: UtcDateTime
    currency: str
    series: list[AdsMetricSeries]
    totals: dict[str, float | int | None] = Field(
        description="spend (cents), impressions, clicks, conversions: sums of the series; "
        "cpa/cpc/cpm (cents) and ctr: over the whole window (null without a denominator)."
    )


CampaignOut.model_rebuild()
