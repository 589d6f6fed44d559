"""TikTok's two error shapes, mapped to our classes.

* OAuth endpoints (``/v2/oauth/…``) answer ``{"error", "error_description", "log_id"}``;
  ``invalid_grant`` means the code or refresh token is no longer good.
* API endpoints answer ``{"data": {…}, "error": {"code", "message", "log_id"}}`` with
  ``code == "ok"`` on success. Codes (from TikTok's Content Posting API reference):
  ``access_token_invalid`` / ``scope_not_authorized`` 401, ``rate_limit_exceeded`` 429,
  ``spam_risk_too_many_posts`` (the creator's daily cap) and ``reached_active_user_cap`` (the
  app's daily cap) 403, ``invalid_params``, ``url_ownership_unverified``,
  ``privacy_level_option_mismatch``… 400/403, ``internal_error`` 5xx.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from layers.kit import clock
from layers.social.platforms.base import (
    AuthFailed,
    PlatformCallError,
    QuotaExceeded,
    RateLimited,
    Rejected,
    Unavailable,
)
from layers.social.platforms.http import by_status, error_json, retry_after
from layers.social.platforms.tiktok.spec import SPEC

PLATFORM = SPEC.name

AUTH_CODES = frozenset({"access_token_invalid", "scope_not_authorized", "scope_permission_missed"})
QUOTA_CODES = frozenset({"spam_risk_too_many_posts", "reached_active_user_cap"})


def api_error(response: httpx.Response) -> PlatformCallError:
    error = error_json(response).get("error")
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code") or "") or None
    message = str(error.get("message") or f"TikTok answered HTTP {response.status_code}")
    return classify(code, message, response)


def classify(code: str | None, message: str, response: httpx.Response) -> PlatformCallError:
    kw: dict[str, Any] = {"platform_code": code, "http_status": response.status_code}
    if code in AUTH_CODES:
        return AuthFailed(message, **kw)
    if code in QUOTA_CODES:
        return QuotaExceeded(message, retry_at=clock.now() + timedelta(hours=1), **kw)
    if code == "rate_limit_exceeded":
        return RateLimited(message, retry_after=retry_after(response), **kw)
    if code and response.status_code < 500 and response.status_code not in (401, 429):
        return Rejected(message, **kw)
    return by_status(response, message, code)


def oauth_error(response: httpx.Response, *, refreshing: bool) -> PlatformCallError:
    body = error_json(response)
    return oauth_body_error(body, response, refreshing=refreshing)


def oauth_body_error(
    body: dict[str, Any], response: httpx.Response, *, refreshing: bool
) -> PlatformCallError:
    code = str(body.get("error") or "") or None
    message = str(body.get("error_description") or f"TikTok answered {response.status_code}")
    kw: dict[str, Any] = {"platform_code": code, "http_status": response.status_code}
    if code in ("invalid_grant", "access_denied") or (refreshing and code == "invalid_request"):
        return AuthFailed(message, **kw) if refreshing else Rejected(message, **kw)
    if code in ("invalid_client", "unauthorized_client"):
        # Our app's credentials, not the account's grant: nothing a reconnect would fix.
        return Unavailable(f"TikTok refused the app credentials: {message}", **kw)
    if response.status_code >= 500 or response.status_code == 429:
        return by_status(response, message, code)
    return Rejected(message, **kw)


def data_of(body: Any, response: httpx.Response) -> dict[str, Any]:
    """The ``data`` of an API answer whose ``error.code`` is ``ok`` (TikTok may put an error
    in a 200 answer)."""
    if not isinstance(body, dict):
        return {}
    error = body.get("error")
    if isinstance(error, dict) and error.get("code") not in (None, "", "ok"):
        raise classify(str(error["code"]), str(error.get("message") or "TikTok error"), response)
    data = body.get("data")
    return data if isinstance(data, dict) else {}
