"""Request dependencies: who is calling, what they may do, and their unit of work.

Every API route declares exactly one of `requires(scope)` or `authenticated` in its
``dependencies``; a test walks the route table to keep it that way (deny by default).

This is also the one place where the request pipeline feeds the audit log
(`layers.orgs.audit.service`): a refused key (``auth.key_rejected``) and a missing scope
(``auth.scope_denied``) are written when they are refused, and every successful mutation
(``api.request``) in the request's own transaction. A GET writes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from layers.kit.db import get_database
from layers.kit.errors import ForbiddenScope, KillSwitch, LayersError, Unauthenticated
from layers.kit.http import WRITE_METHODS, unit_of_work
from layers.orgs import service
from layers.orgs.audit import service as audit
from layers.orgs.limits import gate as rate_limits
from layers.orgs.service import Principal

# What a parent may not do in a suspended child it acts in: generate, publish, execute.
SUSPENDED_DENIES = frozenset({"content:write", "publish:write", "layers:execute"})


def _resolve(request: Request) -> Principal:
    with get_database().transaction(write=False) as session:
        return service.authenticate(
            session,
            request.headers.get("authorization"),
            request.headers.get("x-layers-organization"),
        )


def _audit_rejection(request: Request, exc: LayersError) -> None:
    """Record a refused key in its organization (a key nobody issued names none)."""
    with get_database().transaction(write=False) as session:
        key = service.rejected_key(session, request.headers.get("authorization"))
        if key is None:
            return
        org_id, livemode, key_id = key.org_id, key.livemode, key.id
    audit.record_now(
        org_id=org_id,
        livemode=livemode,
        event_type="auth.key_rejected",
        api_key_id=key_id,
        data={
            "method": request.method,
            "path": request.url.path,
            "code": exc.code,
            "reason": exc.message,
        },
    )


async def current_principal(request: Request) -> Principal:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is None:
        try:
            cached = await run_in_threadpool(_resolve, request)
        except (Unauthenticated, KillSwitch) as exc:
            await run_in_threadpool(_audit_rejection, request, exc)
            raise
        request.state.principal = cached
        await rate_limits.enforce(request, cached)
    return cached


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def requires(scope: str) -> Any:
    """A route dependency that admits keys holding `scope` (or ``*``)."""

    async def check(request: Request, principal: CurrentPrincipal) -> Principal:
        if not principal.allows(scope):
            await run_in_threadpool(
                audit.record_now,
                org_id=principal.org_id,
                livemode=principal.livemode,
                event_type="auth.scope_denied",
                api_key_id=principal.key_id,
                data={"method": request.method, "path": request.url.path, "requiredScope": scope},
            )
            raise ForbiddenScope(f"This API key lacks the '{scope}' scope.", requiredScope=scope)
        if principal.org_suspended and scope in SUSPENDED_DENIES:
            raise KillSwitch(
                "This organization is suspended: nothing is generated, published or run for "
                "it until it is resumed.",
                scope="organization",
            )
        return principal

    check.__layers_scope__ = scope  # type: ignore[attr-defined]
    return Depends(check)


async def _authenticated(principal: CurrentPrincipal) -> Principal:
    return principal


_authenticated.__layers_scope__ = ""  # type: ignore[attr-defined]
authenticated = Depends(_authenticated)


def _audit_mutation(session: Session, request: Request, principal: Principal) -> None:
    state = getattr(request.state, "uow", None)
    response = getattr(state, "response", None)
    route = request.scope.get("route")
    project_id = request.path_params.get("project_id")
    audit.record(
        session,
        org_id=principal.org_id,
        livemode=principal.livemode,
        event_type="api.request",
        api_key_id=principal.key_id,
        project_id=project_id if isinstance(project_id, str) else None,
        data={
            "method": request.method,
            "path": request.url.path,
            "route": getattr(route, "path", None),
            "status": getattr(response, "status_code", None),
            "actingAs": principal.org_id if principal.org_id != principal.key_org_id else None,
        },
    )


async def _request_session(request: Request, principal: CurrentPrincipal) -> AsyncIterator[Session]:
    async with unit_of_work(
        request, org_id=principal.org_id, livemode=principal.livemode
    ) as session:
        yield session
        # Reached only when the handler succeeded: the row commits with the change.
        if request.method in WRITE_METHODS:
            _audit_mutation(session, request, principal)


DbSession = Annotated[Session, Depends(_request_session, scope="function")]
