"""Social accounts: listing, connecting (and reconnecting in place), posting mode, disconnect."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.events import service as events
from layers.kit import clock
from layers.kit.errors import NotFound
from layers.kit.ids import new_id
from layers.kit.pagination import fetch_page
from layers.kit.repository import TenantRepository, TenantScope
from layers.models.projects import Project
from layers.models.social import SocialAccount
from layers.social import health, hooks, tokens
from layers.social.platforms.base import Connection
from layers.social.schemas import (
    AccountHealth,
    HealthSnapshotOut,
    SocialAccountDisconnected,
    SocialAccountOut,
    SocialAccountUpdate,
    TokenErrorOut,
)

accounts = TenantRepository(SocialAccount, "sa", "social account")


class AccountMismatch(Exception):
    """A reconnect (reauth) authorized a different platform account than the one it binds."""


def get(session: Session, tenant: TenantScope, account_id: str) -> SocialAccount:
    return accounts.get(session, tenant, account_id)


def page(
    session: Session,
    project: Project,
    *,
    platform: str | None,
    status: str | None,
    leased: bool | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[SocialAccount], str | None]:
    stmt = sa.select(SocialAccount).where(SocialAccount.project_id == project.id)
    if platform is not None:
        stmt = stmt.where(SocialAccount.platform == platform)
    if status is not None:
        stmt = stmt.where(SocialAccount.status == status)
    if leased:  # no leased accounts are provisioned by this deployment
        stmt = stmt.where(sa.false())
    rows, next_cursor = fetch_page(session, stmt, SocialAccount.id, cursor=cursor, limit=limit)
    return list(rows), next_cursor


def update(
    session: Session, tenant: TenantScope, account_id: str, body: SocialAccountUpdate
) -> SocialAccount:
    account = accounts.get(session, tenant, account_id)
    if body.posting_mode is not None:
        account.posting_mode = body.posting_mode.value
    session.flush()
    return account


def disconnect(session: Session, tenant: TenantScope, account_id: str) -> tuple[SocialAccount, int]:
    """Drop the tokens, mark ``disconnected`` and cancel the account's queued posts, in the
    caller's transaction. Published posts stay up; a post in flight finishes."""
    account = accounts.get(session, tenant, account_id, for_update=True)
    if account.status == "disconnected":
        raise NotFound(f"Social account {account_id} is already disconnected.", id=account_id)
    now = clock.now()
    tokens.drop_tokens(session, account)
    account.status = "disconnected"
    account.healthy = False
    account.disconnected_at = now
    account.disconnected_reason = "revoked_by_partner"
    canceled = hooks.account_disconnected(session, account.id, reason="account_disconnected")
    events.record(
        session,
        "social_account.disconnected",
        org_id=account.org_id,
        livemode=account.livemode,
        project_id=account.project_id,
        subject_id=account.id,
        data={
            "socialAccountId": account.id,
            "platform": account.platform,
            "disconnectedReason": account.disconnected_reason,
            "canceledScheduledPosts": canceled,
        },
    )
    session.flush()
    return account, canceled


def connect_account(
    session: Session,
    *,
    org_id: str,
    livemode: bool,
    project_id: str,
    platform: str,
    connection: Connection,
    bound_account_id: str | None = None,
) -> SocialAccount:
    """Create the account, or update it in place when this platform account is already
    connected to the project (a reconnect): new tokens, ``token_error`` cleared, healthy again,
    and the posts held for it released."""
    profile = connection.profile
    account = session.scalar(
        sa.select(SocialAccount)
        .where(
            SocialAccount.project_id == project_id,
            SocialAccount.platform == platform,
            SocialAccount.platform_account_id == profile.platform_account_id,
        )
        .with_for_update()
    )
    if bound_account_id is not None and (account is None or account.id != bound_account_id):
        raise AccountMismatch(
            f"The {platform} account that consented (@{profile.handle or '?'}) is not the one "
            "this reconnect is for."
        )
    now = clock.now()
    reconnected = account is not None
    if account is None:
        account = SocialAccount(
            id=new_id("sa", now),
            org_id=org_id,
            livemode=livemode,
            project_id=project_id,
            platform=platform,
            platform_account_id=profile.platform_account_id,
            status="connected",
            healthy=True,
            posting_mode="manual",
            meta={},
            token_generation=0,
            connected_at=now,
        )
        session.add(account)
    elif account.status == "disconnected":
        account.connected_at = now
    account.handle = profile.handle or account.handle
    account.display_name = profile.display_name or account.display_name
    account.avatar_url = profile.avatar_url or account.avatar_url
    meta = {k: v for k, v in (account.meta or {}).items() if k != "token_error"}
    meta.update({k: v for k, v in profile.details.items() if v is not None})
    account.meta = meta
    account.status = "connected"
    account.healthy = True
    account.disconnected_at = None
    account.disconnected_reason = None
    tokens.store_grant(session, account, connection.grant)
    session.flush()
    if reconnected:
        hooks.account_reconnected(session, account.id)
    events.record(
        session,
        "social_account.connected",
        org_id=account.org_id,
        livemode=account.livemode,
        project_id=account.project_id,
        subject_id=account.id,
        data={
            "socialAccountId": account.id,
            "platform": account.platform,
            "handle": account.handle,
            "displayName": account.display_name,
            "connectedAt": clock.isoformat_z(account.connected_at or now),
            "reconnected": reconnected,
        },
    )
    health.take_snapshot(session, account, reason="reconnected" if reconnected else "connected")
    return account


# ---- API shapes ----


def _token_error(account: SocialAccount) -> TokenErrorOut | None:
    error = (account.meta or {}).get("token_error")
    if not isinstance(error, dict):
        return None
    return TokenErrorOut(
        code=str(error.get("code") or "CREDENTIAL_INVALID"),
        message=str(error.get("message") or ""),
        at=error.get("at"),
    )


def to_out(account: SocialAccount) -> SocialAccountOut:
    return SocialAccountOut(
        social_account_id=account.id,
        project_id=account.project_id,
        platform=account.platform,
        handle=account.handle,
        display_name=account.display_name,
        avatar_url=account.avatar_url,
        status=account.status,
        healthy=account.healthy,
        posting_mode=account.posting_mode,
        leased=False,
        token_error=_token_error(account),
        token_expires_at=account.token_expires_at,
        connected_at=account.connected_at,
        disconnected_at=account.disconnected_at,
        disconnected_reason=account.disconnected_reason,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


def disconnected_out(account: SocialAccount, canceled: int) -> SocialAccountDisconnected:
    assert account.disconnected_at is not None
    assert account.disconnected_reason is not None
    return SocialAccountDisconnected(
        social_account_id=account.id,
        status=account.status,
        disconnected_reason=account.disconnected_reason,
        canceled_scheduled_posts=canceled,
        disconnected_at=account.disconnected_at,
    )


def health_of(session: Session, account: SocialAccount) -> AccountHealth:
    snapshot = health.latest(session, account.id)
    return AccountHealth(
        social_account_id=account.id,
        platform=account.platform,
        status=account.status,
        healthy=account.healthy,
        token_error=_token_error(account),
        token_expires_at=account.token_expires_at,
        refresh_token_expires_at=account.refresh_token_expires_at,
        temperature=snapshot.temperature if snapshot is not None else "cold",
        snapshot=None
        if snapshot is None
        else HealthSnapshotOut(
            snapshot_id=snapshot.id,
            taken_at=snapshot.taken_at,
            reason=snapshot.reason,
            healthy=snapshot.healthy,
            temperature=snapshot.temperature,
            score=snapshot.score,
            metrics=snapshot.metrics,
        ),
    )
