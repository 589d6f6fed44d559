"""The Ads API's business logic: ad accounts, campaigns (simplified create), the ads list,
optimizer runs (start, read) and content refresh. Authority lives in `authority_service`,
pending actions in `pending`, the metrics in `ads_metrics`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from layers.ads import accounts, ad_layers, authority_service, platform_access, repository, story
from layers.ads.platforms.base import (
    AdsAuthFailed,
    AdsCallError,
    AdsRateLimited,
    CampaignInput,
    body_name,
    path_name,
)
from layers.ads.schemas import (
    AdAccountList,
    AdList,
    AdOut,
    AuthorityAxesPatch,
    AxisMode,
    BodyPlatform,
    CampaignCreate,
    CampaignOut,
    ContentRefreshAccepted,
    ContentRefreshRequest,
    DecisionOut,
    ManagementMode,
    OptimizerRunAccepted,
    OptimizerRunOut,
    OptimizerRunRequest,
)
from layers.engine.catalog import registry
from layers.engine.runs import service as runs
from layers.jobs import service as jobs
from layers.kit import clock
from layers.kit.errors import AuthorityDenied, Conflict, NotFound, PlatformError, RateLimited
from layers.kit.ids import has_prefix, new_id
from layers.kit.settings import get_settings
from layers.models.ads import AdCampaign, AdDecision, AdOptimizerRun
from layers.orgs.service import Principal
from layers.projects import service as projects

MODE_AXIS = {
    ManagementMode.manual: AxisMode.off,
    ManagementMode.draft: AxisMode.draft,
    ManagementMode.autopilot: AxisMode.auto,
}


def list_accounts(
    session: Session,
    principal: Principal,
    project_id: str,
    *,
    platform: str | None,
    cursor: str | None,
    limit: int,
) -> AdAccountList:
    projects.get(session, principal, project_id)
    rows, next_cursor = repository.accounts_page(
        session, principal, project_id, platform=platform, cursor=cursor, limit=limit
    )
    return AdAccountList(items=[accounts.to_out(a) for a in rows], next_cursor=next_cursor)


# ---- campaigns ----


def _campaign_out(campaign: AdCampaign) -> CampaignOut:
    return CampaignOut(
        id=campaign.id,
        project_id=campaign.project_id,
        ad_account_id=campaign.ad_account_id,
        layer_id=campaign.layer_id,
        platform=BodyPlatform(body_name(campaign.platform)),
        platform_campaign_id=campaign.platform_campaign_id,
        name=campaign.name,
        outcome=campaign.outcome,
        status=campaign.status,
        daily_budget_cents=campaign.daily_budget_cents,
        lifetime_budget_cents=campaign.lifetime_budget_cents,
        bid_strategy=campaign.bid_strategy,
        start_time=campaign.start_time,
        end_time=campaign.end_time,
        last_class=campaign.last_class,
    )


def create_campaign(
    session: Session, principal: Principal, project_id: str, platform: str, body: CampaignCreate
) -> CampaignOut:
    """Create the campaign on the platform (paused: it delivers once it has ads) and mirror it.

    With ``layerId`` the ad layer manages it, with a block of authority of its own set from
    ``campaignManagementMode`` (tactical, structural) and ``creativeMode`` (creative). The
    layer's kill switch refuses it (AUTHORITY_DENIED)."""
    project = projects.get(session, principal, project_id)
    if project.status != "active":
        raise Conflict(f"Project {project_id} is archived.", projectId=project_id)
    account = accounts.get(session, principal, body.ad_account_id)
    if account.project_id != project.id or account.platform != platform:
        raise NotFound.of("ad account", body.ad_account_id)
    if not account.healthy or account.status != "connected":
        raise Conflict(
            f"Ad account {account.id} is {account.status}: reconnect it first.",
            adAccountId=account.id,
            status=account.status,
        )
    layer = None
    if body.layer_id is not None:
        layer = ad_layers.get_layer(session, principal, project.id, body.layer_id, platform)
        if authority_service.policy_of(session, layer).defaults.kill_switch:
            raise AuthorityDenied(
                "The layer's kill switch is on: no writes.", reason="kill_switch_active"
            )
    token = accounts.token_of(session, account)
    client = platform_access.platform(platform, principal.livemode)
    try:
        made = client.create_campaign(
            token,
            account.platform_account_id,
            CampaignInput(
                name=body.name,
                outcome=body.outcome.value,
                daily_budget_cents=body.daily_budget_cents,
                lifetime_budget_cents=body.lifetime_budget_cents,
                start_time=body.start_time,
                end_time=body.end_time,
                bid_strategy=body.bid_strategy,
            ),
        )
    except AdsAuthFailed as exc:
        accounts.mark_unhealthy(account.id, exc.code, exc.message)
        raise Conflict(f"The platform refused the ad account's token: {exc.message}") from exc
    except AdsRateLimited as exc:
        raise RateLimited(exc.message, retry_after=int(exc.retry_after) or 60) from exc
    except AdsCallError as exc:
        raise PlatformError(f"{platform} refused the campaign: {exc.message}") from exc
    campaign = AdCampaign(
        id=new_id("cmp"),
        org_id=principal.org_id,
        livemode=principal.livemode,
        project_id=project.id,
        ad_account_id=account.id,
        layer_id=layer.id if layer else None,
        platform=platform,
        platform_campaign_id=made.campaign_id,
        name=made.name,
        outcome=body.outcome.value,
        status=made.status,
        daily_budget_cents=body.daily_budget_cents,
        lifetime_budget_cents=body.lifetime_budget_cents,
        bid_strategy=body.bid_strategy,
        start_time=body.start_time or clock.now(),
        end_time=body.end_time,
    )
    session.add(campaign)
    session.flush()
    out = _campaign_out(campaign)
    if layer is not None:
        mode = MODE_AXIS[body.campaign_management_mode]
        patch = AuthorityAxesPatch(
            creative=MODE_AXIS[body.creative_mode], tactical=mode, structural=mode
        )
        row = authority_service.set_campaign_block(
            session, campaign, layer, patch, actor=principal.key_id
        )
        out.authority = authority_service.axes_of(row)
    return out


