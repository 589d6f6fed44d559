from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from layers.kit.db import Base, JSONType, UTCDateTime
from layers.models.base import Tenant


class Event(Tenant, Base):
    """A domain event (``social_account.connected``, ``post.published``, …), append-only.

    Written in the same transaction as the change it describes; a webhooks outbox reads
    them in id order.
    """

    __tablename__ = "events"
    __table_args__ = (
        sa.Index("ix_events_tenant", "org_id", "livemode", "id"),
        sa.Index("ix_events_subject", "subject_id", "id"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    project_id: Mapped[str | None] = mapped_column(sa.String(40))
    subject_id: Mapped[str | None] = mapped_column(sa.String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
