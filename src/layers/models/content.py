from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from layers.kit.db import Base, JSONType, UTCDateTime
from layers.models.base import Tenant, Timestamps


class AppMedia(Tenant, Timestamps, Base):
    """A brand asset fetched from a partner's URL: ``logo`` and ``end-card`` (one live each;
    a new one soft-deletes the old), ``screenshot`` and ``demo-video`` (appended)."""

    __tablename__ = "app_media"
    __table_args__ = (sa.Index("ix_app_media_project", "project_id", "kind", "id"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    source_url: Mapped[str] = mapped_column(sa.String(2048), nullable=False)
    storage_key: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    mime_type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    byte_size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    width: Mapped[int | None] = mapped_column(sa.Integer)
    height: Mapped[int | None] = mapped_column(sa.Integer)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# Container statuses: queued → processing → completed | failed | canceled. A regeneration
# moves a completed container back to processing while its current assets stay readable.
CONTAINER_STATUSES = ("queued", "processing", "completed", "failed", "canceled")
FORMATS = ("slideshow-remix", "video-remix", "slideshow-builder", "ugc-remix")


class ContentContainer(Tenant, Timestamps, Base):
    """One creative: its format, inputs, text and (through `ContainerAsset`) its media.

    ``generation`` numbers the asset sets: assets of ``generation`` are the current ones, a
    regeneration renders ``generation + 1`` and switches over when it completes.
    """

    __tablename__ = "content_containers"
    __table_args__ = (sa.Index("ix_content_containers_project", "project_id", "id"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    format: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    creative_type: Mapped[str] = mapped_column(sa.String(16), default="generated", nullable=False)
    approval_status: Mapped[str] = mapped_column(
        sa.String(16), default="not_required", nullable=False
    )
    media_kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # slideshow | video
    hook: Mapped[str | None] = mapped_column(sa.Text)
    influencer_id: Mapped[str | None] = mapped_column(sa.String(40))
    social_account_id: Mapped[str | None] = mapped_column(sa.String(40))
    source_tiktok_id: Mapped[str | None] = mapped_column(sa.String(32))
    media_id: Mapped[str | None] = mapped_column(sa.String(40))
    caption: Mapped[str | None] = mapped_column(sa.Text)
    hashtags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    first_comment: Mapped[str | None] = mapped_column(sa.Text)
    slide_texts: Mapped[list[str]] = mapped_column(JSONType, default=list)
    generation: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    job_id: Mapped[str | None] = mapped_column(sa.String(40))
    last_error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ContainerAsset(Base):
    """One rendered file of a container generation: a slide, a video, or a thumbnail."""

    __tablename__ = "content_assets"
    __table_args__ = (
        sa.UniqueConstraint("container_id", "generation", "role", "position"),
        sa.Index("ix_content_assets_container", "container_id", "generation"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    container_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("content_containers.id", ondelete="CASCADE"), nullable=False
    )
    generation: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    role: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # slide | video | thumbnail
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    storage_key: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    mime_type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    width: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    height: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    byte_size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    duration_ms: Mapped[int | None] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ContentSource(Base):
    """A TikTok post a source catalog told us about, kept so a remix can find it again.

    Sources are public posts, not tenant data; sandbox and live catalogs are kept apart by
    ``livemode``.
    """

    __tablename__ = "content_sources"

    livemode: Mapped[bool] = mapped_column(sa.Boolean, primary_key=True)
    tiktok_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # slideshow | video
    caption: Mapped[str] = mapped_column(sa.Text, nullable=False)
    author: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    stats: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    image_count: Mapped[int | None] = mapped_column(sa.Integer)
    slide_texts: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    keyword: Mapped[str | None] = mapped_column(sa.String(200))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
