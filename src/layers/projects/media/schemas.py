from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from layers.kit.schemas import ApiModel, RequestModel, UtcDateTime


class MediaKind(StrEnum):
    logo = "logo"
    screenshot = "screenshot"
    demo_video = "demo-video"
    end_card = "end-card"


class AppMediaCreate(RequestModel):
    kind: MediaKind
    url: Annotated[
        str,
        Field(
            min_length=1,
            max_length=2048,
            pattern=r"[^\s\x1c-\x1f\x85]",
            description="A public https URL; Layers fetches it through its SSRF guard.",
            examples=["https://cdn.acmecoffee.com/brand/logo-512.png"],
        ),
    ]


class AppMediaOut(ApiModel):
    id: str
    project_id: str
    kind: MediaKind
    url: str
    mime_type: str
    byte_size: int
    width: int | None
    height: int | None
    file_url: str
    created_at: UtcDateTime


class AppMediaList(ApiModel):
    items: list[AppMediaOut]
    next_cursor: str | None


class AppMediaDeleted(ApiModel):
    id: str
    deleted: bool
    deleted_at: UtcDateTime
