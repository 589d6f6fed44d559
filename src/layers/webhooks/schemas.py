"""Webhook API models (§21 of the fact sheet)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from layers.kit.schemas import NON_BLANK, ApiModel, RequestModel, UtcDateTime

MetadataValue = Annotated[str, Field(max_length=500)]


class EndpointScope(StrEnum):
    own = "own"
    all_children = "all_children"


class SettableStatus(StrEnum):
    active = "active"
    paused = "paused"


class EndpointStatus(StrEnum):
    active = "active"
    paused = "paused"
    auto_paused = "auto_paused"


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivering = "delivering"
    delivered = "delivered"
    failed = "failed"
    abandoned = "abandoned"


class EndpointCreate(RequestModel):
    url: str = Field(
        min_length=1,
        max_length=2048,
        description="HTTPS; test mode also accepts http://localhost and http://127.0.0.1.",
    )
    events: list[Annotated[str, Field(max_length=64)]] = Field(
        min_length=1, max_length=50, description="Event types from the catalog (1–50)."
    )
    description: str | None = Field(default=None, min_length=1, max_length=500, pattern=NON_BLANK)
    project_id: str | None = Field(
        default=None, max_length=40, description="Only this project's events (org-wide if omitted)."
    )
    metadata: dict[Annotated[str, Field(min_length=1, max_length=40)], MetadataValue] | None = (
        Field(default=None, max_length=20)
    )
    scope: EndpointScope = Field(
        default=EndpointScope.own,
        description="`all_children` (the firehose) also sends the events of every direct "
        "child organization; needs `org:admin`.",
    )


class EndpointUpdate(RequestModel):
    url: str | None = Field(default=None, min_length=1, max_length=2048)
    events: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, min_length=1, max_length=50
    )
    description: str | None = Field(default=None, min_length=1, max_length=500, pattern=NON_BLANK)
    status: SettableStatus | None = Field(
        default=None, description="`active` also resets `consecutiveFailureCount`."
    )
    metadata: dict[Annotated[str, Field(min_length=1, max_length=40)], MetadataValue] | None = (
        Field(
            default=None,
            max_length=20,
            description="Merged per key; an empty value unsets a key; null clears all.",
        )
    )
    scope: EndpointScope | None = None


class EndpointOut(ApiModel):
    id: str
    organization_id: str
    project_id: str | None
    url: str
    description: str | None
    status: EndpointStatus
    events: list[str]
    api_version: str
    scope: EndpointScope
    metadata: dict[str, str]
    livemode: bool
    created_at: UtcDateTime
    updated_at: UtcDateTime
    last_success_at: UtcDateTime | None
    last_failure_at: UtcDateTime | None
    consecutive_failure_count: int


class EndpointCreated(ApiModel):
    endpoint: EndpointOut
    signing_secret: str = Field(description="Shown once: store it now.")


class EndpointList(ApiModel):
    items: list[EndpointOut]
    next_cursor: str | None


class EndpointDeleted(ApiModel):
    id: str
    deleted: bool


class SecretRotated(ApiModel):
    endpoint_id: str
    signing_secret: str
    previous_secret_expires_at: UtcDateTime
    warning: str


class DeliveryOut(ApiModel):
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_retry_at: UtcDateTime | None
    delivered_at: UtcDateTime | None
    abandoned_at: UtcDateTime | None
    last_response_status: int | None
    last_response_at: UtcDateTime | None
    last_error_message: str | None
    replay_of: str | None
    created_at: UtcDateTime


class DeliveryList(ApiModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class TestBody(RequestModel):
    payload: dict[str, Any] | None = Field(
        default=None,
        description="The `data` to send; default `{message, endpointId, organizationId}`.",
    )


class TestSent(ApiModel):
    event_id: str
    delivery_id: str
    scheduled_at: UtcDateTime


class ReplayResult(ApiModel):
    original_delivery_id: str
    replay_delivery_id: str
    scheduled_at: UtcDateTime
