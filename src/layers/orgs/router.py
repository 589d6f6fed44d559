from __future__ import annotations

from layers.kit.errors import NotFound
from layers.kit.http import LayersRouter
from layers.models.orgs import ApiKey, Organization
from layers.orgs import service
from layers.orgs.audit import service as audit
from layers.orgs.dependencies import CurrentPrincipal, DbSession, authenticated, requires
from layers.orgs.organizations import keys
from layers.orgs.schemas import ApiKeyList, ApiKeyOut, KillResult, WhoAmI
from layers.orgs.wallet import service as wallet

router = LayersRouter(prefix="/v1", tags=["organizations"])


def _key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        organization_id=key.org_id,
        name=key.name,
        prefix=service.key_prefix(key),
        livemode=key.livemode,
        scopes=list(key.scopes),
        allowed_return_domains=list(key.allowed_return_domains),
        status=key.status,
        kill_switch=key.kill_switch,
        is_active=key.status == "active",
        created_at=key.created_at,
        revoked_at=key.revoked_at,
        rotated_at=key.rotated_at,
        grace_until=key.grace_until,
        superseded_by=key.superseded_by,
    )


@router.get("/whoami", dependencies=[authenticated])
def whoami(principal: CurrentPrincipal, session: DbSession) -> WhoAmI:
    """The cheapest authenticated call: a 200 means the key works and is not suspended."""
    org = session.get(Organization, principal.org_id)
    if org is None:
        raise NotFound.of("organization", principal.org_id)
    return WhoAmI(
        organization_id=org.id,
        workspace_id=org.id,
        organization_name=org.name,
        parent_organization_id=org.parent_id,
        api_key_id=principal.key_id,
        livemode=principal.livemode,
        scopes=sorted(principal.scopes),
        rate_limit_tier=principal.rate_limit_tier,
        credit_balance=wallet.view(session, org.id).available,
    )


@router.get("/api-keys", dependencies=[requires("org:admin")])
def list_api_keys(principal: CurrentPrincipal, session: DbSession) -> ApiKeyList:
    return ApiKeyList(items=[_key_out(k) for k in service.list_keys(session, principal)])


@router.post("/api-keys/{key_id}/kill", dependencies=[authenticated])
def kill_api_key(key_id: str, principal: CurrentPrincipal, session: DbSession) -> KillResult:
    """Emergency stop: any key of the organization may kill any other. Idempotent."""
    key = service.kill_key(session, principal, key_id)
    audit.record(
        session,
        org_id=key.org_id,
        livemode=key.livemode,
        event_type="api_key.killed",
        api_key_id=principal.key_id,
        data={"keyId": key.id, "prefix": service.key_prefix(key)},
    )
    return KillResult(api_key=_key_out(key), killed=True)


@router.delete("/api-keys/{key_id}", dependencies=[requires("org:admin")])
def revoke_api_key(key_id: str, principal: CurrentPrincipal, session: DbSession) -> ApiKeyOut:
    key = keys.get(session, principal.key_org_id, key_id, livemode=principal.livemode)
    return _key_out(keys.delete(session, principal, key))
