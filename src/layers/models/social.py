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
