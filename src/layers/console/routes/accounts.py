"""A project's settings: its social accounts, connecting and reconnecting them (OAuth)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import HTMLResponse, RedirectResponse

from layers.console import twins, views
from layers.console.routes import router
from layers.console.twins import admit, admit_console
from layers.console.web import (
    Console,
    Ctx,
    Post,
    api_body,
    form_of,
    render,
    text,
    unit,
)
from layers.kit.settings import get_settings
from layers.social import oauth
from layers.social.schemas import OAuthUrlRequest, ReauthUrlRequest


@router.get("/console/projects/{project_id}/settings")
def settings_page(
    project_id: str,
    status: str | None = None,
    state: str | None = None,
    error: str | None = None,
    ctx: Ctx = Console,
) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/projects/{project_id}/settings"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        project = views.project(db, ctx.principal, project_id)
        accounts = views.accounts_view(db, ctx.principal, project_id)
    returned = None
    if status in ("success", "error"):
        returned = {"ok": status == "success", "error": error}
    return render(
        ctx,
        "settings.html",
        nav="projects",
        sub="settings",
        project=project,
        accounts=accounts,
        returned=returned,
    )


def _console_url(path: str) -> str:
    return get_settings().public_base_url.rstrip("/") + path


@router.post("/console/projects/{project_id}/social/connect")
def connect_account(project_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/projects/{project_id}/social/connect")
    form = form_of(ctx)
    body = api_body(
        OAuthUrlRequest,
        {
            "platform": text(form, "platform"),
            "returnUrl": _console_url(f"/console/projects/{quote(project_id)}/settings"),
        },
    )
    with unit(write=True) as db:
        _, url = oauth.start(
            db,
            ctx.principal,
            project_id,
            platform=body.platform.value,
            return_url=body.return_url,
            scopes=body.scopes,
            console=True,
        )
    return RedirectResponse(url, status_code=303)


@router.post("/console/projects/{project_id}/social/{account_id}/reconnect")
def reconnect_account(project_id: str, account_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(
        ctx.principal, "POST /console/projects/{project_id}/social/{account_id}/reconnect"
    )
    body = api_body(
        ReauthUrlRequest,
        {
            "socialAccountId": account_id,
            "returnUrl": _console_url(f"/console/projects/{quote(project_id)}/settings"),
        },
    )
    with unit(write=True) as db:
        _, url = oauth.start_reauth(
            db,
            ctx.principal,
            project_id,
            account_id=body.social_account_id,
            return_url=body.return_url,
            scopes=body.scopes,
            console=True,
        )
    return RedirectResponse(url, status_code=303)
