"""The content review (approval) policy of a project (fact sheet §15, [NEW])."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from layers.kit.db import Base
from layers.models.base import Tenant, Timestamps

REVIEW_POLICIES = ("auto_approve", "review_first_n", "review_all")


class ContentReviewPolicy(Tenant, Timestamps, Base):
    """A project's review policy; no row means ``auto_approve``, never set.

    ``review_first_n`` holds new content for review while fewer than ``first_n`` of the
    project's containers have been decided (approved or rejected): there is no counter to
    drift, the gate counts (the [NEW] semantics).
    """

    __tablename__ = "content_review_policies"

    project_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    policy: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    first_n: Mapped[int | None] = mapped_column(sa.Integer)
    updated_by: Mapped[str | None] = mapped_column(sa.String(64))
