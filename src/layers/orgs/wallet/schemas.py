"""The wallet's API shapes (§20 of the reference: `GET /v1/credits`, the ledger, allocation,
credit config)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from layers.kit.schemas import ApiModel, RequestModel, UtcDateTime

EventType = Literal["usage", "refund", "grant", "purchase", "adjustment", "allocation"]


class CurrentPeriod(ApiModel):
    start: UtcDateTime
    end: UtcDateTime
    used_credits: int


class CreditsOut(ApiModel):
    """``balance = includedRemaining + prepaidBalance``; ``available = balance −
    reservedCredits``: what a new generation can reserve."""

    organization_id: str
    balance: int
    available: int
    included_remaining: int
    prepaid_balance: int
    reserved_credits: int
    included_this_period: int
    used_this_period: int
    current_period: CurrentPeriod
    subscription_tier: str
    billing_status: str
    metered: bool
    estimated_credits_per_format: dict[str, int]
    ingest_costs_billed: bool


class CreditEventOut(ApiModel):
    event_id: str
    organization_id: str
    project_id: str | None
    credits: int
    event_type: EventType
    format: str | None
    container_id: str | None
    workflow_id: str | None
    transfer_id: str | None
    description: str | None
    metadata: dict[str, Any]
    reservation_status: Literal["held", "settled", "refunded"] | None = Field(
        description="On a generation's usage row: whether its credits are still held, were "
        "settled (the generation completed) or refunded (it failed or was canceled)."
    )
    balance_after_prepaid: int
    usage_after_period: int
    created_at: UtcDateTime


class CreditEventList(ApiModel):
    items: list[CreditEventOut]
    next_cursor: str | None


class AllocateCredits(RequestModel):
    credits: Annotated[int, Field(gt=0, le=1_000_000_000)]
    description: Annotated[str | None, Field(max_length=500)] = None
    metadata: Annotated[dict[str, Annotated[str, Field(max_length=500)]], Field(max_length=50)] = (
        Field(default_factory=dict)
    )


class CreditTransferOut(ApiModel):
    """A transfer (``txn_…``) from the calling organization to a child."""

    id: str
    created: UtcDateTime
    description: str | None
    metadata: dict[str, Any]
    allocated: int
    balance: int
    available: int
    replayed: bool


class CreditConfigOut(ApiModel):
    organization_id: str
    monthly_credit_cap: int | None
    refill_threshold: int | None
    refill_amount: int | None
    auto_refill_enabled: bool
    balance: int
    available: int


class CreditConfigUpdate(RequestModel):
    """Only the fields sent change; auto-refill is all-or-nothing: ``refillThreshold`` and
    ``refillAmount`` are both set or both null, and enabling it needs both."""

    monthly_credit_cap: Annotated[int | None, Field(ge=0, le=1_000_000_000)] = None
    refill_threshold: Annotated[int | None, Field(ge=0, le=1_000_000_000)] = None
    refill_amount: Annotated[int | None, Field(gt=0, le=1_000_000_000)] = None
    auto_refill_enabled: bool | None = None

    @model_validator(mode="after")
    def _refill_pair(self) -> CreditConfigUpdate:
        sent = self.model_fields_set
        if ("refill_threshold" in sent) != ("refill_amount" in sent) or (
            "refill_threshold" in sent
            and (self.refill_threshold is None) != (self.refill_amount is None)
        ):
            raise ValueError("refillThreshold and refillAmount are set (or cleared) together")
        return self
