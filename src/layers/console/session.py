"""The console's session: a signed, HttpOnly cookie naming the API key and a CSRF secret.

* Signing in proves an API key once (`orgs.service.authenticate`); the cookie then carries the
  key's id (never its secret) and a random CSRF token, signed with the session secret.
* Every request re-admits the key by id (`orgs.service.principal_for_key`): a revoked or killed
  key, or a suspended organization, ends the session at the next click.
* Every POST carries the CSRF token (a hidden ``csrf`` input, or the ``X-CSRF-Token`` header
  htmx sends); the sign-in form, which has no session yet, uses a double-submit cookie.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from layers.kit.settings import get_settings

SESSION_COOKIE = "layers_session"
PRESIGN_COOKIE = "layers_signin_csrf"
FLASH_COOKIE = "layers_flash"
SESSION_MAX_AGE = 12 * 3600
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class ConsoleSession:
    key_id: str
    csrf: str


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().resolved_session_secret, salt=salt)


def secure_cookies() -> bool:
    return urlsplit(get_settings().public_base_url).scheme == "https"


def _set(response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(),
    )


def read(request: Request) -> ConsoleSession | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer("console-session").loads(raw, max_age=SESSION_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    key_id, csrf = data.get("k"), data.get("c")
    if not isinstance(key_id, str) or not isinstance(csrf, str):
        return None
    return ConsoleSession(key_id, csrf)


def start(response: Response, key_id: str) -> ConsoleSession:
    session = ConsoleSession(key_id, secrets.token_urlsafe(32))
    value = _serializer("console-session").dumps({"k": key_id, "c": session.csrf})
    _set(response, SESSION_COOKIE, value, SESSION_MAX_AGE)
    response.delete_cookie(PRESIGN_COOKIE, path="/")
    return session


def end(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def presign_token(request: Request) -> str:
    """The sign-in form's double-submit token (kept while its cookie lives)."""
    return request.cookies.get(PRESIGN_COOKIE) or secrets.token_urlsafe(32)


def set_presign(response: Response, token: str) -> None:
    _set(response, PRESIGN_COOKIE, token, 3600)


def presign_ok(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(PRESIGN_COOKIE)
    return bool(cookie and submitted and hmac.compare_digest(cookie, submitted))


def csrf_ok(expected: str, request: Request, submitted: str | None) -> bool:
    """The session's CSRF token `expected` came with the POST (form field or header)."""
    token = submitted or request.headers.get(CSRF_HEADER)
    return bool(expected and token and hmac.compare_digest(expected, token))


def flash(response: Response, kind: str, message: str, details: list[str] | None = None) -> None:
    """A one-time message shown by the next page (e.g. an API error after a redirect)."""
    payload = {"kind": kind, "message": message[:500], "details": (details or [])[:10]}
    value = _serializer("console-flash").dumps(payload)
    _set(response, FLASH_COOKIE, value, 120)


def read_flash(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer("console-flash").loads(raw, max_age=300)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


def clear_flash(response: Response) -> None:
    response.delete_cookie(FLASH_COOKIE, path="/")


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)
