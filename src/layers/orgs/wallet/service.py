"""The wallet: credits, the ledger, generation reservations, allocations, credit config.

How the numbers relate (§20 of the reference; the API's ``balance`` is gross):

* the stored ``balance`` is the sum of the organization's ledger and is never negative;
* ``reserved`` is what running generations hold; it is already out of the stored balance;
* the API shows ``available`` = the stored balance and ``balance`` = available + reserved.

A generation **reserves** its format's credits when it starts (a ``usage`` event, debited with
one conditional UPDATE: no balance or monthly cap can be overdrawn, whatever the concurrency),
**settles** when it completes (the hold is released; nothing moves in the ledger) or is
**refunded** when it fails or is canceled (a ``refund`` event gives the credits back). Test mode
is never charged. With ``unmetered_root_orgs`` set, a top-level organization is not gated:
its usage events are recorded with 0 credits and the estimate in their metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.errors import BillingExhausted, Conflict, NotFound, Validation
from layers.kit.ids import has_prefix, new_id
from layers.kit.settings import get_settings
from layers.models.orgs import Organization
from layers.models.wallet import (
    EVENT_TYPES,
    CreditEvent,
    CreditReservation,
    CreditTransfer,
    CreditWallet,
)
from layers.orgs.wallet import repository

# Defensive upper bounds per generation, in credits (§14/§20 of the reference).
CREDITS_PER_FORMAT = {
    "slideshow-builder": 50,
    "slideshow-remix": 50,
    "video-remix": 120,
    "ugc-remix": 120,
}
ESTIMATED_CREDITS_PER_FORMAT = {
    **{name.replace("-", "_"): credits for name, credits in CREDITS_PER_FORMAT.items()},
    "auto": 120,
}
# Metadata keys the system writes on a transfer; a caller's values for them are overridden.
RESERVED_METADATA = ("direction", "counterpartyOrgId")


def period_start(at: datetime) -> datetime:
    """The usage period: the calendar month (UTC)."""
    return at.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _period_end(start: datetime) -> datetime:
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def wallet(session: Session, org_id: str, *, for_update: bool = False) -> CreditWallet:
    """`org_id`'s wallet (created empty on first use), in the current usage period."""
    start = period_start(clock.now())
    repository.ensure(session, org_id, start)
    repository.roll_period(session, org_id, start)
    found = session.get(CreditWallet, org_id, with_for_update=for_update, populate_existing=True)
    assert found is not None
    return found


@dataclass(frozen=True)
class WalletView:
    """A wallet as read, without writing, in the API's terms: ``balance`` is gross (available
    + reserved), ``available = balance − reserved``. An organization that never had credits
    reads as an empty wallet; a stored period that has ended reads as a fresh one."""

    org_id: str
    balance: int
    reserved: int
    used_this_period: int
    period_start: datetime
    monthly_credit_cap: int | None = None
    refill_threshold: int | None = None
    refill_amount: int | None = None
    auto_refill_enabled: bool = False

    @property
    def available(self) -> int:
        return self.balance - self.reserved

    @property
    def period_end(self) -> datetime:
        return _period_end(self.period_start)


def view(session: Session, org_id: str) -> WalletView:
    start = period_start(clock.now())
    row = session.get(CreditWallet, org_id)
    if row is None:
        return WalletView(org_id, 0, 0, 0, start)
    fresh = row.period_start < start
    return WalletView(
        org_id=org_id,
        balance=row.balance + row.reserved,
        reserved=row.reserved,
        used_this_period=0 if fresh else row.used_this_period,
        period_start=start if fresh else row.period_start,
        monthly_credit_cap=row.monthly_credit_cap,
        refill_threshold=row.refill_threshold,
        refill_amount=row.refill_amount,
        auto_refill_enabled=row.auto_refill_enabled,
    )


def is_metered(org: Organization) -> bool:
    return org.parent_id is not None or not get_settings().unmetered_root_orgs


