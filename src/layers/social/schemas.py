from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from layers.kit.schemas import ApiModel, RequestModel, UtcDateTime


class Platform(StrEnum):
    tiktok = "tiktok"
    instagram = "instagram"


class AccountStatus(StrEnum):
    connected = "connected"
    reauth_required = "reauth_required"
    disconnected = "disconnected"


class PostingMode(StrEnum):
    automatic = "automatic"
    manual = "manual"


# An absolute http(s) URL: a host spelled in URL characters (no user info; an international
# name in its xn-- form), an optional port, then anything. `oauth.check_return_url` adds what a
# pattern cannot say: https unless the host is loopback, and the key's allowed return domains.
RETURN_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9._~%!$&'()*+,;=-]+(:[0-9]*)?([/?#].*)?$"
ReturnUrl = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2048,
        pattern=RETURN_URL_PATTERN,
        description="Where the person lands afterwards, with ?state=…&status=success|error. "
        "An absolute https URL (http only for localhost) whose host is on the API key's "
        "allowed return domains.",
        examples=["https://app.example.com/social/connected"],
    ),
]
Scope = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Scopes = Annotated[list[Scope], Field(min_length=1, max_length=32)]


class OAuthUrlRequest(RequestModel):
    platform: Platform
    return_url: ReturnUrl
    scopes: Scopes | None = Field(
        default=None, description="Defaults to everything publishing needs."
    )
    usage_note: str | None = Field(default=None, max_length=512)


class ReauthUrlRequest(RequestModel):
    social_account_id: str = Field(min_length=1, max_length=40)
    return_url: ReturnUrl
    scopes: Scopes | None = None


class OAuthUrl(ApiModel):
    authorize_url: str
    state: str
    expires_at: UtcDateTime
    platform: str
    project_id: str


class OAuthError(ApiModel):
    code: str
    message: str


class OAuthStatus(ApiModel):
    state: str
    status: str = Field(description="pending | completed | failed")
    platform: str
    project_id: str
    expires_at: UtcDateTime
    social_account_id: str | None
    error: OAuthError | None
    completed_at: UtcDateTime | None


class TokenErrorOut(ApiModel):
    code: str
    message: str
    at: str | None


class SocialAccountOut(ApiModel):
    social_account_id: str
    project_id: str
    platform: str
    handle: str | None
    display_name: str | None
    avatar_url: str | None
    status: str = Field(description="connected | reauth_required | disconnected")
    healthy: bool
    posting_mode: str = Field(
        description="automatic: publish publicly; manual: TikTok drafts inbox, Instagram "
        "pending_manual"
    )
    leased: bool
    token_error: TokenErrorOut | None
    token_expires_at: UtcDateTime | None
    connected_at: UtcDateTime | None
    disconnected_at: UtcDateTime | None
    disconnected_reason: str | None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class SocialAccountList(ApiModel):
    items: list[SocialAccountOut]
    next_cursor: str | None


class SocialAccountUpdate(RequestModel):
    posting_mode: PostingMode | None = None


class SocialAccountDisconnected(ApiModel):
    social_account_id: str
    status: str
    disconnected_reason: str
    canceled_scheduled_posts: int
    disconnected_at: UtcDateTime


class HealthSnapshotOut(ApiModel):
    snapshot_id: str
    taken_at: UtcDateTime
    reason: str
    healthy: bool
    temperature: str
    score: int
    metrics: dict[str, Any]


class AccountHealth(ApiModel):
    social_account_id: str
    platform: str
    status: str
    healthy: bool
    token_error: TokenErrorOut | None
    token_expires_at: UtcDateTime | None
    refresh_token_expires_at: UtcDateTime | None
    temperature: str = Field(description="cold | warm | hot, from the latest snapshot")
    snapshot: HealthSnapshotOut | None