# ---- ads ----


def list_ads(
    session: Session,
    principal: Principal,
    project_id: str,
    *,
    adset_id: str | None,
    campaign_id: str | None,
    ad_account_id: str | None,
    platforms: list[str] | None,
    ads_content_id: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> AdList:
    projects.get(session, principal, project_id)
    rows, next_cursor = repository.ads_page(
        session,
        principal,
        project_id,
        adset_id=adset_id,
        campaign_id=campaign_id,
        ad_account_id=ad_account_id,
        platforms=[path_name(p) for p in platforms] if platforms else None,
        ads_content_id=ads_content_id,
        status=status,
        cursor=cursor,
        limit=limit,
    )
    ids = [a.id for a in rows]
    week = repository.spend_installs_since(session, ids, clock.now().date() - timedelta(days=6))
    links = repository.content_links(session, ids)
    return AdList(
        items=[
            AdOut(
                id=a.id,
                project_id=a.project_id,
                platform=BodyPlatform(body_name(a.platform)),
                ad_account_id=a.ad_account_id,
                campaign_id=a.campaign_id,
                adset_id=a.adset_id,
                platform_ad_id=a.platform_ad_id,
                name=a.name,
                status=a.status,
                learning=a.learning,
                ads_content_id=links[a.id].id if a.id in links else None,
                container_id=a.container_id,
                launched_at=a.launched_at,
                last_class=a.last_class,
                last_reason=a.last_reason,
                classified_at=a.classified_at,
                spend_cents_7d=week.get(a.id, (0, 0))[0],
                installs_7d=week.get(a.id, (0, 0))[1],
            )
            for a in rows
        ],
        next_cursor=next_cursor,
    )


# ---- optimizer runs and content refresh ----

JOB_KINDS = {story.AD_OPTIMIZE: "ads_optimizer_run", story.CONTENT_REFRESH: "content_refresh"}


def _start(
    session: Session,
    principal: Principal,
    project_id: str,
    platform: str,
    layer_id: str,
    command_id: str,
    parameters: dict[str, object],
) -> tuple[str, str, str]:
    """(job id, run id, status): a run already queued or running for this layer and command
    is returned again rather than doubled (the endpoint is idempotent)."""
    project = projects.get(session, principal, project_id)
    layer = ad_layers.get_layer(session, principal, project.id, layer_id, platform)
    if layer.status != "active":
        raise Conflict(f"Layer {layer.id} is {layer.status}.", status=layer.status)
    if project.status != "active":
        raise Conflict(f"Project {project_id} is archived.", projectId=project_id)
    running = repository.active_run(session, layer.id, command_id)
    if running is not None and running.job_id is not None:
        return running.job_id, running.run_id, "running"
    template = registry.for_layer(layer)
    assert template is not None
    job = jobs.create(
        session,
        org_id=principal.org_id,
        livemode=principal.livemode,
        kind=JOB_KINDS[command_id],
        project_id=project.id,
        subject_id=layer.id,
    )
    run = runs.start_run(
        session,
        get_settings(),
        layer=layer,
        template=template,
        command_id=command_id,
        trigger="api",
        parameters={**parameters, "jobId": job.id},
    )
    # The run's row exists from now on, so a second request finds it (idempotent start).
    session.add(
        AdOptimizerRun(
            run_id=run.id,
            org_id=layer.org_id,
            livemode=layer.livemode,
            project_id=layer.project_id,
            layer_id=layer.id,
            platform=platform,
            kind=command_id,
            dry_run=bool(parameters.get("dryRun", False)),
            job_id=job.id,
            status="queued",
            started_at=clock.now(),
        )
    )
    session.flush()
    job.subject_id = run.id
    return job.id, run.id, job.status


def start_optimizer_run(
    session: Session, principal: Principal, project_id: str, body: OptimizerRunRequest
) -> OptimizerRunAccepted:
    platform = path_name(body.platform.value)
    job_id, run_id, status = _start(
        session,
        principal,
        project_id,
        platform,
        body.layer_id,
        story.AD_OPTIMIZE,
        {"dryRun": body.dry_run},
    )
    return OptimizerRunAccepted(
        job_id=job_id,
        run_id=run_id,
        kind="ads_optimizer_run",
        status=status,
        location_url=f"/v1/projects/{project_id}/ads/optimizer/runs/{run_id}",
    )


def start_content_refresh(
    session: Session,
    principal: Principal,
    project_id: str,
    platform: str,
    body: ContentRefreshRequest,
) -> ContentRefreshAccepted:
    job_id, run_id, status = _start(
        session,
        principal,
        project_id,
        platform,
        body.layer_id,
        story.CONTENT_REFRESH,
        {"maxNewCreatives": body.max_new_creatives},
    )
    return ContentRefreshAccepted(
        job_id=job_id,
        run_id=run_id,
        kind="content_refresh",
        status=status,
        location_url=f"/v1/projects/{project_id}/ads/optimizer/runs/{run_id}",
    )


def decision_out(d: AdDecision) -> DecisionOut:
    return DecisionOut(
        id=d.id,
        seq=d.seq,
        subject_type=d.subject_type,
        subject_id=d.subject_id,
        ad_id=d.ad_id,
        adset_id=d.adset_id,
        campaign_id=d.campaign_id,
        action=d.action,
        klass=d.klass,
        reason=d.reason,
        inputs=d.inputs,
        params=d.params,
        axis=d.axis,
        guardrails_passed=d.guardrails_passed,
        guardrails_blocked=d.guardrails_blocked,
        replacement=d.replacement,
        authority=d.authority,
        pending_action_id=d.pending_action_id,
        dispatched_at=d.dispatched_at,
        dispatch_error=d.dispatch_error,
        created_at=d.created_at,
    )


def get_run(
    session: Session, principal: Principal, project_id: str, run_id: str
) -> OptimizerRunOut:
    projects.get(session, principal, project_id)
    run = session.get(AdOptimizerRun, run_id) if has_prefix(run_id, "run") else None
    if (
        run is None
        or run.org_id != principal.org_id
        or run.livemode != principal.livemode
        or run.project_id != project_id
    ):
        raise NotFound.of("optimizer run", run_id)
    return OptimizerRunOut(
        run_id=run.run_id,
        job_id=run.job_id,
        layer_id=run.layer_id,
        project_id=run.project_id,
        platform=BodyPlatform(body_name(run.platform)),
        kind=run.kind,
        dry_run=run.dry_run,
        status=run.status,
        summary=run.summary,
        started_at=run.started_at,
        finished_at=run.finished_at,
        decisions=[decision_out(d) for d in repository.decisions_of(session, run.run_id)],
    )
