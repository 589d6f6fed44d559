from __future__ import annotations

from datetime import datetime
from typing import Any

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


class ApiKey(Timestamps, Base):
    """An API key. Only an HMAC of the secret is stored; the secret is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    livemode: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    handle: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    secret_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    allowed_return_domains: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    rate_limit_tier: Mapped[str] = mapped_column(sa.String(16), default="standard")
    status: Mapped[str] = mapped_column(sa.String(16), default="active", nullable=False)
    kill_switch: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotencyRecord(Base):
    """One Idempotency-Key of one organization (and mode), kept 24 hours.

    ``in_flight`` while the first request runs (until ``locked_until``, after which a crashed
    request's key can be taken over: its effects were never committed), then ``completed``
    with the exact response bytes, committed in the same transaction as the effects.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("org_id", "livemode", "key"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    livemode: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    key: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    method: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    path: Mapped[str] = mapped_column(sa.String(512), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    response_status: Mapped[int | None] = mapped_column(sa.Integer)
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    response_body: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
