"""A run's live panel (status, activities, heartbeats), its logs, retry and cancel."""

from __future__ import annotations

from fastapi.responses import HTMLResponse, RedirectResponse

from layers.console import views
from layers.console.routes import router
from layers.console.twins import admit, admit_console
from layers.console.web import Console, Ctx, Post, partial, redirect, unit
from layers.engine.runs import canceling, retrying


@router.get("/console/runs/{run_id}/panel")
def run_panel(run_id: str, ctx: Ctx = Console) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/runs/{run_id}")
    with unit(write=False) as db:
        panel = views.run_panel(db, ctx.principal, run_id)
    response = partial(ctx, "_run_status.html", panel=panel)
    if not panel["live"]:
        response.headers["HX-Trigger"] = "run-finished"  # the run list refreshes once more
    return response


@router.get("/console/runs/{run_id}/logs")
def run_logs(run_id: str, after: int = 0, ctx: Ctx = Console) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/runs/{run_id}/logs")
    with unit(write=False) as db:
        logs = views.run_logs(db, ctx.principal, run_id, max(after, 0))
    return partial(ctx, "_run_logs.html", logs=logs, oob=True)


@router.post("/console/runs/{run_id}/retry")
def retry_run(run_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/runs/{run_id}/retry")
    with unit(write=True) as db:
        run = retrying.retry(db, ctx.principal, run_id, trigger="console")
        layer_id, new_id = run.layer_id, run.id
    target = f"/console/layers/{layer_id}?tab=runs&run={new_id}" if layer_id else "/console"
    return redirect(target, flash=f"Retrying {run_id} as {new_id}.")


@router.post("/console/runs/{run_id}/cancel")
def cancel_run(run_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/runs/{run_id}/cancel")
    with unit(write=True) as db:
        run = canceling.cancel(db, ctx.principal, run_id)
        layer_id = run.layer_id
    target = f"/console/layers/{layer_id}?tab=runs&run={run_id}" if layer_id else "/console"
    return redirect(target, flash=f"Canceled {run_id}.")
