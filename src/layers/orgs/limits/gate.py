"""Where a request meets its limits: `enforce` runs once the caller is known (from
`layers.orgs.dependencies.current_principal`), and `response_started` writes the class and the
bucket state on every response of a Partner API route, success or error."""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from layers.kit.db import get_database
from layers.kit.errors import RateLimited
from layers.orgs.audit import service as audit
from layers.orgs.limits import service, storage
from layers.orgs.limits.classes import LONG, EndpointClass, classify
from layers.orgs.service import Principal

_STATE = "rate_limit"
API_PATHS = ("/v1/", "/api/")  # the Partner API (the console has its own routes)
_classes: dict[int, EndpointClass] = {}


def endpoint_class(scope: Scope) -> EndpointClass | None:
    route = scope.get("route")
    if not isinstance(route, APIRoute) or not scope["path"].startswith(API_PATHS):
        return None
    found = _classes.get(id(route))
    if found is None:
        found = _classes[id(route)] = classify(route)
    return found


def _concurrent_jobs(principal: Principal) -> None:
    with get_database().transaction(write=False) as session:
        service.check_concurrent_jobs(session, principal.org_id, principal.rate_limit_tier)


async def enforce(request: Request, principal: Principal) -> None:
    """Count the request against the key's bucket; 429 RATE_LIMITED (audited) when over."""
    cls = endpoint_class(request.scope)
    if cls is None:
        return
    try:
        if isinstance(storage.limiter().storage, storage.LocalStorage):
            state = service.hit(principal.key_id, principal.rate_limit_tier, cls)
        else:  # a network round trip: off the event loop
            state = await run_in_threadpool(
                service.hit, principal.key_id, principal.rate_limit_tier, cls
            )
        setattr(request.state, _STATE, state)
        if cls == LONG and request.method == "POST":
            await _hold_org_gate(request, principal.org_id)
            await run_in_threadpool(_concurrent_jobs, principal)
    except RateLimited as exc:
        await run_in_threadpool(
            audit.record_rate_limited,
            org_id=principal.org_id,
            livemode=principal.livemode,
            api_key_id=principal.key_id,
            method=request.method,
            path=request.url.path,
            endpoint_class=cls,
            retry_after=int(exc.details["retryAfter"]),
        )
        raise


# One job start per organization at a time in this process, held from here until the
# request's response starts (after its transaction committed). A start takes the org's wallet
# row lock; a burst of starts from one org would otherwise park every worker thread on that
# lock while the holder waits for a free thread to commit. Waiting here holds no thread and no
# connection. It also makes the concurrent-jobs check exact within a process.
_org_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Gate]] = (
    weakref.WeakKeyDictionary()
)
_RELEASE = "rate_limit_release"


@dataclass
class _Gate:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


async def _hold_org_gate(request: Request, org_id: str) -> None:
    gates = _org_gates.setdefault(asyncio.get_running_loop(), {})
    gate = gates.setdefault(org_id, _Gate())
    gate.users += 1
    try:
        await gate.lock.acquire()
    except BaseException:
        gate.users -= 1
        raise

    def release() -> None:
        gate.lock.release()
        gate.users -= 1
        if gate.users == 0 and gates.get(org_id) is gate:
            del gates[org_id]

    setattr(request.state, _RELEASE, release)


def _release_gate(scope: Scope) -> None:
    release = scope.get("state", {}).pop(_RELEASE, None)
    if release is not None:
        release()


def response_started(scope: Scope, headers: list[tuple[bytes, bytes]]) -> None:
    """As a response starts (a `RequestContextMiddleware` hook): release the organization's
    job-start gate, and add ``X-RateLimit-Endpoint-Class`` and, once the key was counted,
    ``X-RateLimit-Limit / -Remaining / -Reset`` to every response of an API route (headers
    already set win)."""
    _release_gate(scope)
    cls = endpoint_class(scope)
    if cls is None:
        return
    extra = [(b"x-ratelimit-endpoint-class", cls.encode())]
    state = scope.get("state", {}).get(_STATE)
    if isinstance(state, service.BucketState):
        extra += state.raw_headers()
    present = {name.lower() for name, _ in headers}
    headers += [(name, value) for name, value in extra if name not in present]


def finished(scope: Scope) -> None:
    """Once the request is done (a `RequestContextMiddleware` hook): the gate is released even
    when no response started."""
    _release_gate(scope)
