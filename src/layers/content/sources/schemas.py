from __future__ import annotations

from enum import StrEnum
from typing import Any

from layers.kit.schemas import ApiModel


class SourceKind(StrEnum):
    slideshow = "slideshow"
    video = "video"


class SourceQueryKind(StrEnum):
    slideshow = "slideshow"
    video = "video"
    mixed = "mixed"


class SourceItem(ApiModel):
    tiktok_id: str
    kind: SourceKind
    thumbnail_url: str | None
    caption: str
    author: dict[str, Any]
    stats: dict[str, int]
    image_count: int | None
    url: str | None


class SourceList(ApiModel):
    items: list[SourceItem]
    source: str  # portfolio | live_search
    keywords: list[str]
