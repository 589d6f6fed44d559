"""Ad accounts: the OAuth connect, the list, tokens in the vault, and health.

1. ``POST …/ads/ad-accounts/oauth-url`` creates an OAuth state (``st_…``, the same single-use,
   ten-minute states as social accounts, with platform ``meta_ads | tiktok_ads``) bound to the
   project, the key and the ``returnUrl`` (on the key's allowlist).
2. The person consents on Meta or TikTok, which redirects to
   ``{public_base_url}/v1/ads/oauth/callback/{meta|tiktok}?code&state``. In test mode the
   ``authorizeUrl`` *is* that callback with a sandbox code: opening it connects a sandbox ad
   account at once.
3. The callback consumes the state (a conditional UPDATE: a replayed redirect cannot exchange
   twice), exchanges the code outside any transaction, lists the ad accounts the grant covers,
   stores each with the token sealed in the vault, and redirects to
   ``returnUrl?state=…&status=connected&accountId=aac_…`` (or ``status=error&error=CODE``).

Connecting through this flow is the customer's consent to partner writes
(``partnerWritesConsent``), the one-time toggle of §19.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.ads import platform_access, repository
from layers.ads.platforms.base import AdsAuthFailed, AdsCallError, AdsGrant, body_name
from layers.ads.schemas import AdAccountOut, AdOAuthUrl, BodyPlatform
from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.errors import Conflict, PlatformNotConfigured
from layers.kit.ids import has_prefix, new_id
from layers.kit.repository import TenantScope
from layers.kit.settings import get_settings
from layers.models.ads import AdAccount
from layers.models.social import OAuthState
from layers.orgs.service import Principal
from layers.projects import service as projects
from layers.social import oauth as social_oauth
from layers.social.vault import Secret, get_vault

log = logging.getLogger("layers.ads.accounts")

STATE_TTL = timedelta(minutes=10)
TOKEN_PURPOSE = "ads.access_token"  # noqa: S105 (a vault purpose, not a secret)
REFRESH_PURPOSE = "ads.refresh_token"


def callback_url(platform: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/v1/ads/oauth/callback/{platform}"


def start(
    session: Session,
    principal: Principal,
    project_id: str,
    *,
    platform: str,
    return_url: str,
    console: bool = False,
) -> AdOAuthUrl:
    """A new state and the URL where the person consents (test mode: our callback itself).
    `console=True` (passed by the web console only) lets the person come back to the console."""
    project = projects.get(session, principal, project_id)
    if project.status != "active":
        raise Conflict(f"Project {project_id} is archived.", projectId=project_id)
    social_oauth.check_return_url(principal, return_url, console=console)
    client = platform_access.platform(platform, principal.livemode)
    now = clock.now()
    redirect_uri = callback_url(platform)
    state = OAuthState(
        id=new_id("st", now),
        org_id=principal.org_id,
        livemode=principal.livemode,
        project_id=project.id,
        api_key_id=principal.key_id,
        platform=body_name(platform),
        return_url=return_url,
        redirect_uri=redirect_uri,
        scopes=list(client.spec.oauth_scopes),
        status="pending",
        expires_at=now + STATE_TTL,
    )
    session.add(state)
    session.flush()
    try:
        authorize_url = client.oauth_url(state=state.id, redirect_uri=redirect_uri)
    except AdsCallError as exc:  # building the URL calls nothing: only configuration fails
        raise PlatformNotConfigured(exc.message, platform=body_name(platform)) from exc
    return AdOAuthUrl(
        authorize_url=authorize_url,
        state=state.id,
        expires_at=state.expires_at,
        platform=BodyPlatform(body_name(platform)),
        project_id=project.id,
    )


@dataclass(frozen=True)
class CallbackResult:
    redirect_to: str | None = None
    page_status: int = 400
    page_message: str = ""


def _target(return_url: str, state_id: str, *, ok: bool, **extra: str) -> str:
    parts = urlsplit(return_url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in ("state", "status", "error", "accountId")
    ]
    query += [("state", state_id), ("status", "connected" if ok else "error")]
    query += list(extra.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _fail(state_id: str, code: str, message: str) -> None:
    with get_database().transaction() as session:
        session.execute(
            sa.update(OAuthState)
            .where(OAuthState.id == state_id, OAuthState.status == "pending")
            .values(
                status="failed",
                error={"code": code, "message": message[:500]},
                consumed_at=sa.func.coalesce(OAuthState.consumed_at, clock.now()),
                updated_at=clock.now(),
            )
        )


def handle_callback(
    platform: str, *, state_id: str | None, code: str | None, error: str | None
) -> CallbackResult:
    """Owns its transactions: the code exchange happens between two of them (no transaction
    may stay open across a platform call)."""
    if not state_id or not has_prefix(state_id, "st"):
        return CallbackResult(page_message="This sign-in link is missing its state.")
    now = clock.now()
    with get_database().transaction() as session:
        state = session.get(OAuthState, state_id)
        if state is None or state.platform != body_name(platform):
            return CallbackResult(page_status=404, page_message="This sign-in link is unknown.")
        return_url, livemode = state.return_url, state.livemode
        org_id, project_id, redirect_uri = state.org_id, state.project_id, state.redirect_uri
        if state.consumed_at is not None or state.status != "pending":
            ok = state.status == "completed"
            extra = {"accountId": str((state.error or {}).get("accountId", ""))} if ok else {}
            if not ok:
                extra = {"error": str((state.error or {}).get("code", "STATE_ALREADY_USED"))}
            return CallbackResult(redirect_to=_target(return_url, state_id, ok=ok, **extra))
        failure: tuple[str, str] | None = None
        if now >= state.expires_at:
            failure = ("STATE_EXPIRED", "The sign-in took too long.")
        elif error:
            failure = ("ACCESS_DENIED" if error == "access_denied" else "OAUTH_ERROR", error)
        elif not code:
            failure = ("OAUTH_ERROR", "The platform sent no authorization code.")
        else:
            claimed = session.execute(
                sa.update(OAuthState)
                .where(OAuthState.id == state_id, OAuthState.consumed_at.is_(None))
                .values(consumed_at=now, updated_at=now)
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]
                return CallbackResult(
                    redirect_to=_target(return_url, state_id, ok=False, error="STATE_ALREADY_USED")
                )
    if failure is not None:
        _fail(state_id, *failure)
        return CallbackResult(redirect_to=_target(return_url, state_id, ok=False, error=failure[0]))
    assert code is not None
    try:
        client = platform_access.platform(platform, livemode)
        grant = client.exchange_code(code=code, redirect_uri=redirect_uri)
        found = client.list_ad_accounts(grant.access_token)
    except AdsCallError as exc:
        log.warning("ad-account OAuth for state %s failed: %s", state_id, exc.message)
        _fail(state_id, "PLATFORM_ERROR", f"{platform} refused the connection: {exc.message}")
        return CallbackResult(
            redirect_to=_target(return_url, state_id, ok=False, error="PLATFORM_ERROR")
        )
    wanted = set(grant.account_ids)
    chosen = [a for a in found if not wanted or a.account_id in wanted]
    if not chosen:
        _fail(state_id, "NO_AD_ACCOUNT", "The grant covers no ad account.")
        return CallbackResult(
            redirect_to=_target(return_url, state_id, ok=False, error="NO_AD_ACCOUNT")
        )
    with get_database().transaction() as session:
        ids = [
            connect(
                session,
                org_id=org_id,
                livemode=livemode,
                project_id=project_id,
                platform=platform,
                grant=grant,
                platform_account_id=account.account_id,
                name=account.name,
                currency=account.currency,
            ).id
            for account in chosen
        ]
        session.execute(
            sa.update(OAuthState)
            .where(OAuthState.id == state_id)
            .values(
                status="completed",
                # The connected accounts, for a replayed redirect (social_account_id is the
                # social accounts' column; ad accounts have none of their own).
                error={"accountId": ids[0], "accountIds": ids},
                completed_at=clock.now(),
                updated_at=clock.now(),
            )
        )
    log.info("connected %s ad account(s) %s through state %s", platform, ids, state_id)
    return CallbackResult(redirect_to=_target(return_url, state_id, ok=True, accountId=ids[0]))


def connect(
    session: Session,
    *,
    org_id: str,
    livemode: bool,
    project_id: str,
    platform: str,
    grant: AdsGrant,
    platform_account_id: str,
    name: str | None,
    currency: str,
) -> AdAccount:
    """Insert or reconnect one ad account with `grant`'s tokens (a reconnect heals it)."""
    now = clock.now()
    vault = get_vault()
    account = repository.account_by_platform_id(session, project_id, platform, platform_account_id)
    if account is None:
        account = AdAccount(
            id=new_id("aac", now),
            org_id=org_id,
            livemode=livemode,
            project_id=project_id,
            platform=platform,
            platform_account_id=platform_account_id,
        )
        session.add(account)
    account.name = name
    account.currency = currency or "USD"
    account.status = "connected"
    account.healthy = True
    account.health_error = None
    account.partner_writes_consent = True
    account.connected_at = now
    _store(session, vault, account, grant.access_token, grant.refresh_token)
    account.token_expires_at = (
        now + timedelta(seconds=grant.expires_in) if grant.expires_in else None
    )
    session.flush()
    return account


