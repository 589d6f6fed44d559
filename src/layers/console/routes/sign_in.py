"""Signing in with an API key, and out."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from layers.console import session
from layers.console.routes import router
from layers.console.web import (
    CsrfRefused,
    Ctx,
    Post,
    base_context,
    safe_back,
    templates,
)
from layers.kit.db import get_database
from layers.kit.errors import LayersError
from layers.orgs import service as orgs


@router.get("/")
def root(request: Request) -> RedirectResponse:
    return RedirectResponse("/console", status_code=303)


@router.get("/console")
def console_home(request: Request) -> RedirectResponse:
    target = "/console/projects" if session.read(request) else "/console/sign-in"
    return RedirectResponse(target, status_code=303)


@router.get("/console/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    token = session.presign_token(request)
    context = base_context(request, None) | {"signin_csrf": token, "next": next or ""}
    response = templates.TemplateResponse(request, "sign_in.html", context)
    session.set_presign(response, token)
    if context["flash"]:
        session.clear_flash(response)
    return response


def _sign_in(token: str) -> str:
    with get_database().transaction(write=False) as db:
        return orgs.authenticate(db, f"Bearer {token.strip()}", None).key_id


@router.post("/console/sign-in")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    submitted = form.get("csrf")
    if not session.presign_ok(request, submitted if isinstance(submitted, str) else None):
        raise CsrfRefused
    token = form.get("apiKey")
    next_url = safe_back(form.get("next"), "/console/projects")
    try:
        key_id = await run_in_threadpool(_sign_in, token if isinstance(token, str) else "")
    except LayersError as exc:
        response = RedirectResponse("/console/sign-in", status_code=303)
        session.flash(response, "error", f"Sign-in refused: {exc.message}")
        return response
    response = RedirectResponse(next_url, status_code=303)
    session.start(response, key_id)
    return response


@router.post("/console/sign-out")
def sign_out(ctx: Ctx = Post) -> RedirectResponse:
    response = RedirectResponse("/console/sign-in", status_code=303)
    session.end(response)
    session.flash(response, "ok", "Signed out.")
    return response
