"""The Ads API (§19): ad accounts, campaigns, ads, authority, optimizer runs, pending actions,
content refresh, and ads metrics. Path platforms are ``meta | tiktok``; bodies and filters say
``meta_ads | tiktok_ads``. Reads need ``ads:read``; each kind of write its ``ads:write:*``
sub-scope. Every route declares its rate-limit class next to it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query

from layers.ads import accounts, ads_metrics, authority_service, pending, service
from layers.ads.platforms.base import path_name
from layers.ads.schemas import (
    AdAccountList,
    AdList,
    AdOAuthUrl,
    AdOAuthUrlRequest,
    AdsGranularity,
    AdsMetric,
    AdsMetricScope,
    AdsMetricsOut,
    AdStatusFilter,
    ApproveRequest,
    BodyPlatform,
    CampaignAuthorityOut,
    CampaignAuthorityPatch,
    CampaignCreate,
    CampaignOut,
    ContentRefreshAccepted,
    ContentRefreshRequest,
    DefaultsOut,
    DefaultsPatch,
    OptimizerRunAccepted,
    OptimizerRunOut,
    OptimizerRunRequest,
    PathPlatform,
    PendingList,
    PendingStatus,
    RejectRequest,
    VerdictOut,
)
from layers.kit.http import LayersRouter
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires

router = LayersRouter(prefix="/v1", tags=["ads"])

READ: dict[str, Any] = {"x-rate-limit-class": "read-light"}
WRITE: dict[str, Any] = {"x-rate-limit-class": "write-light"}
LONG: dict[str, Any] = {"x-rate-limit-class": "long-running"}
ADS = "/projects/{project_id}/ads"

Cursor = Annotated[str | None, Query(max_length=128)]
Limit = Annotated[int, Query(ge=1, le=200)]
LayerId = Annotated[
    str | None, Query(alias="layerId", min_length=1, max_length=40, description="lyr_…")
]
FilterId = Annotated[str | None, Query(min_length=1, max_length=40)]


@router.post(
    f"{ADS}/ad-accounts/oauth-url",
    dependencies=[requires("ads:write:connect")],
    openapi_extra=WRITE,
)
def create_ad_account_oauth_url(
    project_id: str, body: AdOAuthUrlRequest, principal: CurrentPrincipal, session: DbSession
) -> AdOAuthUrl:
    """Start connecting a Meta or TikTok ad account: open ``authorizeUrl``; the person lands on
    ``returnUrl?status=connected&accountId=aac_…``. With a test key the URL connects a sandbox
    ad account at once."""
    return accounts.start(
        session,
        principal,
        project_id,
        platform=path_name(body.platform.value),
        return_url=body.return_url,
    )


@router.get(f"{ADS}/ad-accounts", dependencies=[requires("ads:read")], openapi_extra=READ)
def list_ad_accounts(
    project_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    platform: BodyPlatform | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> AdAccountList:
    """The project's ad accounts, newest first, with their health."""
    return service.list_accounts(
        session,
        principal,
        project_id,
        platform=path_name(platform.value) if platform else None,
        cursor=cursor,
        limit=limit,
    )


@router.post(
    f"{ADS}/{{platform}}/campaigns",
    status_code=201,
    dependencies=[requires("ads:write:campaigns")],
    openapi_extra=WRITE,
)
def create_ad_campaign(
    project_id: str,
    platform: PathPlatform,
    body: CampaignCreate,
    principal: CurrentPrincipal,
    session: DbSession,
) -> CampaignOut:
    """Create a campaign (simplified, "LOCK 6"): exactly one of ``dailyBudgetCents`` and
    ``lifetimeBudgetCents``; created paused. With ``layerId`` the ad layer manages it, with
    authority set from ``campaignManagementMode`` and ``creativeMode``."""
    return service.create_campaign(session, principal, project_id, platform.value, body)


