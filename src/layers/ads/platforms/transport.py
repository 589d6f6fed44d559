"""Outbound HTTP for the ads clients: the social platforms' pooled client and timeouts
(`layers.social.platforms.http`), our error classes, exact JSON money, and a bounded retry on
rate-limit answers.

* `send` makes one request and returns a 2xx response or raises an `AdsCallError` (the
  client's ``parse_error`` classifies error answers; transport failures become
  `AdsUnavailable`).
* `json_of` reads a body with floats as `Decimal`, so a budget of ``12.34`` stays exactly
  1234 cents.
* `Retrying.call` retries a call that raised `AdsRateLimited` at most ``spec.max_retries``
  times, waiting ``max(retry_after, 2**attempt)`` seconds (through an injectable ``sleep``, so
  tests never wait); an answer asking for more than ``spec.max_backoff_seconds`` is not waited
  for (a workflow activity should not sleep for minutes): it is raised at once, with its
  ``retry_after``, for the caller to reschedule.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from layers.ads.platforms.base import (
    AdsCallError,
    AdsPlatformSpec,
    AdsRateLimited,
    AdsUnavailable,
)
from layers.social.platforms import http as social_http
from layers.social.platforms.base import PlatformCallError

T = TypeVar("T")
Sleep = Callable[[float], None]
ErrorParser = Callable[[httpx.Response], AdsCallError]


def send(
    platform: str, method: str, url: str, *, parse_error: ErrorParser, **kwargs: Any
) -> httpx.Response:
    """One request: a 2xx response, or an `AdsCallError`."""
    try:
        return social_http.send(platform, method, url, parse_error=parse_error, **kwargs)
    except AdsCallError:
        raise
    except PlatformCallError as exc:  # the transport's own (could not reach, no answer)
        raise AdsUnavailable(exc.message, http_status=exc.http_status) from None


def json_of(platform: str, response: httpx.Response) -> Any:
    """The JSON of an answer, numbers with a fraction as `Decimal` (money stays exact)."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise AdsUnavailable(
            f"{platform} answered {response.status_code} with a body that is not JSON",
            http_status=response.status_code,
        ) from None


def error_json(response: httpx.Response) -> dict[str, Any]:
    return social_http.error_json(response)


def retry_after_header(response: httpx.Response, default: float) -> float:
    return social_http.retry_after(response, default)


class Retrying:
    """Bounded retries of rate-limited calls (see the module docstring)."""

    def __init__(self, spec: AdsPlatformSpec, sleep: Sleep | None = None) -> None:
        self.spec = spec
        self.sleep: Sleep = sleep or time.sleep

    def call(self, fn: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return fn()
            except AdsRateLimited as exc:
                wait = max(exc.retry_after, float(2**attempt))
                if attempt >= self.spec.max_retries or wait > self.spec.max_backoff_seconds:
                    raise
                self.sleep(wait)
                attempt += 1