def _event(
    session: Session,
    org_id: str,
    event_type: str,
    credits: int,
    after: tuple[int, int],
    **fields: Any,
) -> CreditEvent:
    assert event_type in EVENT_TYPES
    event = CreditEvent(
        id=new_id("evt"),
        org_id=org_id,
        event_type=event_type,
        credits=credits,
        balance_after=after[0],
        usage_after_period=after[1],
        meta=fields.pop("meta", None) or {},
        created_at=clock.now(),
        **fields,
    )
    session.add(event)
    session.flush()
    return event


# ---- generations ----------------------------------------------------------------------------


def reserve_generation(
    session: Session,
    *,
    org_id: str,
    livemode: bool,
    content_format: str,
    job_id: str,
    container_id: str,
    project_id: str | None,
) -> None:
    """Hold the format's credits for job `job_id`, or raise 402 BILLING_EXHAUSTED.

    Runs in the caller's transaction, with the job and container it pays for: if that
    transaction rolls back, so does the reservation."""
    if not livemode:
        return  # test mode is never charged
    credits = CREDITS_PER_FORMAT[content_format]
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound.of("organization", org_id)
    metered = is_metered(org)
    current = wallet(session, org_id)
    now = clock.now()
    if metered:
        _auto_refill(session, org, current, credits, job_id)
        after = repository.debit(session, org_id, credits, hold=credits, use=credits, now=now)
        if after is None:
            session.refresh(current)
            capped = (
                current.monthly_credit_cap is not None
                and current.used_this_period + credits > current.monthly_credit_cap
            )
            raise BillingExhausted(
                f"This generation needs {credits} credits; the organization has "
                + (
                    f"used {current.used_this_period} of its monthly cap of "
                    f"{current.monthly_credit_cap}."
                    if capped and current.balance >= credits
                    else f"{current.balance} available."
                ),
                required=credits,
                available=current.balance,
                monthlyCreditCap=current.monthly_credit_cap,
                usedThisPeriod=current.used_this_period,
            )
        charged, meta = -credits, {}
    else:
        after = repository.debit(session, org_id, 0, hold=0, use=credits, now=now)
        assert after is not None  # no condition on a 0-credit debit without a cap check
        charged, meta = 0, {"unmetered": True, "estimatedCredits": credits}
    event = _event(
        session,
        org_id,
        "usage",
        charged,
        after,
        project_id=project_id,
        format=content_format.replace("-", "_"),
        container_id=container_id,
        workflow_id=job_id,
        meta=meta,
    )
    session.add(
        CreditReservation(
            job_id=job_id,
            org_id=org_id,
            credits=credits,
            metered=metered,
            status="held",
            event_id=event.id,
            created_at=now,
        )
    )
    session.flush()


def settle_generation(session: Session, job_id: str) -> None:
    """The generation of `job_id` completed: its held credits are spent (idempotent)."""
    reservation = session.get(CreditReservation, job_id)
    if reservation is None or not repository.end_reservation(
        session, job_id, "settled", clock.now()
    ):
        return
    if reservation.metered:
        repository.credit(
            session, reservation.org_id, 0, release=reservation.credits, unuse=0, now=clock.now()
        )


def refund_generation(session: Session, job_id: str, reason: str) -> None:
    """The generation of `job_id` failed or was canceled: give its credits back (idempotent)."""
    reservation = session.get(CreditReservation, job_id)
    if reservation is None or not repository.end_reservation(
        session, job_id, "refunded", clock.now()
    ):
        return
    held = reservation.credits if reservation.metered else 0
    after = repository.credit(
        session,
        reservation.org_id,
        held,
        release=held,
        unuse=reservation.credits,
        now=clock.now(),
    )
    usage = session.get(CreditEvent, reservation.event_id)
    _event(
        session,
        reservation.org_id,
        "refund",
        held,
        after,
        project_id=usage.project_id if usage else None,
        format=usage.format if usage else None,
        container_id=usage.container_id if usage else None,
        workflow_id=job_id,
        description=f"Generation {reason}; reservation returned.",
        meta={} if reservation.metered else {"unmetered": True},
    )


