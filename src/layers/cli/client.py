"""A small typed HTTP client for the Layers API, used by the remote CLI commands.

Every request carries ``Authorization: Bearer <key>`` and ``User-Agent: layers-cli/<version>``;
every POST and PATCH carries a fresh ``Idempotency-Key`` (a uuid4, reused when the same request
is sent again after ``429`` or ``IDEMPOTENCY_IN_PROGRESS``). An error envelope becomes an
`ApiError`; a server that cannot be reached becomes a `ConnectionFailed` that says so.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from layers import __version__
from layers.cli.config import Profile

USER_AGENT = f"layers-cli/{__version__}"
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
STREAM_TIMEOUT = httpx.Timeout(60.0, connect=5.0)  # the server pings every 15 s
MAX_WAIT_RETRIES = 4
MAX_RETRY_AFTER = 5.0


class CliError(Exception):
    """An error the CLI reports on one line of stderr and turns into an exit status."""

    exit_code = 1

    def render(self) -> str:
        return f"error: {self}"


class UsageError(CliError):
    exit_code = 2


class ConnectionFailed(CliError):
    def __init__(self, base_url: str, reason: str) -> None:
        super().__init__(
            f"cannot reach the Layers API at {base_url} ({reason}). Is the server running? "
            "Check --base-url, LAYERS_BASE_URL or `layers login`."
        )


@dataclass
class ApiError(CliError):
    code: str
    message: str
    status: int
    request_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def render(self) -> str:
        text = f"error: {self.code}: {self.message}"
        fields = self.details.get("fields") if isinstance(self.details, dict) else None
        if isinstance(fields, list):
            named = [
                f"{f.get('field')}: {f.get('message')}"
                for f in fields
                if isinstance(f, dict) and f.get("field")
            ]
            if named:
                text += " [" + "; ".join(named) + "]"
        if self.request_id:
            text += f" (request {self.request_id})"
        return text

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        request_id = response.headers.get("x-request-id")
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            error = body["error"]
            details = error.get("details")
            return cls(
                code=str(error.get("code") or f"HTTP_{response.status_code}"),
                message=str(error.get("message") or response.reason_phrase),
                status=response.status_code,
                request_id=error.get("requestId") or request_id,
                details=details if isinstance(details, dict) else {},
            )
        text = response.text.strip().replace("\n", " ")[:200]
        return cls(
            code=f"HTTP_{response.status_code}",
            message=text or response.reason_phrase or "unexpected response",
            status=response.status_code,
            request_id=request_id,
        )


@dataclass(frozen=True)
class Event:
    """One Server-Sent Event."""

    event: str
    data: Any
    id: str | None


class Client:
    def __init__(
        self,
        profile: Profile,
        *,
        require_key: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if require_key and not profile.api_key:
            raise UsageError(
                "no API key: run `layers login`, set LAYERS_API_KEY, or pass --api-key"
            )
        self.base_url = profile.base_url
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if profile.api_key:
            headers["Authorization"] = f"Bearer {profile.api_key}"
        self._http = httpx.Client(
            base_url=profile.base_url, headers=headers, timeout=TIMEOUT, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---- requests ----

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request; a 4xx/5xx answer raises `ApiError` (304 is returned as is)."""
        sent = dict(headers or {})
        if method in ("POST", "PATCH"):
            sent.setdefault("Idempotency-Key", str(uuid.uuid4()))
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        for attempt in range(MAX_WAIT_RETRIES + 1):
            try:
                response = self._http.request(
                    method,
                    path,
                    params=clean or None,
                    json=body,
                    headers=sent,
                )
            except httpx.TimeoutException as exc:
                raise ConnectionFailed(self.base_url, f"timed out: {exc}") from exc
            except httpx.TransportError as exc:
                raise ConnectionFailed(self.base_url, _reason(exc)) from exc
            if response.status_code < 400:
                return response
            error = ApiError.from_response(response)
            waits = error.status == 429 or error.code == "IDEMPOTENCY_IN_PROGRESS"
            if not waits or attempt == MAX_WAIT_RETRIES:
                raise error
            time.sleep(_retry_after(response))
        raise AssertionError("unreachable")

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params).json()

    def post(self, path: str, body: Any = None, **params: Any) -> Any:
        return self.request("POST", path, params=params, body={} if body is None else body).json()

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, body=body).json()

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path).json()

    def get_if_changed(self, path: str, etag: str | None) -> tuple[Any | None, str | None]:
        """GET with ``If-None-Match``: ``(None, etag)`` while unchanged, else the body and its
        new ETag."""
        headers = {"If-None-Match": etag} if etag else None
        response = self.request("GET", path, headers=headers)
        if response.status_code == 304:
            return None, etag
        return response.json(), response.headers.get("etag")

    def page(
        self,
        path: str,
        *,
        limit: int | None,
        follow: bool,
        cursor: str | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """A list endpoint's page object; with ``follow`` every page merged into one
        ``{"items": [...], "nextCursor": null}``."""
        items: list[Any] = []
        while True:
            page = self.get(path, limit=limit, cursor=cursor, **params)
            items.extend(page.get("items", []))
            cursor = page.get("nextCursor")
            if not follow or not cursor:
                return {**page, "items": items, "nextCursor": cursor}

    def events(
        self, path: str, *, last_event_id: str | None = None
    ) -> Generator[Event, None, None]:
        """Server-Sent Events from ``path`` until the server closes the stream."""
        headers = {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        try:
            with self._http.stream(
                "GET", path, headers=headers, timeout=STREAM_TIMEOUT
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise ApiError.from_response(response)
                yield from _parse_sse(response.iter_lines())
        except httpx.TimeoutException as exc:
            raise ConnectionFailed(self.base_url, f"timed out: {exc}") from exc
        except httpx.TransportError as exc:
            raise ConnectionFailed(self.base_url, _reason(exc)) from exc


def _parse_sse(lines: Iterator[str]) -> Iterator[Event]:
    name, event_id = "message", None
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            if data:
                text = "\n".join(data)
                try:
                    value: Any = json.loads(text)
                except ValueError:
                    value = text
                yield Event(name, value, event_id)
            name, data, event_id = "message", [], None
            continue
        if line.startswith(":"):
            continue
        key, _, value_text = line.partition(":")
        value_text = value_text.removeprefix(" ")
        if key == "event":
            name = value_text
        elif key == "data":
            data.append(value_text)
        elif key == "id":
            event_id = value_text


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(MAX_RETRY_AFTER, max(0.1, float(response.headers.get("retry-after", "1"))))
    except ValueError:
        return 1.0


def _reason(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        if "refused" in text.lower():
            return "connection refused"
        return f"cannot connect: {text}"
    return text


def q(segment: str) -> str:
    """An id as one path segment (so ``../x`` or ``a/b`` cannot change the route)."""
    return quote(segment, safe="")
