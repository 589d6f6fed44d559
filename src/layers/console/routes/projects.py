"""The projects list (active / archived), creating a project, a project's overview, editing
its brief, archiving and restoring it."""

from __future__ import annotations

from fastapi.responses import HTMLResponse, RedirectResponse, Response

from layers.console import project_form, twins, views
from layers.console.routes import router
from layers.console.routes.accounts import render_settings
from layers.console.twins import admit, admit_console
from layers.console.web import Console, Ctx, Post, form_of, redirect, render, unit
from layers.kit.errors import LayersError
from layers.projects import service as projects
from layers.projects.schemas import ProjectCreate, ProjectStatus, ProjectUpdate

LIST_FILTERS = ("active", "archived", "all")


@router.get("/console/projects")
def projects_page(q: str | None = None, status: str = "active", ctx: Ctx = Console) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/projects")
    shown = status if status in LIST_FILTERS else "active"
    with unit(write=False) as db:
        items = views.project_list(db, ctx.principal, q, None if shown == "all" else shown)
        archived = views.project_count(db, ctx.principal, "archived")
    return render(
        ctx,
        "projects.html",
        nav="projects",
        projects=items,
        q=q or "",
        listing=shown,
        archived_count=archived,
        can_create=twins.allows(ctx.principal, "POST /v1/projects"),
    )


def _new_form(ctx: Ctx, form: project_form.BriefForm, status: int = 200) -> HTMLResponse:
    return render(
        ctx,
        "project_new.html",
        status=status,
        nav="projects",
        title="New project",
        brief=form,
        fields=project_form.fields(),
        zones=project_form.timezones(),
    )


@router.get("/console/projects/new")
def new_project_page(ctx: Ctx = Console) -> HTMLResponse:
    admit(ctx.principal, "POST /v1/projects")
    return _new_form(ctx, project_form.BriefForm(values=dict(project_form.DEFAULTS)))


@router.post("/console/projects", response_model=None)
def create_project(ctx: Ctx = Post) -> Response:
    admit_console(ctx.principal, "POST /console/projects")
    values = project_form.values_of(form_of(ctx))
    body, form = project_form.read(ProjectCreate, values, clear_empty=False)
    if body is None:
        return _new_form(ctx, form, status=422)
    try:
        with unit(write=True) as db:
            project, started = projects.create(db, ctx.principal, body)
            project_id, name = project.id, project.name
    except LayersError as exc:
        fields_ = exc.details.get("fields") if isinstance(exc.details, dict) else None
        return _new_form(ctx, project_form.from_api_fields(form, fields_ or [], exc.message), 422)
    note = f"Created {name}."
    if started.keyword_research is not None:
        note += " Keyword research and the first influencer have started."
    return redirect(f"/console/projects/{project_id}", flash=note)


@router.get("/console/projects/{project_id}")
def project_page(project_id: str, ctx: Ctx = Console) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/projects/{project_id}"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        data = views.project_overview(db, ctx.principal, project_id)
    return render(ctx, "project.html", nav="projects", sub="overview", **data)


@router.post("/console/projects/{project_id}/brief", response_model=None)
def save_brief(project_id: str, ctx: Ctx = Post) -> Response:
    admit_console(ctx.principal, "POST /console/projects/{project_id}/brief")
    values = project_form.values_of(form_of(ctx))
    body, form = project_form.read(ProjectUpdate, values, clear_empty=True)
    if body is not None:
        try:
            with unit(write=True) as db:
                before = projects.get(db, ctx.principal, project_id).app_description
                project = projects.update(db, ctx.principal, project_id, body)
                research = bool(project.app_description) and project.app_description != before
        except LayersError as exc:
            if exc.status == 404:
                raise
            fields_ = exc.details.get("fields") if isinstance(exc.details, dict) else None
            form = project_form.from_api_fields(form, fields_ or [], exc.message)
        else:
            note = "Saved the brief."
            if research:
                note += " The description changed, so keyword research runs again."
            return redirect(f"/console/projects/{project_id}/settings", flash=note)
    return render_settings(ctx, project_id, brief=form, status=422)


@router.post("/console/projects/{project_id}/archive")
def archive_project(project_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/projects/{project_id}/archive")
    with unit(write=True) as db:
        project, canceled = projects.archive(db, ctx.principal, project_id)
        name = project.name
    note = f"Archived {name}. Its data stays; nothing is generated or published for it."
    if canceled:
        note += f" Canceled {canceled} scheduled post{'s' if canceled != 1 else ''}."
    return redirect(f"/console/projects/{project_id}/settings", flash=note)


@router.post("/console/projects/{project_id}/restore")
def restore_project(project_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/projects/{project_id}/restore")
    with unit(write=True) as db:
        project = projects.update(
            db, ctx.principal, project_id, ProjectUpdate(status=ProjectStatus.active)
        )
        name = project.name
    return redirect(
        f"/console/projects/{project_id}/settings",
        flash=f"Restored {name}. Canceled posts stay canceled; schedule them again if needed.",
    )