# ---- operators and parents -------------------------------------------------------------------


def grant(
    session: Session,
    org_id: str,
    credits: int,
    *,
    description: str | None = None,
    event_type: str = "grant",
) -> CreditEvent:
    """Add credits to an organization (an operator's grant, a purchase, an adjustment)."""
    if credits <= 0:
        raise Validation.field("credits", "must be a positive integer")
    if session.get(Organization, org_id) is None:
        raise NotFound.of("organization", org_id)
    wallet(session, org_id)
    after = repository.credit(session, org_id, credits, release=0, unuse=0, now=clock.now())
    return _event(session, org_id, event_type, credits, after, description=description)


def child(
    session: Session, parent_org_id: str, child_id: str, *, livemode: bool = True
) -> Organization:
    """A direct child of `parent_org_id` in the mode `livemode` (credits move between live
    organizations); 404 for anything else (anti-enumeration), 422 for a malformed id."""
    if not has_prefix(child_id, "org"):
        raise Validation.field("orgId", "must be an organization id (org_…)", "id_malformed")
    org = session.get(Organization, child_id)
    if org is None or org.parent_id != parent_org_id or org.livemode != livemode:
        raise NotFound.of("organization", child_id)
    return org


@dataclass(frozen=True)
class Transfer:
    transfer: CreditTransfer
    child_wallet: CreditWallet
    replayed: bool


def allocate(
    session: Session,
    parent_org_id: str,
    child_id: str,
    credits: int,
    *,
    idempotency_key: str,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
) -> Transfer:
    """Move `credits` from the parent's balance to a child's: both ledgers, one transaction.
    The key is unique per parent (a constraint), so no replay or race debits twice."""
    org = child(session, parent_org_id, child_id)
    existing = repository.transfer_by_key(session, parent_org_id, idempotency_key)
    if existing is not None:
        if existing.to_org_id != org.id or existing.credits != credits:
            raise Conflict(
                "This Idempotency-Key was used for another allocation.", transferId=existing.id
            )
        return Transfer(existing, wallet(session, org.id), replayed=True)
    if org.status == "archived":
        raise Conflict(f"Organization {org.id} is archived.", status=org.status)
    transfer = _transfer(
        session, parent_org_id, org.id, credits, idempotency_key, description, metadata or {}
    )
    if transfer is None:
        available = wallet(session, parent_org_id).balance
        raise BillingExhausted(
            f"Allocating {credits} credits needs them available; this organization has "
            f"{available} available.",
            required=credits,
            available=available,
        )
    return Transfer(transfer, wallet(session, org.id), replayed=False)


def _transfer(
    session: Session,
    parent_id: str,
    child_id: str,
    credits: int,
    idempotency_key: str,
    description: str | None,
    metadata: dict[str, str],
    *,
    auto_refill: bool = False,
) -> CreditTransfer | None:
    """Debit the parent (conditionally), credit the child, record both sides; None when the
    parent's balance is short. The parent's row is always locked before the child's."""
    now = clock.now()
    wallet(session, parent_id)
    wallet(session, child_id)
    debited = repository.debit(session, parent_id, credits, hold=0, use=0, now=now)
    if debited is None:
        return None
    credited = repository.credit(session, child_id, credits, release=0, unuse=0, now=now)
    transfer = CreditTransfer(
        id=new_id("txn"),
        from_org_id=parent_id,
        to_org_id=child_id,
        credits=credits,
        description=description,
        meta={
            **metadata,
            "direction": "parent_to_child",
            "counterpartyOrgId": child_id,
            **({"autoRefill": "true"} if auto_refill else {}),
        },
        idempotency_key=idempotency_key,
        created_at=now,
    )
    session.add(transfer)
    common: dict[str, Any] = {"transfer_id": transfer.id, "description": description}
    extra = {"autoRefill": "true"} if auto_refill else {}
    _event(
        session, parent_id, "allocation", -credits, debited,
        meta={**metadata, "direction": "out", "counterpartyOrgId": child_id, **extra}, **common,
    )  # fmt: skip
    _event(
        session, child_id, "allocation", credits, credited,
        meta={**metadata, "direction": "in", "counterpartyOrgId": parent_id, **extra}, **common,
    )  # fmt: skip
    return transfer


