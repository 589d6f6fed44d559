"""Organizations, API keys and authentication."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.errors import KillSwitch, NotFound, Unauthenticated, Validation
from layers.kit.ids import has_prefix, new_id
from layers.kit.settings import get_settings
from layers.models.orgs import ApiKey, Organization
from layers.orgs import repository
from layers.orgs.scopes import FULL_ACCESS, validate_scopes

_TOKEN_RE = re.compile(r"^lp_(live|test)_([A-Z2-7]{16})_([A-Za-z0-9_\-]{43})$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key, the organization it acts in, and the mode of its data."""

    key_id: str
    key_org_id: str
    org_id: str
    livemode: bool
    scopes: frozenset[str]
    allowed_return_domains: tuple[str, ...]
    rate_limit_tier: str
    # The parent acts in a suspended child: it may manage it, never generate or publish in it.
    org_suspended: bool = False

    def allows(self, scope: str) -> bool:
        return FULL_ACCESS in self.scopes or scope in self.scopes


def hash_secret(secret: str) -> str:
    pepper = get_settings().resolved_api_key_pepper
    return hmac.new(pepper, secret.encode(), hashlib.sha256).hexdigest()


def create_organization(session: Session, name: str, parent_id: str | None = None) -> Organization:
    if not 1 <= len(name) <= 128:
        raise Validation.field("name", "must be 1–128 characters", "string_length")
    if parent_id is not None:
        parent = session.get(Organization, parent_id)
        if parent is None:
            raise NotFound.of("organization", parent_id)
        if parent.parent_id is not None:
            raise Validation.field("parentId", "sub-organizations are one level deep")
    org = Organization(id=new_id("org"), name=name, parent_id=parent_id)
    session.add(org)
    session.flush()
    return org


def create_api_key(
    session: Session,
    org: Organization,
    *,
    livemode: bool,
    name: str,
    scopes: list[str],
    allowed_return_domains: list[str] | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its token ``lp_<live|test>_<handle>_<secret>`` (shown only now)."""
    try:
        scopes = validate_scopes(scopes)
    except ValueError as exc:
        raise Validation.field("scopes", str(exc)) from exc
    domains = sorted({d.strip().lower() for d in allowed_return_domains or [] if d.strip()})
    handle = base64.b32encode(secrets.token_bytes(10)).decode()
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    key = ApiKey(
        id=new_id("key"),
        org_id=org.id,
        livemode=livemode,
        name=name[:120],
        handle=handle,
        secret_hash=hash_secret(secret),
        scopes=scopes,
        allowed_return_domains=domains,
    )
    session.add(key)
    session.flush()
    env = "live" if livemode else "test"
    return key, f"lp_{env}_{handle}_{secret}"


def key_prefix(key: ApiKey) -> str:
    return f"lp_{'live' if key.livemode else 'test'}_{key.handle}"


def authenticate(session: Session, authorization: str | None, acting_org: str | None) -> Principal:
    """Resolve a ``Bearer`` token to a principal; 401 for anything unusable, 503 if killed."""
    if not authorization:
        raise Unauthenticated("Missing API key: send 'Authorization: Bearer lp_…'.")
    scheme, _, token = authorization.partition(" ")
    match = _TOKEN_RE.match(token.strip()) if scheme.lower() == "bearer" else None
    if match is None:
        raise Unauthenticated("Malformed API key.")
    env, handle, secret = match.groups()
    key = repository.key_standing(session, handle=handle)
    if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(secret)):
        raise Unauthenticated("Invalid API key.")
    if key.livemode != (env == "live"):
        raise Unauthenticated("Invalid API key.")
    return _admit(session, key, acting_org)


def principal_for_key(session: Session, key_id: str) -> Principal:
    """The principal of a key already proven (the console's signed session names its key id):
    the same checks as `authenticate`, so a revoked or killed key ends its sessions too."""
    key = repository.key_standing(session, key_id=key_id) if has_prefix(key_id, "key") else None
    if key is None:
        raise Unauthenticated("Invalid API key.")
    return _admit(session, key, None)


def _admit(session: Session, key: repository.KeyStanding, acting_org: str | None) -> Principal:
    if key.kill_switch:
        raise KillSwitch("This API key was killed.", scope="key")
    if key.status != "active":
        raise Unauthenticated("This API key was revoked.")
    if key.grace_until is not None and clock.now() >= key.grace_until:
        raise Unauthenticated("This API key was rotated and its grace period has ended.")
    if key.org_status == "archived":
        raise Unauthenticated("This API key's organization no longer exists.")
    if key.org_status == "suspended":
        raise KillSwitch("This organization is suspended.", scope="organization")
    org_id, org_suspended = key.org_id, False
    if acting_org and acting_org != key.org_id:
        child = session.get(Organization, acting_org) if has_prefix(acting_org, "org") else None
        if child is None or child.parent_id != key.org_id or child.status == "archived":
            raise NotFound.of("organization", acting_org)
        org_id, org_suspended = child.id, child.status == "suspended"
    return Principal(
        key_id=key.id,
        key_org_id=key.org_id,
        org_id=org_id,
        livemode=key.livemode,
        scopes=frozenset(key.scopes),
        allowed_return_domains=tuple(key.allowed_return_domains),
        rate_limit_tier=key.rate_limit_tier,
        org_suspended=org_suspended,
    )


def rejected_key(session: Session, authorization: str | None) -> repository.KeyStanding | None:
    """The issued key a refused ``Authorization`` header names, if any (to audit the refusal
    in its organization); None for a malformed token or a handle nobody issued."""
    scheme, _, token = (authorization or "").partition(" ")
    match = _TOKEN_RE.match(token.strip()) if scheme.lower() == "bearer" else None
    if match is None:
        return None
    return repository.key_standing(session, handle=match.group(2))


def _key_in_org(session: Session, principal: Principal, key_id: str) -> ApiKey:
    key = session.get(ApiKey, key_id) if has_prefix(key_id, "key") else None
    if key is None or key.org_id != principal.key_org_id or key.livemode != principal.livemode:
        raise NotFound.of("API key", key_id)
    return key


def kill_key(session: Session, principal: Principal, key_id: str) -> ApiKey:
    """Any key of an organization may kill any other of its keys; idempotent."""
    key = _key_in_org(session, principal, key_id)
    if not key.kill_switch:
        key.kill_switch = True
        key.status = "revoked"
        key.revoked_at = key.revoked_at or clock.now()
        session.flush()
    return key


def revoke_key(session: Session, principal: Principal, key_id: str) -> ApiKey:
    key = _key_in_org(session, principal, key_id)
    if key.status != "revoked":
        key.status = "revoked"
        key.revoked_at = clock.now()
        session.flush()
    return key


def list_keys(session: Session, principal: Principal) -> list[ApiKey]:
    return repository.keys_of(session, principal.key_org_id, principal.livemode)


@dataclass(frozen=True)
class Bootstrap:
    org: Organization
    live_token: str
    test_token: str


def bootstrap(session: Session) -> Bootstrap | None:
    """On a fresh database: one organization with a live and a test full-access key."""
    if session.scalar(sa.select(sa.func.count()).select_from(Organization)):
        return None
    org = create_organization(session, "Bootstrap organization")
    _, live = create_api_key(
        session,
        org,
        livemode=True,
        name="bootstrap-live",
        scopes=[FULL_ACCESS],
        allowed_return_domains=["localhost"],
    )
    _, test = create_api_key(
        session,
        org,
        livemode=False,
        name="bootstrap-test",
        scopes=[FULL_ACCESS],
        allowed_return_domains=["localhost"],
    )
    return Bootstrap(org, live, test)
