from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from layers.kit.db import Base, JSONType, UTCDateTime
from layers.models.base import Tenant, Timestamps


class SocialAccount(Tenant, Timestamps, Base):
    """A connected TikTok or Instagram account of a project.

    ``status``: ``connected | reauth_required | disconnected``. ``healthy`` is false while a
    token is unusable; ``meta["token_error"]`` says why (cleared by a reconnect).
    ``posting_mode``: ``automatic`` publishes publicly; otherwise TikTok posts go to the
    creator's drafts inbox and Instagram posts wait in ``pending_manual``.

    Tokens live in the vault (``vault_secrets``); the row holds only their vault ids.
    ``token_generation`` counts stored token sets (a refresh that lost a race notices it), and
    ``refresh_lease_until`` lets one process at a time refresh (TikTok rotates refresh tokens:
    two concurrent refreshes with the same token would invalidate each other).
    """

    __tablename__ = "social_accounts"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "platform", "platform_account_id"),
        sa.Index("ix_social_accounts_project", "project_id", "id"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    platform: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    platform_account_id: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    handle: Mapped[str | None] = mapped_column(sa.String(128))
    display_name: Mapped[str | None] = mapped_column(sa.String(256))
    avatar_url: Mapped[str | None] = mapped_column(sa.String(2048))
    status: Mapped[str] = mapped_column(sa.String(24), default="connected", nullable=False)
    healthy: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    posting_mode: Mapped[str] = mapped_column(sa.String(16), default="manual", nullable=False)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disconnected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disconnected_reason: Mapped[str | None] = mapped_column(sa.String(64))
    access_token_vault_id: Mapped[str | None] = mapped_column(sa.String(40))
    refresh_token_vault_id: Mapped[str | None] = mapped_column(sa.String(40))
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_generation: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    refresh_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OAuthState(Tenant, Timestamps, Base):
    """One OAuth connect attempt (``st_…``): single use, ten minutes.

    ``pending`` until the platform redirects back to the callback, then ``completed`` (with the
    account) or ``failed`` (with ``error``). ``consumed_at`` is set by the one callback that
    may use it (a conditional UPDATE), so a replayed redirect cannot exchange a code twice.
    ``social_account_id`` is set up front by a reauth URL: the tokens must bind to that account.
    """

    __tablename__ = "oauth_states"
    __table_args__ = (sa.Index("ix_oauth_states_project", "project_id", "id"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    api_key_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    platform: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    return_url: Mapped[str] = mapped_column(sa.String(2048), nullable=False)
    redirect_uri: Mapped[str] = mapped_column(sa.String(2048), nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    usage_note: Mapped[str | None] = mapped_column(sa.String(512))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", nullable=False)
    social_account_id: Mapped[str | None] = mapped_column(sa.String(40))
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountHealthSnapshot(Tenant, Base):
    """A point-in-time view of an account: token state, cadence and the temperature derived
    from them (``cold | warm | hot``). The latest one is the account's temperature."""

    __tablename__ = "social_account_health_snapshots"
    __table_args__ = (sa.Index("ix_health_snapshots_account", "social_account_id", "id"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    social_account_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("social_accounts.id", ondelete="CASCADE"), nullable=False
    )
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    healthy: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    token_error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    temperature: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    score: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
