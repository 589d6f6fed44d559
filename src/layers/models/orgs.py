from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from layers.kit.db import Base, JSONType, UTCDateTime
from layers.models.base import Timestamps


class Organization(Timestamps, Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    parent_id: Mapped[str | None] = mapped_column(
        sa.String(40), sa.ForeignKey("organizations.id"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default="active", nullable=False)
    credit_balance: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    # The mode a child was created in through the API (a test key makes sandbox children);
    # top-level organizations are live.
    livemode: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    metadata_: Mapped[dict[str, str]] = mapped_column(
        "metadata", JSONType, default=dict, nullable=False
    )
    billing_email: Mapped[str | None] = mapped_column(sa.String(254))
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiKey(Timestamps, Base):
    """An API key. Only an HMAC of the secret is stored; the secret is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    livemode: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    handle: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    secret_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    allowed_return_domains: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    rate_limit_tier: Mapped[str] = mapped_column(sa.String(16), default="standard")
    status: Mapped[str] = mapped_column(sa.String(16), default="active", nullable=False)
    kill_switch: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Rotation: the old key keeps working until `grace_until`, and names its successor.
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_by: Mapped[str | None] = mapped_column(sa.String(40))
