from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from layers.kit.db import Base, JSONType, UTCDateTime
from layers.models.base import Tenant, Timestamps


class WebhookEndpoint(Tenant, Timestamps, Base):
    """A partner's HTTPS receiver for events (``whe_``).

    ``status``: ``active | paused | auto_paused`` (20 consecutive failed attempts). The signing
    secret is in the vault (``secret_vault_id``); during a rotation the previous one stays
    valid until ``previous_secret_expires_at`` and deliveries carry a signature for each.
    ``project_id`` null means every project of the organization; ``scope='all_children'`` (the
    firehose) also receives the events of the organization's direct children.
    """

    __tablename__ = "webhook_endpoints"
    __table_args__ = (sa.Index("ix_webhook_endpoints_tenant", "org_id", "livemode", "id"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str | None] = mapped_column(
        sa.String(40), sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(sa.String(2048), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="active")
    events: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    scope: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="own")
    api_version: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="v1")
    secret_vault_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    previous_secret_vault_id: Mapped[str | None] = mapped_column(sa.String(40))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failure_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(Tenant, Base):
    """One event sent to one endpoint (``whd_``), with its retries.

    ``payload`` is the exact JSON body, frozen when the delivery is created, so every retry
    sends the same bytes under the same ``event_id``; a replay is a new delivery with a new
    event id and ``replay_of``. ``partition`` (endpoint and subject) is the DBOS queue
    partition that keeps one subject's deliveries to one endpoint in order.
    Status: ``pending | delivering | delivered | failed | abandoned``.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
        sa.Index("ix_webhook_deliveries_event", "event_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
    )
    event_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    event_type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    subject_id: Mapped[str | None] = mapped_column(sa.String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    replay_of: Mapped[str | None] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    abandoned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_response_status: Mapped[int | None] = mapped_column(sa.Integer)
    last_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_response_body: Mapped[str | None] = mapped_column(sa.String(1000))
    last_error_message: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
