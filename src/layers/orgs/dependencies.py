"""Request dependencies: who is calling, what they may do, and their unit of work.

Every API route declares exactly one of `requires(scope)` or `authenticated` in its
``dependencies``; a test walks the route table to keep it that way (deny by default).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from layers.kit.db import get_database
from layers.kit.errors import ForbiddenScope
from layers.kit.http import unit_of_work
from layers.orgs import service
from layers.orgs.service import Principal


def _resolve(request: Request) -> Principal:
    with get_database().transaction(write=False) as session:
        return service.authenticate(
            session,
            request.headers.get("authorization"),
            request.headers.get("x-layers-organization"),
        )


async def current_principal(request: Request) -> Principal:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is None:
        cached = await run_in_threadpool(_resolve, request)
        request.state.principal = cached
    return cached


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def requires(scope: str) -> Any:
    """A route dependency that admits keys holding `scope` (or ``*``)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.allows(scope):
            raise ForbiddenScope(f"This API key lacks the '{scope}' scope.", requiredScope=scope)
        return principal

    check.__layers_scope__ = scope  # type: ignore[attr-defined]
    return Depends(check)


async def _authenticated(principal: CurrentPrincipal) -> Principal:
    return principal


_authenticated.__layers_scope__ = ""  # type: ignore[attr-defined]
authenticated = Depends(_authenticated)


async def _request_session(request: Request, principal: CurrentPrincipal) -> AsyncIterator[Session]:
    async with unit_of_work(
        request, org_id=principal.org_id, livemode=principal.livemode
    ) as session:
        yield session


DbSession = Annotated[Session, Depends(_request_session, scope="function")]
