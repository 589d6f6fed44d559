"""The wallet's HTTP face: the org's own credits and ledger, and a parent's view and control
of each child's (``org:admin``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query, Request

from layers.kit.errors import IdempotencyRequired, NotFound, Validation
from layers.kit.http import LayersRouter
from layers.models.orgs import Organization
from layers.orgs.dependencies import CurrentPrincipal, DbSession, authenticated, requires
from layers.orgs.service import Principal
from layers.orgs.wallet import service, views
from layers.orgs.wallet.schemas import (
    AllocateCredits,
    CreditConfigOut,
    CreditConfigUpdate,
    CreditEventList,
    CreditsOut,
    CreditTransferOut,
    EventType,
)

router = LayersRouter(prefix="/v1", tags=["credits"])

Cursor = Annotated[str | None, Query(max_length=128)]
Limit = Annotated[int, Query(ge=1, le=100)]
ProjectFilter = Annotated[str | None, Query(alias="projectId", max_length=40)]
TypeFilter = Annotated[EventType | None, Query(alias="eventType")]
Since = Annotated[datetime | None, Query(description="ISO 8601 UTC (`Z`), inclusive.")]
Until = Annotated[datetime | None, Query(description="ISO 8601 UTC (`Z`), exclusive.")]


def _own(session: DbSession, principal: Principal) -> Organization:
    org = session.get(Organization, principal.org_id)
    if org is None:
        raise NotFound.of("organization", principal.org_id)
    return org


def _child(session: DbSession, principal: Principal, org_id: str) -> Organization:
    """A direct child of the calling key's organization, in the key's mode."""
    return service.child(session, principal.key_org_id, org_id, livemode=principal.livemode)


def _ledger(
    session: DbSession,
    org_id: str,
    project_id: str | None,
    event_type: str | None,
    since: datetime | None,
    until: datetime | None,
    cursor: str | None,
    limit: int,
) -> CreditEventList:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise Validation.field(name, "must be ISO 8601 UTC with a Z suffix", "timezone")
    rows, next_cursor = service.events(
        session,
        org_id,
        project_id=project_id,
        event_type=event_type,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
    return CreditEventList(
        items=[views.event_out(event, status) for event, status in rows], next_cursor=next_cursor
    )


@router.get("/credits", dependencies=[authenticated])
def get_credits(principal: CurrentPrincipal, session: DbSession) -> CreditsOut:
    """The organization's wallet. Gate generations on `available`."""
    return views.credits_out(session, _own(session, principal))


@router.get("/credits/events", dependencies=[authenticated])
def list_credit_events(
    principal: CurrentPrincipal,
    session: DbSession,
    project_id: ProjectFilter = None,
    event_type: TypeFilter = None,
    since: Since = None,
    until: Until = None,
    cursor: Cursor = None,
    limit: Limit = 25,
) -> CreditEventList:
    """The organization's credit ledger, newest first."""
    return _ledger(session, principal.org_id, project_id, event_type, since, until, cursor, limit)


@router.get("/organizations/{org_id}/credits", dependencies=[requires("org:admin")])
def get_child_credits(org_id: str, principal: CurrentPrincipal, session: DbSession) -> CreditsOut:
    """A child organization's wallet (same shape as `GET /v1/credits`)."""
    return views.credits_out(session, _child(session, principal, org_id))


@router.get("/organizations/{org_id}/credits/events", dependencies=[requires("org:admin")])
def list_child_credit_events(
    org_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    project_id: ProjectFilter = None,
    event_type: TypeFilter = None,
    since: Since = None,
    until: Until = None,
    cursor: Cursor = None,
    limit: Limit = 25,
) -> CreditEventList:
    """A child organization's credit ledger, newest first."""
    child = _child(session, principal, org_id)
    return _ledger(session, child.id, project_id, event_type, since, until, cursor, limit)


@router.post(
    "/organizations/{org_id}/credits/allocate",
    status_code=201,
    dependencies=[requires("org:admin")],
    openapi_extra={"x-rate-limit-class": "write-light"},
)
def allocate_credits(
    org_id: str,
    body: AllocateCredits,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
) -> CreditTransferOut:
    """Move credits from this organization's balance to a child's, in both ledgers at once.
    `Idempotency-Key` is required; a replay never debits twice."""
    _child(session, principal, org_id)
    key = request.headers.get("idempotency-key")
    if not key:
        raise IdempotencyRequired("Credit allocation needs an Idempotency-Key header.")
    if not principal.livemode:
        raise Validation.field(
            "Authorization", "credits are allocated with a live key", "livemode_required"
        )
    result = service.allocate(
        session,
        principal.key_org_id,
        org_id,
        body.credits,
        idempotency_key=key,
        description=body.description,
        metadata=body.metadata,
    )
    return views.transfer_out(result)


@router.get("/organizations/{org_id}/credit-config", dependencies=[requires("org:admin")])
def get_credit_config(
    org_id: str, principal: CurrentPrincipal, session: DbSession
) -> CreditConfigOut:
    """A child's spend limits (parent only: a child cannot see its own)."""
    child = _child(session, principal, org_id)
    return views.config_out(session, child.id)


@router.patch("/organizations/{org_id}/credit-config", dependencies=[requires("org:admin")])
def update_credit_config(
    org_id: str, body: CreditConfigUpdate, principal: CurrentPrincipal, session: DbSession
) -> CreditConfigOut:
    """Set a child's monthly cap and auto-refill; only the fields sent change."""
    _child(session, principal, org_id)
    if not principal.livemode:
        raise Validation.field(
            "Authorization", "credit config is changed with a live key", "livemode_required"
        )
    changes = body.model_dump(exclude_unset=True)
    if changes.get("auto_refill_enabled", False) is None:
        changes["auto_refill_enabled"] = False
    current = service.update_config(session, principal.key_org_id, org_id, changes)
    return views.config_out(session, current.org_id)
