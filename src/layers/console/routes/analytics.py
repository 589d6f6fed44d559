"""A project's analytics: views over time, top performers, each account's temperature."""

from __future__ import annotations

from fastapi.responses import HTMLResponse, RedirectResponse

from layers.console import analytics_views, views
from layers.console.routes import router
from layers.console.twins import admit, admit_console
from layers.console.web import Console, Ctx, Post, back_from, form_of, redirect, render, text, unit
from layers.kit.errors import Validation
from layers.metrics import performers
from layers.metrics.schemas import Override


@router.get("/console/projects/{project_id}/analytics")
def project_analytics_page(
    project_id: str, window: str = "30d", ctx: Ctx = Console
) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/projects/{project_id}/metrics")
    with unit(write=False) as db:
        project = views.project(db, ctx.principal, project_id)
        page = analytics_views.analytics_page(db, ctx.principal, project_id, window)
    return render(ctx, "analytics.html", nav="projects", sub="analytics", project=project, **page)


@router.post("/console/projects/{project_id}/creatives/{container_id}/override")
def set_creative_override(project_id: str, container_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(
        ctx.principal, "POST /console/projects/{project_id}/creatives/{container_id}/override"
    )
    choice = text(form_of(ctx), "override")
    if choice not in ("include", "exclude", "clear"):
        raise Validation.field("override", "must be include, exclude or clear")
    override = None if choice == "clear" else Override(choice)
    with unit(write=True) as db:
        performers.set_override(db, ctx.principal, project_id, container_id, override)
    said = {"include": "Included in ads whatever its score.", "exclude": "Excluded from ads.",
            "clear": "Back to its score."}[choice]  # fmt: skip
    return redirect(back_from(ctx), flash=said)
