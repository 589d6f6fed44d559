from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from layers.jobs.schemas import JobAccepted
from layers.kit.schemas import NON_BLANK, ApiModel, RequestModel, UtcDateTime


class ContentFormat(StrEnum):
    slideshow_remix = "slideshow-remix"
    video_remix = "video-remix"
    slideshow_builder = "slideshow-builder"
    ugc_remix = "ugc-remix"
    upload = "upload"  # a partner's finished media (creativeType uploaded)


class ContainerStatus(StrEnum):
    queued = "queued"
    processing = "processing"
    completed = "completed"
    failed = "failed"
    canceled = "canceled"


TikTokId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=32,
        pattern=r"^[0-9]+$",
        description="A TikTok post id, from source-recommendations `items[].tiktokId`.",
        examples=["7301234567890123456"],
    ),
]
# Bodies strip surrounding whitespace; these patterns keep the schema honest about it (a
# value of only whitespace is invalid in the schema too, not just after stripping).
ID_PATTERN = r"^[A-Za-z0-9_]+$"
ObjectId = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]
Hook = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        pattern=NON_BLANK,
        description="Used verbatim on the first slide; `\\n` (backslash n) or a line break "
        "separates setup and payoff.",
    ),
]


# At least one of the two actor ids, as a string (null is no actor). The service checks it
# (`resolve_actor`: 422 naming influencerId); this states it in the document.
NEEDS_AN_ACTOR = ConfigDict(
    json_schema_extra={
        "anyOf": [
            {"required": [name], "properties": {name: {"type": "string"}}}
            for name in ("influencerId", "socialAccountId")
        ]
    }
)


class RemixBody(RequestModel):
    """slideshow-remix and video-remix: a source and an actor (at least one of
    influencerId / socialAccountId)."""

    model_config = NEEDS_AN_ACTOR

    tiktok_video_id: TikTokId
    influencer_id: ObjectId | None = None
    social_account_id: ObjectId | None = None


class SlideshowBuilderBody(RequestModel):
    hook: Hook
    influencer_id: ObjectId | None = None
    social_account_id: ObjectId | None = None


class UgcRemixBody(RequestModel):
    """ugc-remix: an actor (at least one of influencerId / socialAccountId), optionally a
    hook and a demo video."""

    model_config = NEEDS_AN_ACTOR

    influencer_id: ObjectId | None = None
    social_account_id: ObjectId | None = None
    hook: Hook | None = None
    media_id: ObjectId | None = Field(
        default=None, description="A demo-video app media id; default: the project's first."
    )


class RegenerateBody(RequestModel):
    hook: Hook | None = Field(
        default=None, description="A new hook (slideshow-builder and ugc-remix)."
    )


class ContentJobAccepted(JobAccepted):
    container_id: str
    container_ids: list[str]


class Preview(ApiModel):
    kind: str  # slideshow | video
    primary_url: str
    thumbnail_url: str
    image_urls: list[str]
    video_url: str | None
    duration_ms: int | None
    aspect_ratio: str
    width: int
    height: int


class AssetOut(ApiModel):
    asset_id: str
    kind: str  # image | video
    url: str
    thumbnail_url: str | None
    mime_type: str
    width: int
    height: int
    byte_size: int
    duration_ms: int | None


class ContainerOut(ApiModel):
    id: str
    project_id: str
    status: ContainerStatus
    format: ContentFormat
    creative_type: str
    approval_status: str
    hook: str | None
    influencer_id: str | None
    social_account_id: str | None
    source_tiktok_id: str | None
    media_id: str | None
    caption: str | None
    hashtags: list[str]
    first_comment: str | None
    slide_texts: list[str]
    providers: dict[str, str] = Field(
        default_factory=dict,
        description="Which provider made each part of the current generation: `text` (the "
        "text writer: `offline-en` is the built-in English writer, used in test mode and when "
        "no text model is configured, whatever the project's language), `hashtags`, and, "
        "for the media, `speech` and `images`.",
    )
    preview: Preview | None
    assets: list[AssetOut]
    job_id: str | None
    generation: int
    last_error: dict[str, Any] | None
    created_at: UtcDateTime
    updated_at: UtcDateTime
    completed_at: UtcDateTime | None
    failed_at: UtcDateTime | None
    approved_at: UtcDateTime | None = None
    approved_by: str | None = None
    rejected_at: UtcDateTime | None = None
    rejected_by: str | None = None
    rejection_reason: str | None = None
    pending_schedule_requests: int = Field(
        default=0,
        description="Schedule requests waiting for approval (promoted when it is approved).",
    )
    pending_schedule_promotion: dict[str, Any] | None = Field(
        default=None,
        description="What became of those requests on approval: `{status: ok|failed, "
        "scheduledPostIds, errors}`.",
    )


class ContainerList(ApiModel):
    items: list[ContainerOut]
    next_cursor: str | None


class HookBank(ApiModel):
    project_id: str
    brand_voice: str
    language: str
    hooks: list[str]