def reclaim(session: Session, parent_id: str, child_id: str) -> int:
    """Sweep a child's available credits (not those held by running generations) back to its
    parent, in both ledgers (``allocation`` events, ``direction: child_to_parent``); returns
    how many moved. For archiving a child: call it in the archive's transaction."""
    now = clock.now()
    wallet(session, parent_id)
    current = wallet(session, child_id, for_update=True)
    credits = current.balance
    if credits <= 0:
        return 0
    debited = repository.debit(session, child_id, credits, hold=0, use=0, now=now)
    if debited is None:  # cannot happen under the row lock; never overdraw regardless
        return 0
    credited = repository.credit(session, parent_id, credits, release=0, unuse=0, now=now)
    transfer = CreditTransfer(
        id=new_id("txn"),
        from_org_id=child_id,
        to_org_id=parent_id,
        credits=credits,
        description="Reclaimed when the organization was archived",
        meta={"direction": "child_to_parent", "counterpartyOrgId": parent_id},
        idempotency_key=f"reclaim:{new_id('txn')}",
        created_at=now,
    )
    session.add(transfer)
    common: dict[str, Any] = {"transfer_id": transfer.id, "description": transfer.description}
    _event(
        session, child_id, "allocation", -credits, debited,
        meta={"direction": "out", "counterpartyOrgId": parent_id, "reclaimed": "true"}, **common,
    )  # fmt: skip
    _event(
        session, parent_id, "allocation", credits, credited,
        meta={"direction": "in", "counterpartyOrgId": child_id, "reclaimed": "true"}, **common,
    )  # fmt: skip
    return credits


def _auto_refill(
    session: Session, org: Organization, current: CreditWallet, credits: int, job_id: str
) -> None:
    """A child with auto-refill on: when this reservation would leave it under its threshold,
    its parent tops it up by ``refillAmount`` first (skipped if the parent is short)."""
    if (
        org.parent_id is None
        or not current.auto_refill_enabled
        or current.refill_threshold is None
        or current.refill_amount is None
        or current.balance - credits >= current.refill_threshold
    ):
        return
    _transfer(
        session,
        org.parent_id,
        org.id,
        current.refill_amount,
        f"auto-refill:{job_id}",
        "Auto-refill",
        {},
        auto_refill=True,
    )


def update_config(
    session: Session, parent_org_id: str, child_id: str, changes: dict[str, Any]
) -> CreditWallet:
    """Apply `changes` (snake_case credit-config fields) to a child's wallet."""
    org = child(session, parent_org_id, child_id)
    current = wallet(session, org.id, for_update=True)
    for name, value in changes.items():
        setattr(current, name, value)
    if current.auto_refill_enabled and (
        current.refill_threshold is None or current.refill_amount is None
    ):
        raise Validation.field(
            "autoRefillEnabled", "auto-refill needs refillThreshold and refillAmount"
        )
    session.flush()
    return current


def events(
    session: Session,
    org_id: str,
    *,
    project_id: str | None = None,
    event_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 25,
) -> tuple[list[tuple[CreditEvent, str | None]], str | None]:
    return repository.events_page(
        session,
        org_id,
        project_id=project_id,
        event_type=event_type,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )


def children(session: Session, parent_id: str) -> list[Organization]:
    return repository.children(session, parent_id)


def ledger_sum(session: Session, org_id: str) -> int:
    return repository.ledger_sum(session, org_id)
