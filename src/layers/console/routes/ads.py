"""Ads: a project's ad accounts (connect, install an ad layer on one) and an ad layer's Ads tab
(campaign tree, decision log, pending approvals, authority defaults, run / refresh now).

Every action calls the Ads API's own service with the API's request model, admitted with its
twin's scope (`layers.console.twins`)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import HTMLResponse, RedirectResponse

from layers.ads import accounts, authority_service, pending, service
from layers.ads.platforms.base import body_name, path_name
from layers.ads.schemas import (
    AdOAuthUrlRequest,
    ApproveRequest,
    ContentRefreshRequest,
    DefaultsPatch,
    OptimizerRunRequest,
    RejectRequest,
)
from layers.console import ads_views, twins, views
from layers.console.routes import router
from layers.console.twins import admit, admit_console
from layers.console.web import Console, Ctx, Post, api_body, form_of, redirect, render, text, unit
from layers.engine.project_layers import service as layers
from layers.kit.errors import Validation
from layers.kit.settings import get_settings


def _tab(layer_id: str, run: str | None = None) -> str:
    """The layer's Ads tab (showing `run`'s decisions)."""
    page = f"/console/layers/{quote(layer_id)}/ads"
    return f"{page}?run={quote(run)}" if run else page


@router.get("/console/projects/{project_id}/ads")
def project_ads_page(
    project_id: str, status: str | None = None, ctx: Ctx = Console
) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/projects/{project_id}/ads"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        project = views.project(db, ctx.principal, project_id)
        data = ads_views.project_ads(db, ctx.principal, project_id)
    return render(
        ctx, "ads_accounts.html", nav="projects", sub="ads", project=project, returned=status,
        money=ads_views.money, **data,
    )  # fmt: skip


@router.post("/console/projects/{project_id}/ads/connect")
def connect_ad_account(project_id: str, ctx: Ctx = Post) -> RedirectResponse:
    """Start the ad-account OAuth; the person comes back to the project's Ads page (with a
    test key the sandbox consents at once)."""
    admit_console(ctx.principal, "POST /console/projects/{project_id}/ads/connect")
    back = get_settings().public_base_url.rstrip("/") + f"/console/projects/{quote(project_id)}/ads"
    body = api_body(
        AdOAuthUrlRequest, {"platform": text(form_of(ctx), "platform"), "returnUrl": back}
    )
    with unit(write=True) as db:
        started = accounts.start(
            db, ctx.principal, project_id, platform=path_name(body.platform.value),
            return_url=body.return_url,
            console=True,
        )  # fmt: skip
    return RedirectResponse(started.authorize_url, status_code=303)


@router.get("/console/layers/{layer_id}/ads")
def layer_ads_page(layer_id: str, run: str | None = None, ctx: Ctx = Console) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/layers/{layer_id}/ads"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        data = views.layer_view(db, ctx.principal, layer_id)
        row = data.pop("row")
        data |= ads_views.ads_tab(db, ctx.principal, row, run)
    return render(
        ctx, "ads.html", nav="projects", sub="layers", tab="ads", money=ads_views.money, **data
    )


def _layer(ctx: Ctx, layer_id: str) -> tuple[str, str]:
    """(project id, platform) of the ad layer."""
    with unit(write=False) as db:
        row = layers.get(db, ctx.principal, layer_id)
        return row.project_id, ads_views.platform_of(row)


@router.post("/console/layers/{layer_id}/ads/optimize")
def run_optimizer(layer_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/ads/optimize")
    project_id, platform = _layer(ctx, layer_id)
    dry = text(form_of(ctx), "dryRun") in ("on", "true", "1")
    body = api_body(
        OptimizerRunRequest,
        {"layerId": layer_id, "platform": body_name(platform), "dryRun": dry},
    )
    with unit(write=True) as db:
        accepted = service.start_optimizer_run(db, ctx.principal, project_id, body)
    said = (
        "Dry run started: it decides and records, and changes nothing."
        if dry
        else ("Optimizer started.")
    )
    return redirect(_tab(layer_id, run=accepted.run_id), flash=said)


@router.post("/console/layers/{layer_id}/ads/refresh")
def refresh_now(layer_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/ads/refresh")
    project_id, platform = _layer(ctx, layer_id)
    body = api_body(ContentRefreshRequest, {"layerId": layer_id})
    with unit(write=True) as db:
        accepted = service.start_content_refresh(db, ctx.principal, project_id, platform, body)
    return redirect(_tab(layer_id, run=accepted.run_id), flash="Content refresh started.")


@router.post("/console/layers/{layer_id}/ads/authority")
def set_authority(layer_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/ads/authority")
    project_id, platform = _layer(ctx, layer_id)
    form = form_of(ctx)
    axes = {axis: text(form, axis) for axis in ads_views.AXES if text(form, axis)}
    body = api_body(
        DefaultsPatch,
        {
            "layerId": layer_id,
            "defaults": axes,
            "killSwitchActive": text(form, "killSwitch") in ("on", "true", "1"),
        },
    )
    with unit(write=True) as db:
        out = authority_service.patch_defaults(db, ctx.principal, project_id, platform, body)
    said = "Authority saved." + (
        " Kill switch ON: every write is denied." if out.kill_switch_active else ""
    )
    return redirect(_tab(layer_id), flash=said)


@router.post("/console/layers/{layer_id}/ads/pending/{pending_id}/approve")
def approve(layer_id: str, pending_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/ads/pending/{pending_id}/approve")
    project_id, platform = _layer(ctx, layer_id)
    comment = text(form_of(ctx), "comment").strip() or None
    body = api_body(ApproveRequest, {"comment": comment})
    with unit(write=True) as db:
        pending.decide(
            db, ctx.principal, project_id, platform, pending_id, approve=True, text=body.comment
        )
    return redirect(_tab(layer_id), flash="Approved: it dispatches on the layer's next tick.")


@router.post("/console/layers/{layer_id}/ads/pending/{pending_id}/reject")
def reject(layer_id: str, pending_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/ads/pending/{pending_id}/reject")
    project_id, platform = _layer(ctx, layer_id)
    reason = text(form_of(ctx), "reason").strip()
    if not reason:
        raise Validation.field("reason", "say why it is rejected", "required")
    body = api_body(RejectRequest, {"reason": reason})
    with unit(write=True) as db:
        pending.decide(
            db, ctx.principal, project_id, platform, pending_id, approve=False, text=body.reason
        )
    return redirect(_tab(layer_id), flash="Rejected.")
