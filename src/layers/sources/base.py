"""Source catalogs: where remixable TikTok posts come from. The Protocol and its data types.

Source ids are TikTok's: digit strings (`TIKTOK_ID`). A catalog answers in the post's own
terms (`SourcePost`); its media, when it has any, are storage keys (`SourceMedia`).
Implementations: `tiktok_research` (live), `sandbox` (test mode); `registry` picks one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

TIKTOK_ID = re.compile(r"^\d{1,32}$")


@dataclass(frozen=True)
class SourcePost:
    """A TikTok post as a remix needs it: its words (`slide_texts`, the first one the hook),
    its kind, and what the partner sees when choosing it (caption, author, stats)."""

    tiktok_id: str
    kind: str  # slideshow | video
    caption: str
    author: dict[str, Any]  # username, displayName
    stats: dict[str, int]  # viewCount, likeCount, commentCount, shareCount
    image_count: int | None  # slides of a slideshow; None for a video
    slide_texts: list[str]
    keyword: str | None = None  # the search keyword that found it, when a search did


@dataclass(frozen=True)
class SourceMedia:
    """Storage keys of a source's media (empty when the catalog has none)."""

    thumbnail: str | None = None
    slides: list[str] = field(default_factory=list)
    video: str | None = None


class SourceCatalog(Protocol):
    """TikTok posts worth remixing.

    The contract every implementation keeps:

    * `search` and `lookup` may go to the network: callers make them outside any database
      transaction. A provider failure raises `PlatformError` (502); a live deployment with no
      credentials raises `Unavailable` (503) at the call, never at start-up.
    * The same id always describes the same post (callers cache posts by id).
    * `media` never fails for want of media: a catalog that has none returns an empty
      `SourceMedia`, and remixes render over the brand's own visuals instead.
    """

    def search(self, keywords: list[str], kind: str, limit: int) -> list[SourcePost]:
        """Up to `limit` posts for `keywords`, of `kind` (``slideshow``, ``video`` or
        ``mixed``), the best first."""
        ...

    def lookup(self, tiktok_id: str) -> SourcePost | None:
        """The post with this id, or None when the catalog does not know it."""
        ...

    def media(self, post: SourcePost, *, full: bool) -> SourceMedia:
        """Its media in storage: the thumbnail, and with `full` the slides or the clip."""
        ...