def _store(
    session: Session, vault: Any, account: AdAccount, access: Secret, refresh: Secret | None
) -> None:
    if account.access_token_vault_id:
        vault.replace(session, account.access_token_vault_id, access)
    else:
        account.access_token_vault_id = vault.store(session, TOKEN_PURPOSE, access)
    if refresh:
        if account.refresh_token_vault_id:
            vault.replace(session, account.refresh_token_vault_id, refresh)
        else:
            account.refresh_token_vault_id = vault.store(session, REFRESH_PURPOSE, refresh)


def token_of(session: Session, account: AdAccount) -> Secret:
    """The account's access token (an account without one is unusable: auth failed)."""
    if not account.access_token_vault_id:
        raise AdsAuthFailed("the ad account has no token; reconnect it")
    return get_vault().read(session, account.access_token_vault_id)


def mark_unhealthy(account_id: str, code: str, message: str) -> None:
    """A refused token or a restricted account: nothing is dispatched until it reconnects.
    Owns its transaction (called from activities, after the refused call)."""
    with get_database().transaction() as session:
        account = session.get(AdAccount, account_id)
        if account is None:
            return
        account.healthy = False
        account.status = "reauth_required" if code == "AD_ACCOUNT_AUTH_FAILED" else "restricted"
        account.health_error = {
            "code": code,
            "message": message[:500],
            "at": clock.now().isoformat(),
        }


def get(session: Session, tenant: TenantScope, account_id: str) -> AdAccount:
    return repository.accounts_repo.get(session, tenant, account_id)


def to_out(account: AdAccount) -> AdAccountOut:
    return AdAccountOut(
        id=account.id,
        project_id=account.project_id,
        platform=BodyPlatform(body_name(account.platform)),
        platform_account_id=account.platform_account_id,
        name=account.name,
        currency=account.currency,
        status=account.status,
        healthy=account.healthy,
        health_error=account.health_error,
        partner_writes_consent=account.partner_writes_consent,
        connected_at=account.connected_at,
        last_synced_at=account.last_synced_at,
        livemode=account.livemode,
    )
