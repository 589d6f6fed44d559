"""Outbound HTTP for platform clients: one pooled client, timeouts, and error classification.

The classification is what makes exactly-once possible:

* the request never left (connection refused, connect timeout, no pooled connection):
  `Unavailable`, always safe to retry;
* the request left but no answer came (read/write timeout, dropped connection): for a call
  that can publish (``commit=True``) the outcome is unknown (`OutcomeUnknown`); for any other
  call it is `Unavailable`;
* an answer came: the platform's client maps it (`StatusError` → the right subclass).

Exception messages name the failure, never the request: URLs can carry tokens.
"""

from __future__ import annotations

import email.utils
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from layers.social.platforms.base import (
    AuthFailed,
    OutcomeUnknown,
    PlatformCallError,
    RateLimited,
    Rejected,
    Unavailable,
)


class ServerError(Unavailable):
    """The platform answered 5xx. Its clients decide whether that may have had an effect."""


@dataclass
class HttpPolicy:
    """Timeouts for platform calls (seconds)."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    write_timeout: float = 30.0

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.write_timeout,
            pool=self.connect_timeout,
        )


policy = HttpPolicy()

_lock = threading.Lock()
_client: httpx.Client | None = None

ErrorParser = Callable[[httpx.Response], PlatformCallError]


def client() -> httpx.Client:
    global _client
    with _lock:
        if _client is None:
            _client = httpx.Client(
                follow_redirects=False,
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
                headers={"User-Agent": "layers/1"},
            )
        return _client


def send(
    platform: str,
    method: str,
    url: str,
    *,
    parse_error: ErrorParser,
    commit: bool = False,
    **kwargs: Any,
) -> httpx.Response:
    """One request; a 2xx response, or the classified `PlatformCallError`."""
    try:
        response = client().request(method, url, timeout=policy.timeout(), **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise Unavailable(f"{platform} could not be reached ({type(exc).__name__})") from None
    except httpx.TransportError as exc:
        message = f"{platform} did not answer ({type(exc).__name__})"
        if commit:
            raise OutcomeUnknown(message) from None
        raise Unavailable(message) from None
    if response.is_success:
        return response
    raise parse_error(response)


def json_body(platform: str, response: httpx.Response, *, commit: bool = False) -> Any:
    """The JSON of a 2xx answer; an unreadable one after a publishing call is an unknown
    outcome (the platform said yes to something)."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        message = f"{platform} answered {response.status_code} with a body that is not JSON"
        if commit:
            raise OutcomeUnknown(message, http_status=response.status_code) from None
        raise Unavailable(message, http_status=response.status_code) from None


def error_json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def retry_after(response: httpx.Response, default: float = 60.0) -> float:
    value = response.headers.get("retry-after")
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def by_status(
    response: httpx.Response, message: str, platform_code: str | None
) -> PlatformCallError:
    """The default mapping of an error status to our classes."""
    status = response.status_code
    kw: dict[str, Any] = {"platform_code": platform_code, "http_status": status}
    if status == 401:
        return AuthFailed(message, **kw)
    if status == 429:
        return RateLimited(message, retry_after=retry_after(response), **kw)
    if status >= 500:
        return ServerError(message, **kw)
    return Rejected(message, **kw)
