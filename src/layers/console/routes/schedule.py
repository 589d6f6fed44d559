"""A project's schedule (the calendar) and what can be done to a scheduled post."""

from __future__ import annotations

from fastapi.responses import HTMLResponse, RedirectResponse

from layers.console import views
from layers.console.routes import router
from layers.console.twins import admit, admit_console
from layers.console.web import (
    Console,
    Ctx,
    Post,
    api_body,
    back_from,
    calendar_view,
    form_of,
    redirect,
    render,
    text,
    unit,
)
from layers.publishing.scheduling import service as scheduling
from layers.publishing.scheduling.schemas import RescheduleBody


@router.get("/console/projects/{project_id}/schedule")
def project_schedule_page(
    project_id: str, start: str | None = None, view: str = "week", ctx: Ctx = Console
) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/projects/{project_id}/scheduled-posts")
    with unit(write=False) as db:
        project = views.project(db, ctx.principal, project_id)
        cal = views.calendar(
            db, ctx.principal, project_id, layer_id=None, start=start, view=calendar_view(view)
        )
    return render(
        ctx, "project_schedule.html", nav="projects", sub="schedule", project=project, cal=cal
    )


@router.post("/console/scheduled-posts/{post_id}/reschedule")
def reschedule_post(post_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/scheduled-posts/{post_id}/reschedule")
    when = text(form_of(ctx), "scheduledFor").strip()
    if len(when) == 16:  # a datetime-local input: minutes, read in the project timezone
        when += ":00"
    body = api_body(RescheduleBody, {"scheduledFor": when})
    with unit(write=True) as db:
        scheduling.reschedule(db, ctx.principal, post_id, body.scheduled_for)
    return redirect(back_from(ctx), flash=f"Moved {post_id} to {when} (project time).")


@router.post("/console/scheduled-posts/{post_id}/cancel")
def cancel_post(post_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/scheduled-posts/{post_id}/cancel")
    with unit(write=True) as db:
        scheduling.cancel(db, ctx.principal, post_id)
    return redirect(back_from(ctx), flash=f"Canceled {post_id}.")


@router.post("/console/scheduled-posts/{post_id}/retry")
def retry_post(post_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/scheduled-posts/{post_id}/retry")
    with unit(write=True) as db:
        scheduling.retry(db, ctx.principal, post_id)
    return redirect(back_from(ctx), flash=f"{post_id} is back in line.")
