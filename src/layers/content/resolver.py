"""What a scheduled post of a container publishes: the seam to the publish protocol.

The publish protocol (``publishing/``) asks a registered resolver, ``fn(session, post)``, for
the content of a post. `resolve_container` is that resolver for generated containers:

* a slideshow publishes as a *photo* post: the slide images, in order (JPEG, 1080×1920);
* a video publishes as a *video* post: the MP4 (H.264, 1080×1920), with its cover image;
* the caption is the target's ``captionOverride`` or the container's caption, followed by
  the container's hashtags; the first comment likewise.

Media URLs are signed and long-lived (`MEDIA_URL_TTL`), since platforms pull them at publish
time, possibly after retries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from layers.content import service
from layers.content.text import full_caption
from layers.kit.errors import Conflict
from layers.models.content import ContentContainer
from layers.models.publishing import ScheduledPost

MEDIA_URL_TTL = 30 * 24 * 3600
TITLE_MAX = 90  # TikTok photo-post titles


@dataclass(frozen=True)
class ContainerPublishable:
    """Mirrors ``publishing.PublishableContent`` field for field (merged at integration)."""

    kind: Literal["photo", "video"]
    media_urls: list[str]
    caption: str
    hashtags: list[str] = field(default_factory=list)
    title: str | None = None
    cover_url: str | None = None
    first_comment: str | None = None
    duration_ms: int | None = None


def resolve_container(session: Session, post: ScheduledPost) -> ContainerPublishable:
    """The content of `post`; `Conflict` when it has no container or no media yet."""
    container = session.get(ContentContainer, post.container_id or "")
    if container is None:
        raise Conflict(f"Scheduled post {post.id} has no content.", scheduledPostId=post.id)
    assets = service.current_assets(session, container)
    preview, _out = service.preview_of(container, assets, ttl=MEDIA_URL_TTL)
    if preview is None:
        raise Conflict(
            f"Content {container.id} has no media yet.",
            containerId=container.id,
            status=container.status,
        )
    hashtags = list(container.hashtags or [])
    caption = full_caption(post.caption_override or container.caption or "", hashtags)
    first_line = (container.hook or "").replace("\\n", " ").replace("\n", " ").strip()
    title = first_line[:TITLE_MAX] or None
    if preview.kind == "video":
        return ContainerPublishable(
            kind="video",
            media_urls=[preview.primary_url],
            caption=caption,
            hashtags=hashtags,
            title=title,
            cover_url=preview.thumbnail_url,
            first_comment=post.first_comment_override or container.first_comment,
            duration_ms=preview.duration_ms,
        )
    return ContainerPublishable(
        kind="photo",
        media_urls=list(preview.image_urls),
        caption=caption,
        hashtags=hashtags,
        title=title,
        cover_url=preview.image_urls[0],
        first_comment=post.first_comment_override or container.first_comment,
    )
