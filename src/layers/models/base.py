"""Columns shared by aggregates."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from layers.kit import clock
from layers.kit.db import UTCDateTime


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=clock.now, onupdate=clock.now, nullable=False
    )


class Tenant:
    """Every tenant-owned row: its organization and whether it is test-mode data.

    A test key (``lp_test_``) sees only ``livemode = false`` rows and a live key only
    ``livemode = true`` ones; the two never mix.
    """

    @declared_attr
    def org_id(cls) -> Mapped[str]:  # noqa: N805 (declared_attr receives the class)
        return mapped_column(
            sa.String(40), sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
        )

    livemode: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
