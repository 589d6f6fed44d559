"""Post and account metrics: cumulative snapshots read back from the platforms.

A snapshot holds the platform's lifetime counters at the moment it was read. Series are the
differences between consecutive snapshots, so a sync that runs late, twice, or after an outage
adds exactly what changed in between: nothing is ever counted twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from layers.kit.db import Base, JSONType, UTCDateTime
from layers.models.base import Tenant

COUNTERS = ("views", "reach", "likes", "comments", "shares", "saves", "watch_time_ms")
"""The cumulative per-post counters every snapshot holds (0 where a platform has none)."""


class PostMetricSnapshot(Tenant, Base):
    __tablename__ = "post_metric_snapshots"
    __table_args__ = (
        sa.Index("ix_post_metric_snapshots_post", "scheduled_post_id", "captured_at"),
        sa.Index("ix_post_metric_snapshots_project", "project_id", "captured_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    social_account_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    scheduled_post_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("scheduled_posts.id", ondelete="CASCADE"), nullable=False
    )
    container_id: Mapped[str | None] = mapped_column(sa.String(40))
    layer_id: Mapped[str | None] = mapped_column(sa.String(40))
    platform: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    views: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    reach: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    likes: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    comments: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    shares: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    saves: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    watch_time_ms: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)


class AccountMetricSnapshot(Tenant, Base):
    __tablename__ = "account_metric_snapshots"
    __table_args__ = (
        sa.Index("ix_account_metric_snapshots_account", "social_account_id", "captured_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    social_account_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("social_accounts.id", ondelete="CASCADE"), nullable=False
    )
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    followers: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)


class PostMetricSync(Tenant, Base):
    """When each published post is next read: every 30 min while young, then daily, then not.

    One row per published post with a platform id, enrolled by the sync tick; ``next_sync_at``
    is indexed so a tick costs O(due posts). NULL ``next_sync_at``: the post is past the window.
    """

    __tablename__ = "post_metric_syncs"
    __table_args__ = (sa.Index("ix_post_metric_syncs_due", "next_sync_at"),)

    scheduled_post_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("scheduled_posts.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    social_account_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    platform: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    next_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    syncs: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    last_error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class CreativeOverride(Tenant, Base):
    """A person's word on a creative's ad eligibility: ``include`` or ``exclude``."""

    __tablename__ = "creative_overrides"

    container_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    override: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
