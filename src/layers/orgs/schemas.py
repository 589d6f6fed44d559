from __future__ import annotations

from layers.kit.schemas import ApiModel, UtcDateTime


class WhoAmI(ApiModel):
    organization_id: str
    workspace_id: str
    organization_name: str
    parent_organization_id: str | None
    api_key_id: str
    livemode: bool
    scopes: list[str]
    rate_limit_tier: str
    credit_balance: int


class ApiKeyOut(ApiModel):
    id: str
    organization_id: str
    name: str
    prefix: str
    livemode: bool
    scopes: list[str]
    allowed_return_domains: list[str]
    status: str
    kill_switch: bool
    is_active: bool
    created_at: UtcDateTime
    revoked_at: UtcDateTime | None
    rotated_at: UtcDateTime | None = None
    grace_until: UtcDateTime | None = None
    superseded_by: str | None = None


class KillResult(ApiModel):
    api_key: ApiKeyOut
    killed: bool


class ApiKeyList(ApiModel):
    items: list[ApiKeyOut]