@router.get(f"{ADS}/ads", dependencies=[requires("ads:read")], openapi_extra=READ)
def list_ads(
    project_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    adset_id: Annotated[str | None, Query(alias="adsetId", min_length=1, max_length=40)] = None,
    campaign_id: Annotated[
        str | None, Query(alias="campaignId", min_length=1, max_length=40)
    ] = None,
    ad_account_id: Annotated[
        str | None, Query(alias="adAccountId", min_length=1, max_length=40)
    ] = None,
    platforms: Annotated[list[BodyPlatform] | None, Query()] = None,
    ads_content_id: Annotated[
        str | None, Query(alias="adsContentId", min_length=1, max_length=40)
    ] = None,
    status: AdStatusFilter | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> AdList:
    """Meta and TikTok ads, newest first, each with its class from the last optimizer run and
    its 7-day spend and installs. A cursor we did not issue starts at the first page."""
    return service.list_ads(
        session,
        principal,
        project_id,
        adset_id=adset_id,
        campaign_id=campaign_id,
        ad_account_id=ad_account_id,
        platforms=[p.value for p in platforms] if platforms else None,
        ads_content_id=ads_content_id,
        status=status.value if status else None,
        cursor=cursor,
        limit=limit,
    )


@router.get(f"{ADS}/{{platform}}/defaults", dependencies=[requires("ads:read")], openapi_extra=READ)
def get_ads_defaults(
    project_id: str,
    platform: PathPlatform,
    principal: CurrentPrincipal,
    session: DbSession,
    layer_id: LayerId = None,
) -> DefaultsOut:
    """The ad layer's authority defaults and kill switch (``layerId`` when the project has
    several ad layers of this platform)."""
    return authority_service.get_defaults(session, principal, project_id, platform.value, layer_id)


@router.patch(
    f"{ADS}/{{platform}}/defaults",
    dependencies=[requires("ads:write:policy")],
    openapi_extra=WRITE,
)
def update_ads_defaults(
    project_id: str,
    platform: PathPlatform,
    body: DefaultsPatch,
    principal: CurrentPrincipal,
    session: DbSession,
) -> DefaultsOut:
    """Change the defaults (``off | draft | auto`` per axis) or the kill switch, which denies
    every write of the layer while it is on."""
    return authority_service.patch_defaults(session, principal, project_id, platform.value, body)


@router.get(
    f"{ADS}/{{platform}}/campaigns/{{campaign_id}}/authority",
    dependencies=[requires("ads:read")],
    openapi_extra=READ,
)
def get_campaign_authority(
    project_id: str,
    platform: PathPlatform,
    campaign_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
) -> CampaignAuthorityOut:
    """The authority that applies to a campaign: its own block (``per_campaign``) or the
    layer's defaults (``layer_defaults``)."""
    return authority_service.get_campaign_authority(
        session, principal, project_id, platform.value, campaign_id
    )


@router.patch(
    f"{ADS}/{{platform}}/campaigns/{{campaign_id}}/authority",
    dependencies=[requires("ads:write:policy")],
    openapi_extra=WRITE,
)
def update_campaign_authority(
    project_id: str,
    platform: PathPlatform,
    campaign_id: str,
    body: CampaignAuthorityPatch,
    principal: CurrentPrincipal,
    session: DbSession,
) -> CampaignAuthorityOut:
    """Give the campaign a block of its own (axes not named start from the defaults), or go
    back to the defaults with ``useLayerDefaults: true``."""
    return authority_service.patch_campaign_authority(
        session, principal, project_id, platform.value, campaign_id, body
    )


@router.post(
    f"{ADS}/optimizer/run",
    status_code=202,
    dependencies=[requires("ads:write:optimizer_trigger")],
    openapi_extra=LONG,
)
def run_ads_optimizer(
    project_id: str, body: OptimizerRunRequest, principal: CurrentPrincipal, session: DbSession
) -> OptimizerRunAccepted:
    """Run ad-optimize on a layer now (``dryRun``: decide and record, change nothing). While a
    run of the layer is queued or running, the same run is answered again."""
    return service.start_optimizer_run(session, principal, project_id, body)


@router.get(
    f"{ADS}/optimizer/runs/{{run_id}}", dependencies=[requires("ads:read")], openapi_extra=READ
)
def get_ads_optimizer_run(
    project_id: str, run_id: str, principal: CurrentPrincipal, session: DbSession
) -> OptimizerRunOut:
    """An optimizer pass (ad-optimize, content-refresh or the watchdog) with every decision:
    inputs, class, reason, guardrails, replacement, authority outcome, dispatch."""
    return service.get_run(session, principal, project_id, run_id)


@router.get(f"{ADS}/{{platform}}/pending", dependencies=[requires("ads:read")], openapi_extra=READ)
def list_pending_ad_actions(
    project_id: str,
    platform: PathPlatform,
    principal: CurrentPrincipal,
    session: DbSession,
    status: PendingStatus | None = None,
    layer_id: LayerId = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> PendingList:
    """Actions drafted under ``draft`` authority, newest first."""
    return pending.page(
        session,
        principal,
        project_id,
        platform.value,
        status=status.value if status else None,
        layer_id=layer_id,
        cursor=cursor,
        limit=limit,
    )


@router.post(
    f"{ADS}/{{platform}}/pending/{{pending_id}}/approve",
    dependencies=[requires("ads:write:pending")],
    openapi_extra=WRITE,
)
def approve_pending_ad_action(
    project_id: str,
    platform: PathPlatform,
    pending_id: str,
    body: ApproveRequest,
    principal: CurrentPrincipal,
    session: DbSession,
) -> VerdictOut:
    """Approve: it dispatches on the layer's next tick (``approval.dispatched`` when it
    lands). 409 when already decided."""
    return pending.decide(
        session, principal, project_id, platform.value, pending_id, approve=True, text=body.comment
    )


@router.post(
    f"{ADS}/{{platform}}/pending/{{pending_id}}/reject",
    dependencies=[requires("ads:write:pending")],
    openapi_extra=WRITE,
)
def reject_pending_ad_action(
    project_id: str,
    platform: PathPlatform,
    pending_id: str,
    body: RejectRequest,
    principal: CurrentPrincipal,
    session: DbSession,
) -> VerdictOut:
    """Reject (a ``reason`` is required). 409 when already decided."""
    return pending.decide(
        session, principal, project_id, platform.value, pending_id, approve=False, text=body.reason
    )


@router.post(
    f"{ADS}/{{platform}}/content-refresh",
    status_code=202,
    dependencies=[requires("ads:write:creative")],
    openapi_extra=LONG,
)
def refresh_ad_content(
    project_id: str,
    platform: PathPlatform,
    body: ContentRefreshRequest,
    principal: CurrentPrincipal,
    session: DbSession,
) -> ContentRefreshAccepted:
    """Run content-refresh on a layer now: disable underperformers, launch up to
    ``maxNewCreatives`` fresh eligible creatives per adset."""
    return service.start_content_refresh(session, principal, project_id, platform.value, body)


@router.get(
    "/projects/{project_id}/ads-metrics",
    dependencies=[requires("metrics:read")],
    openapi_extra=READ,
)
def get_ads_metrics(
    project_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    scope: AdsMetricScope,
    id: Annotated[str, Query(min_length=1, max_length=40, description="The scoped object's id.")],
    metrics: Annotated[list[AdsMetric] | None, Query()] = None,
    platforms: Annotated[list[BodyPlatform] | None, Query()] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    granularity: AdsGranularity = AdsGranularity.day,
) -> AdsMetricsOut:
    """What the ads did: ``(series, totals)`` of spend, installs (``conversions``), CPA… in
    integer cents, by day or week."""
    return ads_metrics.ads_metrics(
        session,
        principal,
        project_id,
        scope=scope,
        scope_id=id,
        wanted=metrics or [],
        platforms=[p.value for p in platforms] if platforms else None,
        since=since,
        until=until,
        granularity=granularity,
    )
