"""The audit log: one row per material action of an organization (mutations, key events,
authentication rejections, scope denials, suspensions). Append-only; purged after the
retention period of the settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from layers.kit.db import Base, JSONType, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_org_time", "org_id", "livemode", "occurred_at", "id"),
        sa.Index("ix_audit_events_occurred_at", "occurred_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    livemode: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    event_type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    request_id: Mapped[str | None] = mapped_column(sa.String(40))
    project_id: Mapped[str | None] = mapped_column(sa.String(40))
    api_key_id: Mapped[str | None] = mapped_column(sa.String(40))
    actor: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
