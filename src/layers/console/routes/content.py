"""A project's content library and one content's page: its slides or video, caption,
hashtags, source and jobs, with regenerate, schedule and attach-to-a-slot."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse

from layers.console import content_views, twins, views
from layers.console.routes import router
from layers.console.twins import admit, admit_console
from layers.console.web import (
    Console,
    Ctx,
    Post,
    api_body,
    form_of,
    redirect,
    render,
    text,
    unit,
)
from layers.content import service as content
from layers.content.schemas import RegenerateBody
from layers.engine.project_layers import execution
from layers.engine.project_layers.schemas import ExecuteRequest
from layers.kit.errors import Validation
from layers.publishing.scheduling import service as scheduling
from layers.publishing.scheduling.schemas import ScheduleBody


@router.get("/console/projects/{project_id}/content")
def content_page(project_id: str, ctx: Ctx = Console) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/projects/{project_id}/content")
    with unit(write=False) as db:
        project = views.project(db, ctx.principal, project_id)
        data = views.content_library(db, ctx.principal, project_id)
    return render(ctx, "content.html", nav="projects", sub="content", project=project, **data)


@router.get("/console/content/{container_id}")
def content_detail_page(container_id: str, ctx: Ctx = Console) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/content/{container_id}"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        data = content_views.content_detail(db, ctx.principal, container_id)
    return render(ctx, "content_detail.html", nav="projects", sub="content", **data)


def _here(container_id: str) -> str:
    return f"/console/content/{container_id}"


@router.post("/console/content/{container_id}/regenerate")
def regenerate(container_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/content/{container_id}/regenerate")
    form = form_of(ctx)
    data: dict[str, Any] = {}
    if "hook" in form:
        data["hook"] = content_views.hook_from_lines(text(form, "hook")) or None
    body = api_body(RegenerateBody, data)
    with unit(write=True) as db:
        content.regenerate(db, ctx.principal, container_id, body.hook)
    return redirect(
        _here(container_id),
        flash="Generating again; the current media stay until the new ones are ready.",
    )


@router.post("/console/content/{container_id}/schedule")
def schedule(container_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/content/{container_id}/schedule")
    form = form_of(ctx)
    when = text(form, "scheduledFor").strip()
    if len(when) == 16:  # a datetime-local input: minutes, read in the project timezone
        when += ":00"
    if not when:
        raise Validation.field("scheduledFor", "choose a date and time", "missing")
    accounts = [a for a in form.getlist("socialAccountId") if isinstance(a, str) and a]
    if not accounts:
        raise Validation.field("targets", "tick at least one account", "missing")
    mode = text(form, "mode") or "publish"
    body = api_body(
        ScheduleBody,
        {
            "scheduledFor": when,
            "targets": [{"socialAccountId": a, "mode": mode} for a in accounts],
        },
    )
    with unit(write=True) as db:
        result = scheduling.schedule(db, ctx.principal, container_id, body)
        project_id = content.get(db, ctx.principal, container_id).project_id
    count = len(result.scheduled_post_ids)
    plural = "s" if count != 1 else ""
    at = when[:16].replace("T", " ")
    message = f"Scheduled on {count} account{plural} for {at} (project time)."
    for warning in result.warnings:
        message += f" {warning.message}"
    start = when[:10]
    return redirect(
        f"/console/projects/{project_id}/schedule?start={start}&view=week", flash=message
    )


@router.post("/console/content/{container_id}/attach")
def attach(container_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/content/{container_id}/attach")
    layer_id = text(form_of(ctx), "layerId")
    if not layer_id:
        raise Validation.field("layerId", "choose a distribution layer", "missing")
    body = api_body(
        ExecuteRequest,
        {
            "commandId": content_views.ATTACH_COMMAND,
            "parameters": {"containerId": container_id},
            "trigger": "console",
        },
    )
    with unit(write=True) as db:
        content.get(db, ctx.principal, container_id)  # 404 for content the key cannot see
        run = execution.execute(db, ctx.principal, layer_id, body)
        run_id = run.id
    return redirect(
        f"/console/layers/{layer_id}?tab=runs&run={run_id}",
        flash="Attaching to the layer's next empty slot.",
    )
