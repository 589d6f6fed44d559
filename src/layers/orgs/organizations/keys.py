"""API keys over the API: mint, list (masked), rotate (24 h grace, once), delete.

The same rules serve a child's keys (``/v1/organizations/{id}/api-keys``, called by its
parent) and the organization's own (``/v1/api-keys``):

* scopes are a subset of the calling key's (``*`` only from a ``*`` key);
* a child key never holds ``org:admin`` (nor ``*``, which includes it): 403 FORBIDDEN_SCOPE;
* the secret is in the mint (and rotate) response only; the route marks that response
  sensitive, so an idempotent replay returns the same secret from an encrypted store;
* rotating makes a new key with the same scopes, mode and tier; the old secret keeps working
  for `ROTATION_GRACE`, and a key is rotated once (a superseded key → 409);
* delete revokes at once, idempotently.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.errors import Conflict, ForbiddenScope, NotFound, Validation
from layers.kit.ids import has_prefix
from layers.models.orgs import ApiKey, Organization
from layers.orgs import service as orgs
from layers.orgs.audit import service as audit
from layers.orgs.organizations import repository
from layers.orgs.organizations.schemas import ApiKeyCreate, ApiKeyMinted, ApiKeyView, KeyEnv
from layers.orgs.scopes import FULL_ACCESS, validate_scopes
from layers.orgs.service import Principal

ROTATION_GRACE = timedelta(hours=24)
ADMIN_SCOPE = "org:admin"


def to_view(key: ApiKey) -> ApiKeyView:
    return ApiKeyView(
        id=key.id,
        organization_id=key.org_id,
        name=key.name,
        prefix=orgs.key_prefix(key),
        env=KeyEnv.live if key.livemode else KeyEnv.test,
        livemode=key.livemode,
        scopes=list(key.scopes),
        rate_limit_tier=key.rate_limit_tier,
        status="active" if key.status == "active" and not key.kill_switch else "revoked",
        kill_switch=key.kill_switch,
        created_at=key.created_at,
        last_used_at=None,
        rotated_at=key.rotated_at,
        revoked_at=key.revoked_at,
        grace_until=key.grace_until,
        superseded_by=key.superseded_by,
    )


def minted(key: ApiKey, token: str) -> ApiKeyMinted:
    return ApiKeyMinted(**to_view(key).model_dump(), key=token)


def _check_scopes(principal: Principal, scopes: list[str], *, child: bool) -> None:
    if child and (ADMIN_SCOPE in scopes or FULL_ACCESS in scopes):
        raise ForbiddenScope(
            "org:admin is never delegated to a child key (nor '*', which includes it); "
            "list the data scopes the child needs.",
            scope=ADMIN_SCOPE,
        )
    held = principal.scopes
    beyond = sorted(s for s in set(scopes) if not (s in held or (FULL_ACCESS in held)))
    if beyond:
        raise ForbiddenScope("A key can only grant scopes its creator holds.", scopes=beyond)


def mint(
    session: Session, principal: Principal, org: Organization, body: ApiKeyCreate, *, child: bool
) -> tuple[ApiKey, str]:
    """A new key of `org` (a child of the caller, or the caller's own organization)."""
    try:
        validate_scopes(body.scopes)
    except ValueError as exc:
        raise Validation.field("scopes", str(exc)) from exc
    _check_scopes(principal, body.scopes, child=child)
    if body.env is None:
        livemode = org.livemode if child else principal.livemode
    else:
        livemode = body.env == KeyEnv.live
    if livemode and not org.livemode:
        raise Validation.field("env", "a sandbox (test-mode) organization has test keys only")
    if not child and livemode != principal.livemode:
        raise Validation.field("env", "a key mints its organization's keys of its own mode")
    key, token = orgs.create_api_key(
        session, org, livemode=livemode, name=body.name, scopes=body.scopes
    )
    _audit(session, principal, key, "api_key.created", {"scopes": list(key.scopes)})
    return key, token


def page(
    session: Session, org_id: str, *, livemode: bool | None, cursor: str | None, limit: int
) -> tuple[Sequence[ApiKey], str | None]:
    return repository.keys_page(session, org_id, livemode=livemode, cursor=cursor, limit=limit)


def get(session: Session, org_id: str, key_id: str, *, livemode: bool | None) -> ApiKey:
    """The key `key_id` of `org_id` (404 if it belongs elsewhere: no enumeration)."""
    key = session.get(ApiKey, key_id) if has_prefix(key_id, "key") else None
    if key is None or key.org_id != org_id or (livemode is not None and key.livemode != livemode):
        raise NotFound.of("API key", key_id)
    return key


def rotate(session: Session, principal: Principal, key: ApiKey) -> tuple[ApiKey, str]:
    """A successor with the same scopes, mode and tier; the old secret works 24 h more."""
    if key.superseded_by is not None:
        raise Conflict(
            "This key was already rotated; rotate its successor instead.",
            supersededBy=key.superseded_by,
        )
    if key.status != "active" or key.kill_switch:
        raise Conflict("A revoked key cannot be rotated.", keyId=key.id)
    org = session.get(Organization, key.org_id)
    assert org is not None
    new_key, token = orgs.create_api_key(
        session,
        org,
        livemode=key.livemode,
        name=key.name,
        scopes=list(key.scopes),
        allowed_return_domains=list(key.allowed_return_domains),
    )
    new_key.rate_limit_tier = key.rate_limit_tier
    now = clock.now()
    key.rotated_at = now
    key.grace_until = now + ROTATION_GRACE
    key.superseded_by = new_key.id
    session.flush()
    _audit(
        session,
        principal,
        key,
        "api_key.rotated",
        {"supersededBy": new_key.id, "graceUntil": clock.isoformat_z(key.grace_until)},
    )
    return new_key, token


def delete(session: Session, principal: Principal, key: ApiKey) -> ApiKey:
    """Revoke now, with no grace; idempotent."""
    if key.status != "revoked":
        key.status = "revoked"
        key.revoked_at = clock.now()
        key.grace_until = None
        session.flush()
        _audit(session, principal, key, "api_key.revoked", {})
    return key


def _audit(
    session: Session, principal: Principal, key: ApiKey, event_type: str, data: dict[str, object]
) -> None:
    """Record the key event in the key's organization (and in the caller's, when a parent
    acts on a child's key)."""
    payload = {"keyId": key.id, "prefix": orgs.key_prefix(key), **data}
    for org_id in dict.fromkeys((key.org_id, principal.key_org_id)):
        audit.record(
            session,
            org_id=org_id,
            livemode=key.livemode if org_id == key.org_id else principal.livemode,
            event_type=event_type,
            api_key_id=principal.key_id,
            data=payload,
        )
