from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from layers.kit.db import Base, JSONType, UTCDateTime
from layers.models.base import Tenant, Timestamps


class Job(Tenant, Timestamps, Base):
    """An async API operation: ``running`` until ``completed | failed | canceled`` (sticky).

    ``progress`` only moves forward; ``stage`` is specific to the kind. The job's durable
    work is the DBOS workflow ``workflow_id``.
    """

    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_tenant", "org_id", "livemode", "id"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str | None] = mapped_column(
        sa.String(40), sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), default="running", nullable=False)
    stage: Mapped[str | None] = mapped_column(sa.String(40))
    progress: Mapped[float] = mapped_column(sa.Float, default=0.0, nullable=False)
    subject_id: Mapped[str | None] = mapped_column(sa.String(40))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    workflow_id: Mapped[str | None] = mapped_column(sa.String(80))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
