"""Statements over the wallet tables. Every function takes the caller's session and never
commits. Balances move only through the conditional UPDATEs here: a debit names the balance it
needs in its WHERE clause, so concurrent debits serialize on the wallet row (PostgreSQL
re-checks the condition after the lock; SQLite has one writer) and none can overdraw it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from layers.kit.pagination import fetch_page
from layers.models.orgs import Organization
from layers.models.wallet import CreditEvent, CreditReservation, CreditTransfer, CreditWallet

W = CreditWallet


def ensure(session: Session, org_id: str, period_start: datetime) -> None:
    """Create `org_id`'s empty wallet unless it exists (safe against a concurrent creator)."""
    values = {
        "org_id": org_id,
        "balance": 0,
        "reserved": 0,
        "period_start": period_start,
        "used_this_period": 0,
        "auto_refill_enabled": False,
        "updated_at": period_start,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(W).values(**values).on_conflict_do_nothing(index_elements=["org_id"]))


def roll_period(session: Session, org_id: str, period_start: datetime) -> None:
    """Start a new usage period when the stored one is older than `period_start`."""
    session.execute(
        sa.update(W)
        .where(W.org_id == org_id, W.period_start < period_start)
        .values(period_start=period_start, used_this_period=0)
    )


def debit(
    session: Session, org_id: str, credits: int, *, hold: int, use: int, now: datetime
) -> tuple[int, int] | None:
    """Take `credits` from the balance (moving `hold` of them into ``reserved`` and counting
    `use` against the monthly cap) if the balance and the cap allow it, else nothing.
    Returns (balance, used this period) after, or None when refused."""
    cap_ok = sa.or_(
        W.monthly_credit_cap.is_(None), W.used_this_period + use <= W.monthly_credit_cap
    )
    row = session.execute(
        sa.update(W)
        .where(W.org_id == org_id, W.balance >= credits, cap_ok if use else sa.true())
        .values(
            balance=W.balance - credits,
            reserved=W.reserved + hold,
            used_this_period=W.used_this_period + use,
            updated_at=now,
        )
        .returning(W.balance, W.used_this_period)
    ).one_or_none()
    return (int(row[0]), int(row[1])) if row is not None else None


def credit(
    session: Session, org_id: str, credits: int, *, release: int, unuse: int, now: datetime
) -> tuple[int, int]:
    """Add `credits` to the balance, releasing `release` from ``reserved`` and giving `unuse`
    back to the period's usage. Returns (balance, used this period) after."""
    row = session.execute(
        sa.update(W)
        .where(W.org_id == org_id)
        .values(
            balance=W.balance + credits,
            reserved=W.reserved - release,
            used_this_period=W.used_this_period - unuse,
            updated_at=now,
        )
        .returning(W.balance, W.used_this_period)
    ).one()
    return int(row[0]), int(row[1])


def end_reservation(session: Session, job_id: str, status: str, now: datetime) -> bool:
    """``held → status``; False when the reservation is unknown or already ended."""
    result = session.execute(
        sa.update(CreditReservation)
        .where(CreditReservation.job_id == job_id, CreditReservation.status == "held")
        .values(status=status, ended_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def transfer_by_key(session: Session, from_org_id: str, key: str) -> CreditTransfer | None:
    return session.scalar(
        sa.select(CreditTransfer).where(
            CreditTransfer.from_org_id == from_org_id, CreditTransfer.idempotency_key == key
        )
    )


def events_page(
    session: Session,
    org_id: str,
    *,
    project_id: str | None,
    event_type: str | None,
    since: datetime | None,
    until: datetime | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[tuple[CreditEvent, str | None]], str | None]:
    """The ledger newest first, each usage row with its reservation's status."""
    stmt = sa.select(CreditEvent).where(CreditEvent.org_id == org_id)
    if project_id is not None:
        stmt = stmt.where(CreditEvent.project_id == project_id)
    if event_type is not None:
        stmt = stmt.where(CreditEvent.event_type == event_type)
    if since is not None:
        stmt = stmt.where(CreditEvent.created_at >= since)
    if until is not None:
        stmt = stmt.where(CreditEvent.created_at < until)
    rows, next_cursor = fetch_page(session, stmt, CreditEvent.id, cursor=cursor, limit=limit)
    ids = [row.id for row in rows if row.event_type == "usage"]
    statuses: dict[str, str] = {}
    if ids:
        statuses = {
            event_id: status
            for event_id, status in session.execute(
                sa.select(CreditReservation.event_id, CreditReservation.status).where(
                    CreditReservation.event_id.in_(ids)
                )
            )
        }
    return [(row, statuses.get(row.id)) for row in rows], next_cursor


def ledger_sum(session: Session, org_id: str) -> int:
    total: Any = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(CreditEvent.credits), 0)).where(
            CreditEvent.org_id == org_id
        )
    )
    return int(total)


def children(session: Session, parent_id: str) -> list[Organization]:
    """A parent's children that can still receive credits, by name."""
    return list(
        session.scalars(
            sa.select(Organization)
            .where(
                Organization.parent_id == parent_id,
                Organization.status != "archived",
                Organization.livemode.is_(True),
            )
            .order_by(Organization.name, Organization.id)
        )
    )
