"""The wallet: one balance row per organization, its append-only credit ledger, the
reservations generations hold, and the transfers (allocations) between a parent and a child.

Invariant: ``credit_wallets.balance`` is the sum of the organization's ``credit_events.credits``
and is never negative (a CHECK, and every debit is a conditional UPDATE). A reservation is
debited when a generation starts (a ``usage`` event) and either settled when it completes or
given back by a ``refund`` event when it fails or is canceled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from layers.kit import clock
from layers.kit.db import Base, JSONType, UTCDateTime

EVENT_TYPES = ("usage", "refund", "grant", "purchase", "adjustment", "allocation")


class CreditWallet(Base):
    """An organization's credits. ``balance`` counts credits neither spent nor held by a running
    generation; ``reserved`` is what running generations hold (already out of ``balance``)."""

    __tablename__ = "credit_wallets"
    __table_args__ = (
        sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
        sa.CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    )

    org_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    balance: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    reserved: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_this_period: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    monthly_credit_cap: Mapped[int | None] = mapped_column(sa.BigInteger)
    refill_threshold: Mapped[int | None] = mapped_column(sa.BigInteger)
    refill_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    auto_refill_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=clock.now, onupdate=clock.now, nullable=False
    )


class CreditEvent(Base):
    """One movement of an organization's balance (append-only; never updated or deleted)."""

    __tablename__ = "credit_events"
    __table_args__ = (sa.Index("ix_credit_events_org_id_id", "org_id", "id"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    event_type: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    credits: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    balance_after: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    usage_after_period: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    project_id: Mapped[str | None] = mapped_column(sa.String(40))
    format: Mapped[str | None] = mapped_column(sa.String(40))
    container_id: Mapped[str | None] = mapped_column(sa.String(40))
    workflow_id: Mapped[str | None] = mapped_column(sa.String(80))
    transfer_id: Mapped[str | None] = mapped_column(sa.String(40))
    description: Mapped[str | None] = mapped_column(sa.String(500))
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)


class CreditReservation(Base):
    """The credits one generation job holds: ``held → settled | refunded`` (each once)."""

    __tablename__ = "credit_reservations"

    job_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    credits: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    metered: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    event_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CreditTransfer(Base):
    """An allocation from a parent's balance to a child's (``txn_…``). The parent's
    Idempotency-Key is unique per parent, so a replay can never debit twice."""

    __tablename__ = "credit_transfers"
    __table_args__ = (sa.UniqueConstraint("from_org_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    from_org_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    to_org_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    credits: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    description: Mapped[str | None] = mapped_column(sa.String(500))
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    idempotency_key: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)


class RateLimitCounter(Base):
    """A fixed-window rate-limit counter shared by API processes on PostgreSQL (see
    `layers.orgs.limits.storage`; unlogged there: losing it in a crash only resets windows).
    ``expires_at`` is epoch seconds of the database clock."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    count: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    expires_at: Mapped[float] = mapped_column(sa.Float, nullable=False)
