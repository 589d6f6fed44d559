"""Browser-facing ad-account OAuth callback: no API key (the state is the capability).

``GET /v1/ads/oauth/callback/{meta|tiktok}`` is where Meta and TikTok (and, in test mode, the
``authorizeUrl`` itself) send the person back; it redirects to the partner's ``returnUrl``.
Platforms add parameters of their own (TikTok says ``auth_code``), so unknown query parameters
are accepted here.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from layers.ads import accounts
from layers.ads.platforms.base import PLATFORMS
from layers.social import oauth as social_oauth

router = APIRouter(tags=["oauth"], include_in_schema=False)

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _respond(result: accounts.CallbackResult) -> Response:
    if result.redirect_to is not None:
        return RedirectResponse(result.redirect_to, status_code=302, headers=NO_STORE)
    return HTMLResponse(
        social_oauth.error_page(result.page_message),
        status_code=result.page_status,
        headers=NO_STORE,
    )


def _param(request: Request, *names: str, limit: int = 4096) -> str | None:
    for name in names:
        value = request.query_params.get(name)
        if value:
            return value[:limit]
    return None


@router.get("/v1/ads/oauth/callback/{platform}")
async def ads_oauth_callback(platform: str, request: Request) -> Response:
    if platform not in PLATFORMS:
        return _respond(accounts.CallbackResult(page_status=404, page_message="Unknown platform."))
    result = await run_in_threadpool(
        accounts.handle_callback,
        platform,
        state_id=_param(request, "state", limit=64),
        code=_param(request, "code", "auth_code"),
        error=_param(request, "error", "error_code", limit=128),
    )
    return _respond(result)
