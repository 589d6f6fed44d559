"""A project's settings: its brief (the form; saving is in `projects`), its social accounts,
connecting and reconnecting them (OAuth), and each account's posting mode."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi.responses import HTMLResponse, RedirectResponse

from layers.console import project_form, twins, views
from layers.console.routes import router
from layers.console.twins import admit, admit_console
from layers.console.web import (
    Console,
    Ctx,
    Post,
    api_body,
    back_from,
    form_of,
    redirect,
    render,
    text,
    unit,
)
from layers.kit.settings import get_settings
from layers.social import oauth
from layers.social import service as social
from layers.social.schemas import OAuthUrlRequest, ReauthUrlRequest, SocialAccountUpdate


@router.get("/console/projects/{project_id}/settings")
def settings_page(
    project_id: str,
    status: str | None = None,
    state: str | None = None,
    error: str | None = None,
    ctx: Ctx = Console,
) -> HTMLResponse:
    returned = None
    if status in ("success", "error"):
        returned = {"ok": status == "success", "error": error}
    return render_settings(ctx, project_id, returned=returned)


def render_settings(
    ctx: Ctx,
    project_id: str,
    *,
    brief: project_form.BriefForm | None = None,
    returned: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The Settings page: the brief form (with what the person typed and its errors after a
    refused save), the social accounts, archive / restore."""
    for op in twins.READ_TWINS["GET /console/projects/{project_id}/settings"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        project = views.project(db, ctx.principal, project_id)
        accounts = views.accounts_view(db, ctx.principal, project_id)
    if brief is None:
        brief = project_form.BriefForm(values=project_form.values_from(project))
    return render(
        ctx,
        "settings.html",
        status=status,
        nav="projects",
        sub="settings",
        project=project,
        accounts=accounts,
        returned=returned,
        brief=brief,
        fields=project_form.fields(),
        zones=project_form.timezones(),
        posting_modes=POSTING_MODES,
    )


POSTING_MODES = (
    ("automatic", "Automatic: publish publicly"),
    ("manual", "Manual: drafts / a person publishes"),
)


@router.post("/console/social-accounts/{account_id}/posting-mode")
def set_posting_mode(account_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/social-accounts/{account_id}/posting-mode")
    body = api_body(SocialAccountUpdate, {"postingMode": text(form_of(ctx), "postingMode")})
    with unit(write=True) as db:
        account = social.update(db, ctx.principal, account_id, body)
        handle, mode, project_id = (
            account.handle or account.id,
            account.posting_mode,
            account.project_id,
        )
    back = back_from(ctx, f"/console/projects/{quote(project_id)}/settings")
    if mode == "automatic":
        note = f"@{handle} now publishes automatically: posts go out publicly at their time."
    else:
        note = (
            f"@{handle} is now in manual posting: posts go to the creator's drafts inbox "
            "(TikTok) or wait for a person (Instagram) instead of being published."
        )
    return redirect(back, flash=note)


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
