"""The projects list and a project's overview."""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from layers.console import twins, views
from layers.console.routes import router
from layers.console.twins import admit
from layers.console.web import Console, Ctx, render, unit


@router.get("/console/projects")
def projects_page(q: str | None = None, ctx: Ctx = Console) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/projects")
    with unit(write=False) as db:
        items = views.project_list(db, ctx.principal, q)
    return render(ctx, "projects.html", nav="projects", projects=items, q=q or "")


@router.get("/console/projects/{project_id}")
def project_page(project_id: str, ctx: Ctx = Console) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/projects/{project_id}"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        data = views.project_overview(db, ctx.principal, project_id)
    return render(ctx, "project.html", nav="projects", sub="overview", **data)
