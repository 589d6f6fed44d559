"""Instagram's error shapes, mapped to our classes.

* Graph API (``graph.instagram.com``): ``{"error": {"message", "type", "code",
  "error_subcode", "fbtrace_id"}}``. ``code`` 190 (and 102) is an invalid or expired token;
  10 and 200–299 a permission the person withdrew; 4, 17, 32 and 613 rate limits; 1 and 2
  transient platform trouble; 9 with subcode 2207042 the content publishing limit (posts per
  24 hours).
* OAuth code exchange (``api.instagram.com/oauth/access_token``): ``{"error_type",
  "code", "error_message"}``.
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
)
from layers.social.platforms.http import ServerError, error_json, retry_after
from layers.social.platforms.instagram.spec import SPEC

PLATFORM = SPEC.name
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
TRANSIENT_CODES = frozenset({1, 2})
PUBLISHING_LIMIT_SUBCODE = 2207042


def graph_error(response: httpx.Response) -> PlatformCallError:
    body = error_json(response)
    error = body.get("error")
    if not isinstance(error, dict):
        if "error_message" in body or "error_type" in body:
            return oauth_error(response)
        error = {}
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    message = str(error.get("message") or f"Instagram answered HTTP {response.status_code}")
    platform_code = None if code is None else f"{code}" + (f"/{subcode}" if subcode else "")
    kw: dict[str, Any] = {"platform_code": platform_code, "http_status": response.status_code}
    if code in (190, 102) or (code is not None and (code == 10 or 200 <= code <= 299)):
        return AuthFailed(message, **kw)
    if code == 9 and subcode == PUBLISHING_LIMIT_SUBCODE:
        return QuotaExceeded(message, retry_at=clock.now() + timedelta(hours=1), **kw)
    if code in RATE_LIMIT_CODES or response.status_code == 429:
        return RateLimited(message, retry_after=retry_after(response, 300.0), **kw)
    if code in TRANSIENT_CODES or response.status_code >= 500:
        return ServerError(message, **kw)
    if response.status_code == 401:
        return AuthFailed(message, **kw)
    return Rejected(message, **kw)


def oauth_error(response: httpx.Response) -> PlatformCallError:
    body = error_json(response)
    message = str(body.get("error_message") or f"Instagram answered {response.status_code}")
    kw: dict[str, Any] = {
        "platform_code": str(body.get("error_type") or "") or None,
        "http_status": response.status_code,
    }
    if response.status_code >= 500:
        return ServerError(message, **kw)
    return Rejected(message, **kw)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
