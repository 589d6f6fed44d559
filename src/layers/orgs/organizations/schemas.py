from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, field_validator

from layers.kit.schemas import ApiModel, RequestModel, UtcDateTime, text

METADATA_MAX_KEYS = 50
METADATA_KEY_MAX = 40
METADATA_VALUE_MAX = 500
METADATA_MAX_BYTES = 16 * 1024

EmailField = Annotated[
    str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]


class OrganizationStatus(StrEnum):
    active = "active"
    suspended = "suspended"
    archived = "archived"


class KeyEnv(StrEnum):
    live = "live"
    test = "test"


def check_metadata(value: dict[str, str] | None, *, allow_empty_values: bool) -> None:
    """Stripe-style metadata: string → string, keys ≤ 40, values ≤ 500, ≤ 50 keys, 16 KB."""
    if value is None:
        return
    if len(value) > METADATA_MAX_KEYS:
        raise ValueError(f"at most {METADATA_MAX_KEYS} keys")
    size = 0
    for key, item in value.items():
        if not 1 <= len(key) <= METADATA_KEY_MAX:
            raise ValueError(f"keys must be 1–{METADATA_KEY_MAX} characters")
        if len(item) > METADATA_VALUE_MAX or (not item and not allow_empty_values):
            raise ValueError(f"values must be 1–{METADATA_VALUE_MAX} characters")
        size += len(key.encode()) + len(item.encode())
    if size > METADATA_MAX_BYTES:
        raise ValueError("metadata is limited to 16 KB")


class OrganizationCreate(RequestModel):
    name: str = text(1, 128)
    metadata: dict[str, str] | None = None
    billing_email: EmailField | None = None

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        check_metadata(value, allow_empty_values=False)
        return value


class OrganizationUpdate(RequestModel):
    """At least one field. ``metadata`` merges per key (an empty value removes the key; null
    clears them all); ``billingEmail: null`` clears it."""

    name: Annotated[str, text(1, 128)] | None = None
    metadata: dict[str, str] | None = None
    billing_email: EmailField | None = None

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        check_metadata(value, allow_empty_values=True)
        return value


class ProjectSummary(ApiModel):
    total: int
    active: int
    archived: int


class CreditSummary(ApiModel):
    """The wallet's figures for the organization (see `service.credit_summary`)."""

    balance: int
    available: int
    reserved_credits: int


class OrganizationOut(ApiModel):
    id: str
    parent_organization_id: str | None
    name: str
    status: OrganizationStatus
    livemode: bool
    metadata: dict[str, str]
    billing_email: str | None
    suspended_at: UtcDateTime | None
    archived_at: UtcDateTime | None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class OrganizationDetail(OrganizationOut):
    projects: ProjectSummary
    credits: CreditSummary
    api_keys: int


class OrganizationList(ApiModel):
    items: list[OrganizationOut]
    next_cursor: str | None


class OrganizationArchived(ApiModel):
    id: str
    status: OrganizationStatus
    archived_at: UtcDateTime
    reclaimed_credits: int
    revoked_api_keys: int


class ApiKeyCreate(RequestModel):
    name: str = text(1, 120)
    scopes: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=64
    )
    env: KeyEnv | None = None


class ApiKeyView(ApiModel):
    """A key as lists show it: never the secret or its hash."""

    id: str
    organization_id: str
    name: str
    prefix: str
    env: KeyEnv
    livemode: bool
    scopes: list[str]
    rate_limit_tier: str
    status: str
    kill_switch: bool
    created_at: UtcDateTime
    last_used_at: UtcDateTime | None
    rotated_at: UtcDateTime | None
    revoked_at: UtcDateTime | None
    grace_until: UtcDateTime | None
    superseded_by: str | None


class ApiKeyMinted(ApiKeyView):
    """The new key with its secret: ``key`` is shown this once (an idempotent replay of the
    same request returns it again, from the encrypted replay store)."""

    key: str


class ApiKeyRotated(ApiModel):
    api_key: ApiKeyMinted
    previous: ApiKeyView


class ApiKeyPage(ApiModel):
    items: list[ApiKeyView]
    next_cursor: str | None


def metadata_of(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in dict(value or {}).items()}
