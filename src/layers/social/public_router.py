"""Browser-facing OAuth endpoints: no API key (the state is the capability).

* ``GET /v1/social/oauth/callback/{platform}``: where TikTok, Instagram and the sandbox
  consent page send the person back; redirects to the partner's ``returnUrl``.
* ``GET /sandbox/oauth/{platform}/authorize``: the test-mode consent page.

Platforms add parameters of their own to the callback, so these routes accept unknown query
parameters (unlike the Partner API).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from layers.social import oauth
from layers.social.platforms.base import PLATFORMS

router = APIRouter(tags=["oauth"], include_in_schema=False)

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _respond(result: oauth.CallbackResult | str) -> Response:
    if isinstance(result, str):
        return HTMLResponse(result, headers=NO_STORE)
    if result.redirect_to is not None:
        return RedirectResponse(result.redirect_to, status_code=302, headers=NO_STORE)
    return HTMLResponse(
        oauth.error_page(result.page_message), status_code=result.page_status, headers=NO_STORE
    )


def _param(request: Request, name: str, limit: int = 4096) -> str | None:
    value = request.query_params.get(name)
    return value[:limit] if value else None


@router.get("/v1/social/oauth/callback/{platform}")
async def oauth_callback(platform: str, request: Request) -> Response:
    if platform not in PLATFORMS:
        return _respond(oauth.CallbackResult(page_status=404, page_message="Unknown platform."))
    result = await run_in_threadpool(
        oauth.handle_callback,
        platform,
        state_id=_param(request, "state", 64),
        code=_param(request, "code"),
        error=_param(request, "error", 128),
        error_description=_param(request, "error_description", 500),
    )
    return _respond(result)


@router.get("/sandbox/oauth/{platform}/authorize")
async def sandbox_consent(platform: str, request: Request) -> Response:
    if platform not in PLATFORMS:
        return _respond(oauth.CallbackResult(page_status=404, page_message="Unknown platform."))
    result = await run_in_threadpool(
        oauth.consent,
        platform,
        state_id=_param(request, "state", 64),
        decision=_param(request, "decision", 16),
        handle=_param(request, "handle", 64),
        scripted="text/html" not in request.headers.get("accept", ""),
    )
    return _respond(result)
