"""A project's content library."""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from layers.console import views
from layers.console.routes import router
from layers.console.twins import admit
from layers.console.web import Console, Ctx, render, unit


@router.get("/console/projects/{project_id}/content")
def content_page(project_id: str, ctx: Ctx = Console) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/projects/{project_id}/content")
    with unit(write=False) as db:
        project = views.project(db, ctx.principal, project_id)
        data = views.content_library(db, ctx.principal, project_id)
    return render(ctx, "content.html", nav="projects", sub="content", project=project, **data)
