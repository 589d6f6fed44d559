"""The token service: every platform call gets its access token here.

* Tokens are read from the vault per call and never leave this process's memory in clear
  (not in a workflow input or output, not in a log line, not in an error message).
* A token close to expiry is refreshed first (`REFRESH_MARGIN`); a call that the platform
  answers with an auth error is retried once with a refreshed token (`with_token`).
* One process at a time refreshes an account: a lease on the row (`refresh_lease_until`).
  TikTok rotates refresh tokens, so two concurrent refreshes with the same token would leave
  one of them holding a dead token; the others wait for the lease holder's new token
  (``token_generation`` tells them it arrived).
* A refresh the platform refuses (the grant is gone), or a second auth error, marks the
  account: ``metadata.token_error`` set, ``healthy`` false, status ``reauth_required``, a
  health snapshot, and one ``social_account.needs_reauth`` event per transition. A reconnect
  clears it (`layers.social.service.connect_account`).
* An empty refresh token in a platform's answer never overwrites the stored one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn, TypeVar

from sqlalchemy.orm import Session

from layers.events import service as events
from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.errors import LayersError
from layers.models.social import SocialAccount
from layers.social import health
from layers.social.platforms import registry
from layers.social.platforms.base import (
    AuthFailed,
    PlatformCallError,
    PlatformSpec,
    Rejected,
    TokenGrant,
)
from layers.social.vault import Secret, VaultError, get_vault

log = logging.getLogger("layers.social.tokens")

T = TypeVar("T")

REFRESH_MARGIN = timedelta(minutes=5)
LEASE = timedelta(seconds=60)
WAIT_STEP = 0.05


class TokenUnavailable(Exception):
    """No usable token right now; ``reason`` is a stable code.

    ``needs_reauth``: the account is (now) flagged and a person must reconnect it.
    Otherwise it is transient (the platform is down, the app is not configured, another
    process holds the refresh lease too long) and the caller may try later.
    """

    def __init__(self, reason: str, message: str, *, needs_reauth: bool = False) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.needs_reauth = needs_reauth


@dataclass(frozen=True)
class AccessToken:
    value: Secret
    generation: int


# ---- marking an account ----


def flag_needs_reauth(session: Session, account: SocialAccount, code: str, message: str) -> bool:
    """Mark `account` unhealthy in `session`; True when this is a new transition."""
    now = clock.now()
    meta = dict(account.meta or {})
    meta["token_error"] = {"code": code, "message": message[:500], "at": clock.isoformat_z(now)}
    account.meta = meta
    account.refresh_lease_until = None
    changed = account.healthy or account.status != "reauth_required"
    if account.status != "disconnected":
        account.status = "reauth_required"
    account.healthy = False
    session.flush()
    if changed:
        events.record(
            session,
            "social_account.needs_reauth",
            org_id=account.org_id,
            livemode=account.livemode,
            project_id=account.project_id,
            subject_id=account.id,
            data={
                "socialAccountId": account.id,
                "platform": account.platform,
                "error": {"code": code, "message": message[:500]},
            },
        )
        health.take_snapshot(session, account, reason="needs_reauth")
        log.warning("social account %s needs reauth: %s", account.id, code)
    return changed


def mark_needs_reauth(account_id: str, code: str, message: str) -> None:
    with get_database().transaction() as session:
        account = session.get(SocialAccount, account_id, with_for_update=True)
        if account is not None:
            flag_needs_reauth(session, account, code, message)


# ---- storing ----


def store_grant(session: Session, account: SocialAccount, grant: TokenGrant) -> None:
    """Put `grant` on `account` (vault rows replaced in place); bumps the generation."""
    vault = get_vault()
    now = clock.now()
    if account.access_token_vault_id:
        vault.replace(session, account.access_token_vault_id, grant.access_token)
    else:
        account.access_token_vault_id = vault.store(
            session, "social.access_token", grant.access_token
        )
    if grant.refresh_token:  # an empty or absent refresh token keeps the stored one
        if account.refresh_token_vault_id:
            vault.replace(session, account.refresh_token_vault_id, grant.refresh_token)
        else:
            account.refresh_token_vault_id = vault.store(
                session, "social.refresh_token", grant.refresh_token
            )
        if grant.refresh_expires_in:
            account.refresh_token_expires_at = now + timedelta(seconds=grant.refresh_expires_in)
    account.token_expires_at = (
        now + timedelta(seconds=grant.expires_in) if grant.expires_in else None
    )
    account.token_refreshed_at = now
    account.token_generation = (account.token_generation or 0) + 1
    account.refresh_lease_until = None
    if grant.scopes:
        account.meta = {**(account.meta or {}), "scopes": list(grant.scopes)}


def drop_tokens(session: Session, account: SocialAccount) -> None:
    get_vault().delete(session, account.access_token_vault_id, account.refresh_token_vault_id)
    account.access_token_vault_id = None
    account.refresh_token_vault_id = None
    account.token_expires_at = None
    account.refresh_token_expires_at = None
    account.refresh_lease_until = None
    account.token_generation = (account.token_generation or 0) + 1


def _read(session: Session, vault_id: str | None) -> Secret | None:
    if not vault_id:
        return None
    try:
        return get_vault().read(session, vault_id)
    except VaultError as exc:
        raise TokenUnavailable("VAULT_ERROR", str(exc)) from exc


def _usable(account: SocialAccount | None, account_id: str) -> SocialAccount:
    if account is None or account.status == "disconnected":
        raise TokenUnavailable("ACCOUNT_DISCONNECTED", f"Social account {account_id} is gone.")
    if not account.healthy or account.status == "reauth_required":
        error = (account.meta or {}).get("token_error") or {}
        raise TokenUnavailable(
            "ACCOUNT_NEEDS_REAUTH",
            f"Social account {account_id} needs to be reconnected: "
            f"{error.get('message', 'its token is unusable')}",
            needs_reauth=True,
        )
    return account


# ---- reading and refreshing ----


def access_token(account_id: str) -> AccessToken:
    """A usable access token, refreshed first when it expires within `REFRESH_MARGIN`."""
    with get_database().transaction(write=False) as session:
        account = _usable(session.get(SocialAccount, account_id), account_id)
        token = _read(session, account.access_token_vault_id)
        generation = account.token_generation
        expires_at = account.token_expires_at
    if token is None:
        raise TokenUnavailable("NO_TOKEN", f"Social account {account_id} has no token.")
    if expires_at is not None and expires_at - clock.now() <= REFRESH_MARGIN:
        return refresh(account_id, stale_generation=generation)
    return AccessToken(token, generation)


def refresh(account_id: str, *, stale_generation: int) -> AccessToken:
    """Replace the tokens of generation `stale_generation`; if another process already did,
    use its tokens. Raises `TokenUnavailable`."""
    db = get_database()
    give_up = time.monotonic() + LEASE.total_seconds() + 5
    while True:
        with db.transaction() as session:
            account = _usable(
                session.get(SocialAccount, account_id, with_for_update=True), account_id
            )
            if account.token_generation != stale_generation:
                token = _read(session, account.access_token_vault_id)
                if token is not None:
                    return AccessToken(token, account.token_generation)
            now = clock.now()
            lease = account.refresh_lease_until
            if lease is None or lease <= now:
                account.refresh_lease_until = now + LEASE
                platform, livemode = account.platform, account.livemode
                current = _read(session, account.access_token_vault_id)
                refresh_token = _read(session, account.refresh_token_vault_id)
                refresh_expires = account.refresh_token_expires_at
                break
        if time.monotonic() > give_up:
            raise TokenUnavailable("REFRESH_BUSY", "Another process is refreshing this token.")
        time.sleep(WAIT_STEP)

    if refresh_expires is not None and refresh_expires <= clock.now():
        _give_up(account_id, "REFRESH_TOKEN_EXPIRED", "The refresh token has expired.")
    try:
        provider = registry.oauth_provider(platform, livemode)
        if current is None:
            raise Rejected("No access token is stored.")
        grant = provider.refresh(access_token=current, refresh_token=refresh_token)
    except (AuthFailed, Rejected) as exc:
        _give_up(account_id, "TOKEN_REFRESH_FAILED", exc.message)
    except (PlatformCallError, LayersError) as exc:
        _release(account_id)
        raise TokenUnavailable("REFRESH_UNAVAILABLE", exc.message) from None
    except BaseException:
        _release(account_id)
        raise
    with db.transaction() as session:
        account = _usable(session.get(SocialAccount, account_id, with_for_update=True), account_id)
        store_grant(session, account, grant)
        generation = account.token_generation
    log.info("refreshed the tokens of social account %s", account_id)
    return AccessToken(grant.access_token, generation)


def _release(account_id: str) -> None:
    with get_database().transaction() as session:
        account = session.get(SocialAccount, account_id, with_for_update=True)
        if account is not None:
            account.refresh_lease_until = None


def _give_up(account_id: str, code: str, message: str) -> NoReturn:
    mark_needs_reauth(account_id, code, message)
    raise TokenUnavailable(code, message, needs_reauth=True)


def with_token(account_id: str, call: Callable[[Secret], T]) -> T:
    """Run `call(token)`; on an auth error refresh once and run it again. A second auth error
    flags the account and raises `TokenUnavailable` (``needs_reauth``)."""
    token = access_token(account_id)
    try:
        return call(token.value)
    except AuthFailed:
        fresh = refresh(account_id, stale_generation=token.generation)
    try:
        return call(fresh.value)
    except AuthFailed as exc:
        mark_needs_reauth(account_id, "CREDENTIAL_INVALID", exc.message)
        raise TokenUnavailable("CREDENTIAL_INVALID", exc.message, needs_reauth=True) from None


def refresh_if_due(account_id: str) -> bool:
    """The sweep's proactive refresh; True when it refreshed."""
    with get_database().transaction(write=False) as session:
        account = session.get(SocialAccount, account_id)
        if account is None or account.status != "connected" or not account.healthy:
            return False
        spec = registry.spec_of(account.platform)
        if spec is None:
            return False
        now = clock.now()
        generation = account.token_generation
        due = _proactive_refresh_due(
            spec,
            now=now,
            access_expires_at=account.token_expires_at,
            refresh_expires_at=account.refresh_token_expires_at,
            refreshed_at=account.token_refreshed_at,
        )
    if not due:
        return False
    refresh(account_id, stale_generation=generation)
    return True


def _proactive_refresh_due(
    spec: PlatformSpec,
    *,
    now: datetime,
    access_expires_at: datetime | None,
    refresh_expires_at: datetime | None,
    refreshed_at: datetime | None,
) -> bool:
    """Whether the health sweep should refresh now, from the platform's token facts.

    With a refresh token (TikTok), refresh before *it* lapses unused (or once the access token
    has expired). Without one (Instagram's long-lived token renews itself), refresh before the
    access token lapses, but only a token at least ``refresh_min_age`` old.
    """
    if spec.has_refresh_token:
        return (
            refresh_expires_at is not None and refresh_expires_at - now <= spec.refresh_window
        ) or (access_expires_at is not None and access_expires_at <= now)
    old_enough = refreshed_at is None or now - refreshed_at >= spec.refresh_min_age
    return (
        access_expires_at is not None
        and access_expires_at - now <= spec.refresh_window
        and old_enough
    )
