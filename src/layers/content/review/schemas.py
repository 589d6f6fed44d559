"""The review gate's API models (fact sheet §15, [NEW])."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictInt

from layers.content.schemas import ContainerOut
from layers.kit.schemas import ApiModel, RequestModel, UtcDateTime, text


class ReviewPolicy(StrEnum):
    auto_approve = "auto_approve"
    review_first_n = "review_first_n"
    review_all = "review_all"


class ReviewPolicyOut(ApiModel):
    project_id: str
    policy: ReviewPolicy
    first_n: int | None = Field(description="Set for `review_first_n` only (1–50).")
    pending_count: int = Field(description="How many of the project's containers wait for review.")
    decided_count: int = Field(
        description="How many have been approved or rejected (what `review_first_n` counts)."
    )
    requires_review: bool = Field(description="Whether content created now starts `pending`.")
    updated_at: UtcDateTime | None = Field(
        description="Null when the policy was never set (the default, `auto_approve`)."
    )
    updated_by: str | None


class ReviewPolicyPatch(RequestModel):
    """`firstN` is required with `review_first_n` and refused with the other policies."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"policy": {"const": "review_first_n"}}},
            "then": {"required": ["firstN"]},
        }
    )

    policy: ReviewPolicy
    first_n: Annotated[StrictInt, Field(ge=1, le=50)] | None = None


class ApproveBody(RequestModel):
    note: Annotated[str, text(1, 1024)] | None = None


class RejectBody(RequestModel):
    reason: Annotated[str, text(1, 1024)]


class SchedulePromotion(ApiModel):
    """What became of the schedule requests made while the container was pending."""

    status: Literal["ok", "failed"]
    scheduled_post_ids: list[str]
    errors: list[dict[str, Any]] = Field(
        description="One per stashed request that could not be scheduled (code, message)."
    )


class ApprovalOut(ApiModel):
    id: str
    approval_status: str
    approved_at: UtcDateTime
    approved_by: str
    note: str | None
    pending_schedule_promotion: SchedulePromotion | None = Field(
        description="Present when schedule requests were waiting for this approval."
    )


class RejectionOut(ApiModel):
    id: str
    approval_status: str
    rejected_at: UtcDateTime
    rejected_by: str
    reason: str
    discarded_schedule_requests: int = Field(
        description="Schedule requests that were waiting for approval and are dropped."
    )


class ReviewQueue(ApiModel):
    items: list[ContainerOut]
    next_cursor: str | None
