"""The wallet's API shapes, built from the service's rows and views."""

from __future__ import annotations

from sqlalchemy.orm import Session

from layers.models.orgs import Organization
from layers.models.wallet import CreditEvent
from layers.orgs.wallet.schemas import (
    CreditConfigOut,
    CreditEventOut,
    CreditsOut,
    CreditTransferOut,
    CurrentPeriod,
)
from layers.orgs.wallet.service import ESTIMATED_CREDITS_PER_FORMAT, Transfer, is_metered, view


def credits_out(session: Session, org: Organization) -> CreditsOut:
    current = view(session, org.id)
    return CreditsOut(
        organization_id=org.id,
        balance=current.balance,
        available=current.available,
        included_remaining=0,
        prepaid_balance=current.balance,
        reserved_credits=current.reserved,
        included_this_period=0,
        used_this_period=current.used_this_period,
        current_period=CurrentPeriod(
            start=current.period_start,
            end=current.period_end,
            used_credits=current.used_this_period,
        ),
        subscription_tier="self_hosted",
        billing_status="active",
        metered=is_metered(org),
        estimated_credits_per_format=ESTIMATED_CREDITS_PER_FORMAT,
        ingest_costs_billed=False,
    )


def event_out(event: CreditEvent, reservation_status: str | None) -> CreditEventOut:
    return CreditEventOut.model_validate(
        {
            "event_id": event.id,
            "organization_id": event.org_id,
            "project_id": event.project_id,
            "credits": event.credits,
            "event_type": event.event_type,
            "format": event.format,
            "container_id": event.container_id,
            "workflow_id": event.workflow_id,
            "transfer_id": event.transfer_id,
            "description": event.description,
            "metadata": event.meta,
            "reservation_status": reservation_status,
            "balance_after_prepaid": event.balance_after,
            "usage_after_period": event.usage_after_period,
            "created_at": event.created_at,
        }
    )


def config_out(session: Session, org_id: str) -> CreditConfigOut:
    current = view(session, org_id)
    return CreditConfigOut(
        organization_id=org_id,
        monthly_credit_cap=current.monthly_credit_cap,
        refill_threshold=current.refill_threshold,
        refill_amount=current.refill_amount,
        auto_refill_enabled=current.auto_refill_enabled,
        balance=current.balance,
        available=current.available,
    )


def transfer_out(result: Transfer) -> CreditTransferOut:
    child_wallet = result.child_wallet
    return CreditTransferOut(
        id=result.transfer.id,
        created=result.transfer.created_at,
        description=result.transfer.description,
        metadata=result.transfer.meta,
        allocated=result.transfer.credits,
        balance=child_wallet.balance + child_wallet.reserved,
        available=child_wallet.balance,
        replayed=result.replayed,
    )
