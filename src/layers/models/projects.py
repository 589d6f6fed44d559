from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from layers.kit.db import Base, JSONType, UTCDateTime
from layers.models.base import Tenant, Timestamps


class Project(Tenant, Timestamps, Base):
    """One end-customer's product: the brand brief everything is generated from."""

    __tablename__ = "projects"
    __table_args__ = (
        sa.Index("ix_projects_tenant", "org_id", "livemode", "id"),
        sa.Index("ix_projects_customer", "org_id", "livemode", "customer_external_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), default="active", nullable=False)
    customer_external_id: Mapped[str | None] = mapped_column(sa.String(255))
    owner_email: Mapped[str | None] = mapped_column(sa.String(320))
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    primary_language: Mapped[str] = mapped_column(sa.String(35), default="en", nullable=False)
    app_name: Mapped[str | None] = mapped_column(sa.String(30))
    app_description: Mapped[str | None] = mapped_column(sa.String(1000))
    tagline: Mapped[str | None] = mapped_column(sa.String(80))
    brand_voice: Mapped[str] = mapped_column(sa.String(16), default="authentic", nullable=False)
    target_gender: Mapped[str] = mapped_column(sa.String(8), default="all", nullable=False)
    keywords_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProjectHashtag(Base):
    """One entry of a project's TikTok hashtag bank, written whole by keyword research."""

    __tablename__ = "project_hashtags"
    __table_args__ = (sa.UniqueConstraint("project_id", "hashtag"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    hashtag: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    phrase: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    score: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    view_count: Mapped[int | None] = mapped_column(sa.BigInteger)
    use_count: Mapped[int | None] = mapped_column(sa.BigInteger)


class Influencer(Tenant, Timestamps, Base):
    """A synthetic brand-ambassador persona, ``pending → training → ready`` (or ``failed``)."""

    __tablename__ = "influencers"
    __table_args__ = (sa.Index("ix_influencers_project", "project_id", "id"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str | None] = mapped_column(sa.String(128))
    gender: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    age_range: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    brand_voice: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    language: Mapped[str] = mapped_column(sa.String(35), nullable=False)
    prompt: Mapped[str | None] = mapped_column(sa.String(1000))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", nullable=False)
    persona: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    image_key: Mapped[str | None] = mapped_column(sa.String(255))
    error_message: Mapped[str | None] = mapped_column(sa.String(1000))
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deletion_reason: Mapped[str | None] = mapped_column(sa.String(1024))
    cloned_from: Mapped[str | None] = mapped_column(sa.String(40))
