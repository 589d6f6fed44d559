from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from layers.kit.db import Base, JSONType, UTCDateTime
from layers.models.base import Tenant, Timestamps

# Every status a scheduled post can have (DESIGN §6, seed 000):
#   pending         a slot with no content yet
#   pending_assets  content attached, its media still generating
#   ready           will be published by the due dispatcher at scheduled_at
#   posting         claimed by a publisher (conditional UPDATE ready → posting)
#   posted          published; platform ids recorded
#   draft           TikTok: pushed to the creator's drafts inbox
#   failed          publish failed; recover-overdue may re-slot it
#   pending_manual  needs a person (manual posting, or a permanent publish failure)
#   canceled        canceled by the partner, an archive or a disconnect
SCHEDULED_POST_STATUSES = (
    "pending", "pending_assets", "ready", "posting", "posted", "draft", "failed",
    "pending_manual", "canceled",
)  # fmt: skip
TERMINAL_POST_STATUSES = frozenset({"posted", "draft", "canceled"})


class ScheduledPost(Tenant, Timestamps, Base):
    """One content + account + time. Rows come from two places with the same shape:

    * the Partner API (``POST /v1/content/:id/schedule``): ``origin='api'``, no layer;
    * a Social Distribution layer's slots: ``origin='slot'``, ``layer_id`` set, and
      ``container_id`` null while the slot is empty (``status='pending'``).

    Both are published through the one publish protocol, exactly once.

    Columns of the protocol (``layers.publishing.protocol``): ``claimed_by`` is the claimant
    (a workflow id) that moved the row to ``posting`` and ``claim_count`` counts claims (it
    fences a stale claimant and names the publish workflow); ``retry_at`` is when a held post
    may be tried again, or when a post whose outcome the platform has not settled yet is
    looked up next.
    """

    __tablename__ = "scheduled_posts"
    __table_args__ = (
        sa.UniqueConstraint("layer_id", "scheduled_at"),
        sa.Index("ix_scheduled_posts_due", "status", "scheduled_at"),
        sa.Index("ix_scheduled_posts_project", "project_id", "scheduled_at"),
        sa.Index("ix_scheduled_posts_account", "social_account_id", "scheduled_at"),
        sa.Index("ix_scheduled_posts_container", "container_id"),
        sa.Index("ix_scheduled_posts_retry", "status", "retry_at"),
        # A distribution layer's probes and planner (its due, overdue and empty slots) stay
        # index seeks however long the layer's posting history grows.
        sa.Index("ix_scheduled_posts_layer_status", "layer_id", "status", "scheduled_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    social_account_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("social_accounts.id", ondelete="CASCADE"), nullable=False
    )
    layer_id: Mapped[str | None] = mapped_column(sa.String(40))
    container_id: Mapped[str | None] = mapped_column(sa.String(40))
    origin: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    mode: Mapped[str] = mapped_column(sa.String(16), default="publish", nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    local_time: Mapped[str | None] = mapped_column(sa.String(32))
    caption_override: Mapped[str | None] = mapped_column(sa.Text)
    first_comment_override: Mapped[str | None] = mapped_column(sa.Text)
    platform_options: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    platform_publish_id: Mapped[str | None] = mapped_column(sa.String(128))
    platform_post_id: Mapped[str | None] = mapped_column(sa.String(128))
    platform_url: Mapped[str | None] = mapped_column(sa.String(2048))
    attempt_count: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    last_error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    hold_reason: Mapped[str | None] = mapped_column(sa.String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(128))
    claim_count: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PublishAttempt(Tenant, Base):
    """One platform call of the publish protocol, written (and committed) *before* the call.

    ``kind``: ``publish`` (the call that can create a post) or ``lookup`` (a status query).
    ``status``: ``started`` until the outcome is known, then ``accepted | failed | unknown``
    (``unknown``: the call may have taken effect, e.g. a timeout after sending). A ``started``
    or ``unknown`` publish attempt is never answered by posting again: it is resolved by a
    lookup. ``ref`` holds what a lookup needs (a container id, the title sent…).
    """

    __tablename__ = "publish_attempts"
    __table_args__ = (
        sa.UniqueConstraint("scheduled_post_id", "number"),
        sa.Index("ix_publish_attempts_account", "social_account_id", "kind", "started_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    scheduled_post_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("scheduled_posts.id", ondelete="CASCADE"), nullable=False
    )
    social_account_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    platform: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    claim: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    operation: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    draft: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    ref: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    platform_publish_id: Mapped[str | None] = mapped_column(sa.String(128))
    platform_post_id: Mapped[str | None] = mapped_column(sa.String(128))
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
