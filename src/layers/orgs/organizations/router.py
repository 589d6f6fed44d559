"""Sub-organizations and API keys over HTTP (``org:admin``, deny by default)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from layers.kit.http import LayersRouter, mark_sensitive
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires
from layers.orgs.organizations import keys, service
from layers.orgs.organizations.schemas import (
    ApiKeyCreate,
    ApiKeyMinted,
    ApiKeyPage,
    ApiKeyRotated,
    ApiKeyView,
    OrganizationArchived,
    OrganizationCreate,
    OrganizationDetail,
    OrganizationList,
    OrganizationOut,
    OrganizationStatus,
    OrganizationUpdate,
)

router = LayersRouter(prefix="/v1", tags=["organizations"])

ADMIN = requires("org:admin")
Cursor = Annotated[str | None, Query(max_length=128)]
KeyLimit = Annotated[int, Query(ge=1, le=100)]


@router.post("/organizations", status_code=201, dependencies=[ADMIN])
def create_organization(
    body: OrganizationCreate, principal: CurrentPrincipal, session: DbSession
) -> OrganizationOut:
    """Create a child organization (``active``, empty wallet). One level deep."""
    return service.to_out(service.create(session, principal, body))


@router.get("/organizations", dependencies=[ADMIN])
def list_organizations(
    principal: CurrentPrincipal,
    session: DbSession,
    status: OrganizationStatus | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> OrganizationList:
    """The caller's child organizations, newest first."""
    rows, next_cursor = service.page(
        session,
        principal,
        status=status.value if status else None,
        cursor=cursor,
        limit=limit,
    )
    return OrganizationList(items=[service.to_out(o) for o in rows], next_cursor=next_cursor)


@router.get("/organizations/{org_id}", dependencies=[ADMIN])
def get_organization(
    org_id: str, principal: CurrentPrincipal, session: DbSession
) -> OrganizationDetail:
    """A child with its credit and project summary."""
    return service.detail(session, principal, service.get_child(session, principal, org_id))


@router.patch("/organizations/{org_id}", dependencies=[ADMIN])
def update_organization(
    org_id: str, body: OrganizationUpdate, principal: CurrentPrincipal, session: DbSession
) -> OrganizationOut:
    """Change the name, billing email or metadata (merged per key; ``""`` removes a key)."""
    org = service.get_child(session, principal, org_id)
    return service.to_out(service.update(session, principal, org, body))


@router.post("/organizations/{org_id}/suspend", dependencies=[ADMIN])
def suspend_organization(
    org_id: str, principal: CurrentPrincipal, session: DbSession
) -> OrganizationOut:
    """The per-customer kill switch: the child's keys get 503 KILL_SWITCH, nothing generates
    or publishes for it, scheduled posts hold. Idempotent by state; archived → 409."""
    org = service.get_child(session, principal, org_id)
    return service.to_out(service.suspend(session, principal, org))


@router.post("/organizations/{org_id}/resume", dependencies=[ADMIN])
def resume_organization(
    org_id: str, principal: CurrentPrincipal, session: DbSession
) -> OrganizationOut:
    """The child's keys work again at once; held posts go out. Archived → 409."""
    org = service.get_child(session, principal, org_id)
    return service.to_out(service.resume(session, principal, org))


@router.delete("/organizations/{org_id}", dependencies=[ADMIN])
def archive_organization(
    org_id: str, principal: CurrentPrincipal, session: DbSession
) -> OrganizationArchived:
    """Offboard a child: revoke its keys, sweep its unspent credits back. Idempotent and
    irreversible."""
    return service.archive(session, principal, service.get_child(session, principal, org_id))


@router.post("/organizations/{org_id}/api-keys", status_code=201, dependencies=[ADMIN])
def mint_child_key(
    org_id: str,
    body: ApiKeyCreate,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
) -> ApiKeyMinted:
    """Mint a child key: scopes a subset of the caller's, never ``org:admin``. ``key`` is
    shown once (an idempotent replay returns the same one)."""
    org = service.get_child(session, principal, org_id)
    key, token = keys.mint(session, principal, org, body, child=True)
    mark_sensitive(request)
    return keys.minted(key, token)


@router.get("/organizations/{org_id}/api-keys", dependencies=[ADMIN])
def list_child_keys(
    org_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    cursor: Cursor = None,
    limit: KeyLimit = 25,
) -> ApiKeyPage:
    """The child's keys (both modes), masked, newest first."""
    org = service.get_child(session, principal, org_id)
    rows, next_cursor = keys.page(session, org.id, livemode=None, cursor=cursor, limit=limit)
    return ApiKeyPage(items=[keys.to_view(k) for k in rows], next_cursor=next_cursor)


@router.post("/organizations/{org_id}/api-keys/{key_id}/rotate", dependencies=[ADMIN])
def rotate_child_key(
    org_id: str,
    key_id: str,
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
) -> ApiKeyRotated:
    """A new key (same scopes, mode, tier); the old secret works 24 h more. Once per key."""
    org = service.get_child(session, principal, org_id)
    old = keys.get(session, org.id, key_id, livemode=None)
    new, token = keys.rotate(session, principal, old)
    mark_sensitive(request)
    return ApiKeyRotated(api_key=keys.minted(new, token), previous=keys.to_view(old))


@router.delete("/organizations/{org_id}/api-keys/{key_id}", dependencies=[ADMIN])
def delete_child_key(
    org_id: str, key_id: str, principal: CurrentPrincipal, session: DbSession
) -> ApiKeyView:
    """Revoke at once (no grace); idempotent."""
    org = service.get_child(session, principal, org_id)
    key = keys.get(session, org.id, key_id, livemode=None)
    return keys.to_view(keys.delete(session, principal, key))


@router.post("/api-keys", status_code=201, dependencies=[ADMIN])
def mint_own_key(
    body: ApiKeyCreate, request: Request, principal: CurrentPrincipal, session: DbSession
) -> ApiKeyMinted:
    """Mint a key of the caller's own organization (its own mode; scopes a subset of the
    caller's). ``key`` is shown once."""
    org = service.own_organization(session, principal)
    key, token = keys.mint(session, principal, org, body, child=False)
    mark_sensitive(request)
    return keys.minted(key, token)


@router.post("/api-keys/{key_id}/rotate", dependencies=[ADMIN])
def rotate_own_key(
    key_id: str, request: Request, principal: CurrentPrincipal, session: DbSession
) -> ApiKeyRotated:
    """Rotate one of the organization's own keys: 24 h grace for the old secret, once."""
    old = keys.get(session, principal.key_org_id, key_id, livemode=principal.livemode)
    new, token = keys.rotate(session, principal, old)
    mark_sensitive(request)
    return ApiKeyRotated(api_key=keys.minted(new, token), previous=keys.to_view(old))
