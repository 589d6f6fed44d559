"""The HTTP edge: request ids, the error envelope, and the request's unit of work.

* Every response carries ``X-Request-Id: req_…`` (errors and unknown routes included).
* Every error is ``{"error": {"code", "message", "requestId", "details"}}``; an unexpected
  exception is a 500 INTERNAL that names the request id and nothing else.
* A request's database work is one transaction that the edge commits after the handler
  returns and before the response is sent (see `unit_of_work`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, APIRouter
from sqlalchemy.orm import Session
from starlette._utils import get_route_path
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from layers.kit import idempotency, metrics
from layers.kit.context import request_id_var
from layers.kit.db import Database, get_database
from layers.kit.errors import LayersError, Validation
from layers.kit.ids import new_id
from layers.kit.storable import unstorable_reason

log = logging.getLogger("layers.http")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IDEMPOTENT_METHODS = frozenset({"POST", "PATCH"})


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "error": {
            "code": code,
            "message": message,
            "requestId": request_id_var.get(),
            "details": details or {},
        }
    }
    return JSONResponse(body, status_code=status, headers=headers)


MAX_BODY_BYTES = 1024 * 1024

_LARGE_BODIES: list[tuple[re.Pattern[str], int]] = []


def allow_large_bodies(path_pattern: str, limit: int) -> None:
    """Let requests to paths matching `path_pattern` (a regex, matched in full) carry up to
    `limit` bytes instead of `MAX_BODY_BYTES`: a domain with a file upload route says so."""
    _LARGE_BODIES.append((re.compile(path_pattern), limit))


def body_limit(path: str) -> int:
    """The most bytes a request to `path` may carry."""
    return max(
        (limit for pattern, limit in _LARGE_BODIES if pattern.fullmatch(path)),
        default=MAX_BODY_BYTES,
    )


class _BodyTooLarge(BaseException):
    """Raised from `receive`; a BaseException so that body parsers which catch Exception
    (FastAPI turns those into a 400) let it through to the middleware."""


def _too_large(limit: int = MAX_BODY_BYTES) -> JSONResponse:
    return error_response(
        413, "PAYLOAD_TOO_LARGE", f"Request bodies are limited to {limit} bytes.",
        {"limit": limit},
    )  # fmt: skip


# Called as a response starts, with the request's scope and the response's headers (a hook
# appends what it adds); and once the request is done, whether a response started or not.
ResponseStartHook = Callable[[Scope, list[tuple[bytes, bytes]]], None]
FinishHook = Callable[[Scope], None]


class RequestContextMiddleware:
    """Assigns the request id, logs one access line, caps request bodies (the API takes JSON;
    only the file upload routes, declared with `allow_large_bodies`, take more), and turns
    crashes into the envelope. Domains that decorate every response (the rate limits) plug
    in hooks here rather than wrap the app in a middleware of their own: one ASGI layer a
    request instead of one per concern."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        on_response_start: tuple[ResponseStartHook, ...] = (),
        on_finish: tuple[FinishHook, ...] = (),
    ) -> None:
        self.app = app
        self.on_response_start = on_response_start
        self.on_finish = on_finish

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_id("req")
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 500, "sent": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["sent"] = True
                headers = list(message.get("headers", []))
                for hook in self.on_response_start:
                    hook(scope, headers)
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        received = 0
        cap = body_limit(scope.get("path", ""))

        async def receive_capped() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise _BodyTooLarge
            return message

        try:
            declared = dict(scope.get("headers", [])).get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > cap:
                await _too_large(cap)(scope, receive, send_with_id)
            else:
                await self.app(scope, receive_capped, send_with_id)
        except _BodyTooLarge:
            if not status_holder["sent"]:
                await _too_large(cap)(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not status_holder["sent"]:
                response = error_response(500, "INTERNAL", "Internal error; quote the requestId.")
                await response(scope, receive, send_with_id)
        finally:
            for finish in self.on_finish:
                finish(scope)
            elapsed = time.perf_counter() - started
            metrics.observe_request(scope, status_holder["status"], elapsed)
            elapsed_ms = elapsed * 1000
            log.info(
                "%s %s %s %.1fms",
                scope["method"],
                scope["path"],
                status_holder["status"],
                elapsed_ms,
            )
            request_id_var.reset(token)


def _validation_fields(exc: RequestValidationError) -> list[dict[str, Any]]:
    fields = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body",)]
        if loc and loc[0] in ("query", "path", "header"):
            loc = loc[1:]
        fields.append(
            {
                "field": ".".join(loc) or "body",
                "message": str(err.get("msg", "invalid")),
                "type": str(err.get("type", "invalid")),
            }
        )
    return fields


def install_error_handlers(app: FastAPI) -> None:
    async def on_layers_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LayersError)
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    async def on_validation(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        fields = _validation_fields(exc)
        names = ", ".join(sorted({f["field"] for f in fields}))
        return error_response(422, "VALIDATION", f"Invalid request: {names}", {"fields": fields})

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400:  # the framework could not parse the body
            field = {"field": "body", "message": str(exc.detail), "type": "body_unparsable"}
            return error_response(
                422, "VALIDATION", "The request body could not be parsed.", {"fields": [field]}
            )
        codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 401: "UNAUTHENTICATED"}
        code = codes.get(exc.status_code, "HTTP_ERROR")
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            # Starlette names only the first matching route's methods; name them all.
            allowed = {
                method
                for route in request.app.routes
                if isinstance(route, APIRoute) and route.path_regex.match(request.url.path)
                for method in route.methods or ()
            }
            for router in getattr(request.app.state, "api_routers", ()):
                for route in router.routes:
                    if isinstance(route, APIRoute) and route.path_regex.match(request.url.path):
                        allowed |= route.methods or set()
            if allowed:
                headers["Allow"] = ", ".join(sorted(allowed))
        return error_response(exc.status_code, code, str(exc.detail), None, headers or None)

    async def on_replay(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, idempotency.IdempotentReplay)
        stored = exc.response
        headers = {**stored.headers, "Idempotent-Replayed": "true"}
        return Response(content=stored.body, status_code=stored.status, headers=headers)

    app.add_exception_handler(LayersError, on_layers_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(idempotency.IdempotentReplay, on_replay)


@dataclass
class _UnitState:
    response: Response | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _query_names(dependant: Dependant) -> frozenset[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return frozenset(names)


def _reject_unstorable_parameters(request: Request) -> None:
    """Refuse a query or path parameter the databases cannot store or compare (a NUL
    character, a lone surrogate: `layers.kit.storable`) rather than fail in the database;
    bodies refuse the same in `RequestModel`."""
    fields = [
        {"field": name, "message": reason, "type": "unstorable_text"}
        for name, value in (*request.query_params.multi_items(), *request.path_params.items())
        if isinstance(value, str) and (reason := unstorable_reason(value))
    ]
    if fields:
        raise Validation("Parameters must hold storable text.", fields=fields)


class LayersRoute(APIRoute):
    """Our route: rejects unknown query parameters (as bodies reject unknown fields), and
    hands the serialized response to the unit of work before its transaction commits."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        known = _query_names(self.dependant)

        async def route_handler(request: Request) -> Response:
            _reject_unstorable_parameters(request)
            unknown = sorted(set(request.query_params) - known)
            if unknown:
                fields = [
                    {
                        "field": name,
                        "message": "unknown query parameter",
                        "type": "unknown_parameter",
                    }
                    for name in unknown
                ]
                raise Validation(f"Unknown query parameter(s): {', '.join(unknown)}", fields=fields)
            response = await handler(request)
            state: _UnitState | None = getattr(request.state, "uow", None)
            if state is not None:
                state.response = response
            return response

        return route_handler


def _head(path: str) -> str | None:
    """A path's first two segments ("/v1/projects"); None when one of them is a parameter."""
    head = "/".join(path.split("/", 3)[:3])
    return None if "{" in head else head


class LayersRouter(APIRouter):
    """A domain's router (routes are `LayersRoute`s). The app tries its routers in turn and
    each scans all its routes, twice for the one that matches; this one first compares the
    request path's first two segments with its routes' (a set lookup) and declines at once
    when none can match, so a request costs one router's scan, not every router's. Include
    it without a prefix (its routes' paths are then the request paths), as `layers.app` does."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("route_class", LayersRoute)
        super().__init__(**kwargs)
        self._heads: tuple[int, frozenset[str] | None] = (-1, None)

    def _route_heads(self) -> frozenset[str] | None:
        """The first two segments of every route's path; None (scan as usual) if any route
        has a parameter there."""
        count, heads = self._heads
        if count != len(self.routes):
            found = [_head(getattr(route, "path", "")) for route in self.routes]
            heads = None if None in found else frozenset(h for h in found if h is not None)
            self._heads = (len(self.routes), heads)
        return heads

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        heads = self._route_heads()
        if heads is not None and _head(get_route_path(scope)) not in heads:
            return Match.NONE, {}
        return super().matches(scope)


_STORED_HEADERS = ("content-type", "location", "etag")

# SQLite has one writer at a time. Without a gate, a burst of concurrent write requests each
# checks out a pooled connection and then waits for the write lock while holding it, until the
# pool (and SQLite's busy timeout) runs out and requests fail with "database is locked" or a
# pool timeout. Admitting only a few write units at a time makes the others queue here, on the
# event loop, holding nothing. PostgreSQL has no such gate.
SQLITE_WRITE_UNITS = 4
_write_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _write_gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gate = _write_gates.get(loop)
    if gate is None:
        gate = _write_gates[loop] = asyncio.Semaphore(SQLITE_WRITE_UNITS)
    return gate


def mark_sensitive(request: Request) -> None:
    """The response carries a secret (a new API key): its copy kept for idempotent replays
    is stored encrypted (`idempotency.seal`)."""
    state: _UnitState | None = getattr(request.state, "uow", None)
    if state is not None:
        state.extra["sensitive"] = True


@asynccontextmanager
async def unit_of_work(request: Request, *, org_id: str, livemode: bool) -> AsyncIterator[Session]:
    """The request's transaction, with the Idempotency-Key protocol around it."""
    db = get_database()
    write = request.method in WRITE_METHODS
    if write and db.dialect == "sqlite":
        async with (
            _write_gate(),
            _unit(request, db, write, org_id=org_id, livemode=livemode) as session,
        ):
            yield session
        return
    async with _unit(request, db, write, org_id=org_id, livemode=livemode) as session:
        yield session


async def _fingerprint_body(request: Request) -> bytes:
    """What identifies the request's body: the bytes, or for a multipart form (already parsed
    by the route, and framed by a boundary the client draws at random on every retry) its
    fields in order with each file's name and digest."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return await request.body()
    digest = hashlib.sha256()
    for name, value in (await request.form()).multi_items():
        if isinstance(value, str):
            part = f"{name}={value}".encode()
        else:
            content = await value.read()
            await value.seek(0)
            part = f"{name}@{value.filename}#".encode() + hashlib.sha256(content).digest()
        digest.update(len(part).to_bytes(8, "big") + part)
    return b"multipart:" + digest.digest()


@asynccontextmanager
async def _unit(
    request: Request, db: Database, write: bool, *, org_id: str, livemode: bool
) -> AsyncIterator[Session]:
    claim_id: int | None = None
    key = request.headers.get("idempotency-key")
    if key is not None and request.method in IDEMPOTENT_METHODS:
        key = idempotency.validate_key(key)
        body = await _fingerprint_body(request)
        fp = idempotency.fingerprint(request.method, request.url.path, request.url.query, body)
        claim_id = await run_in_threadpool(
            idempotency.claim,
            db,
            org_id=org_id,
            livemode=livemode,
            key=key,
            method=request.method,
            path=request.url.path,
            fp=fp,
        )
    state = _UnitState()
    request.state.uow = state
    session = db.session(write=write)
    try:
        yield session
        response = state.response
        if claim_id is not None and response is not None and 200 <= response.status_code < 300:
            body = bytes(response.body)
            stored = idempotency.StoredResponse(
                response.status_code,
                {k: v for k, v in response.headers.items() if k.lower() in _STORED_HEADERS},
                idempotency.seal(body) if state.extra.get("sensitive") else body,
            )
            await run_in_threadpool(idempotency.complete, session, claim_id, stored)
        await run_in_threadpool(session.commit)
        if response is not None and 200 <= response.status_code < 300:
            claim_id = None  # completed together with the effects
    except BaseException:
        await run_in_threadpool(session.rollback)
        raise
    finally:
        await run_in_threadpool(session.close)
        if claim_id is not None:
            await run_in_threadpool(idempotency.release, db, claim_id)
