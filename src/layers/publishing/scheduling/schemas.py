from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StrictBool, WithJsonSchema

from layers.kit.schemas import ApiModel, RequestModel, UtcDateTime

# The ISO 8601 forms `scheduledFor` takes, and the list's `since` / `until` bounds too.
DATE_TIME_TEXT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$"

ScheduledFor = Annotated[
    str,
    Field(
        min_length=16,
        max_length=40,
        pattern=DATE_TIME_TEXT,
        description="ISO 8601: UTC with `Z`, an explicit offset (normalised to UTC), or a "
        "wall-clock time with no offset, read in the project's timezone. Must be in the "
        "future (30 s of clock skew tolerated).",
        examples=["2026-05-15T17:00:00Z", "2026-05-15T09:00:00-07:00", "2026-05-15T09:00:00"],
    ),
]


def _date_time_text(value: Any) -> Any:
    """Only ISO 8601 text: Pydantic alone reads a number (`0.5`, `1700000000`) as Unix time."""
    if isinstance(value, str) and re.fullmatch(DATE_TIME_TEXT, value, re.ASCII):
        return value
    raise ValueError("must be an ISO 8601 date-time such as 2026-05-15T17:00:00Z")


TimeBound = Annotated[
    datetime,
    BeforeValidator(_date_time_text),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": DATE_TIME_TEXT}),
]


class TargetMode(StrEnum):
    publish = "publish"
    draft = "draft"
    managed = "managed"


class TikTokPostSettings(RequestModel):
    privacy_level: (
        Literal["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"]
        | None
    ) = None
    disable_comment: StrictBool | None = None
    disable_duet: StrictBool | None = None
    disable_stitch: StrictBool | None = None
    auto_add_music: StrictBool | None = None
    brand_content_toggle: StrictBool | None = None
    brand_organic_toggle: StrictBool | None = None


class ScheduleTarget(RequestModel):
    social_account_id: Annotated[
        str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")
    ]
    mode: TargetMode
    caption_override: Annotated[str | None, Field(max_length=4000)] = None
    first_comment_override: Annotated[str | None, Field(max_length=4000)] = None
    tiktok_post_settings: TikTokPostSettings | None = None
    share_reel_to_feed: StrictBool | None = None


class ScheduleBody(RequestModel):
    scheduled_for: ScheduledFor
    targets: Annotated[list[ScheduleTarget], Field(min_length=1, max_length=50)]


class WarningCode(StrEnum):
    """Why a post will not be (or was not) published as asked (`layers.publishing.rules`)."""

    ACCOUNT_POSTING_MODE_MANUAL = "ACCOUNT_POSTING_MODE_MANUAL"
    DRAFT_UNSUPPORTED = "DRAFT_UNSUPPORTED"


class PostWarning(ApiModel):
    """A post that will not be published publicly at its time, and why."""

    code: WarningCode = Field(
        description="Stable: `ACCOUNT_POSTING_MODE_MANUAL` (the account's posting mode is not "
        "automatic) or `DRAFT_UNSUPPORTED` (a draft on a platform with no drafts inbox)."
    )
    message: str = Field(description="The same in words, for people.")
    outcome: Literal["draft", "pending_manual"] = Field(
        description="What the post becomes instead of published (its internal status): "
        "`draft` (in the creator's drafts inbox) or `pending_manual` (waits for a person)."
    )


class ScheduleWarning(PostWarning):
    scheduled_post_id: str
    social_account_id: str


class ScheduleResult(ApiModel):
    scheduled_post_ids: list[str]
    gate_status: str
    scheduled_for: UtcDateTime
    warnings: list[ScheduleWarning] = Field(
        description="One per post that will not be published publicly at its time (e.g. its "
        "account's posting mode is manual); empty when every post will publish as asked."
    )


class RescheduleBody(RequestModel):
    scheduled_for: ScheduledFor


class PostStatus(StrEnum):
    """The Partner API's view of a scheduled post (`internalStatus` has the full detail)."""

    queued = "queued"
    publishing = "publishing"
    published = "published"
    draft = "draft"
    failed = "failed"
    canceled = "canceled"


class InternalStatus(StrEnum):
    """A scheduled post's internal status (`scheduled_posts.status`)."""

    pending = "pending"
    pending_assets = "pending_assets"
    ready = "ready"
    posting = "posting"
    posted = "posted"
    draft = "draft"
    failed = "failed"
    pending_manual = "pending_manual"
    canceled = "canceled"


class ScheduledPostOut(ApiModel):
    id: str
    project_id: str
    container_id: str | None
    social_account_id: str
    platform: str | None
    mode: str
    status: PostStatus
    internal_status: str
    origin: str
    layer_id: str | None
    scheduled_for: UtcDateTime
    local_time: str | None
    caption_override: str | None
    first_comment_override: str | None
    external_id: str | None
    external_url: str | None
    attempt_count: int
    attempted_at: UtcDateTime | None
    published_at: UtcDateTime | None
    canceled_at: UtcDateTime | None
    last_error: dict[str, Any] | None
    warnings: list[PostWarning] = Field(
        description="Why the post will not be (or was not) published as asked. Before its "
        "first attempt this follows the account's current posting mode; afterwards it is what "
        "publishing recorded (also in `lastError`). Empty when it publishes as asked."
    )
    created_at: UtcDateTime
    updated_at: UtcDateTime


class ScheduledPostList(ApiModel):
    items: list[ScheduledPostOut]
    next_cursor: str | None
