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

from sqlalchemy.orm import Session

from layers.content import containers
from layers.kit.errors import ContentUnavailable
from layers.models.content import ContentContainer
from layers.models.publishing import ScheduledPost
from layers.social.platforms.base import PublishableContent

MEDIA_URL_TTL = 30 * 24 * 3600
TITLE_MAX = 90  # TikTok photo-post titles


def resolve_container(session: Session, post: ScheduledPost) -> PublishableContent:
    """The content of `post`; `ContentUnavailable` when it has no container or no media yet.

    The post's caption and first-comment overrides are applied by the publish protocol.
    """
    container = session.get(ContentContainer, post.container_id or "")
    if container is None:
        raise ContentUnavailable(f"Scheduled post {post.id} has no content.",
                                 scheduledPostId=post.id)  # fmt: skip
    assets = containers.current_assets(session, container)
    preview, _out = containers.preview_of(container, assets, ttl=MEDIA_URL_TTL)
    if preview is None:
        raise ContentUnavailable(
            f"Content {container.id} has no media yet.",
            containerId=container.id,
            status=container.status,
        )
    first_line = (container.hook or "").replace("\\n", " ").replace("\n", " ").strip()
    video = preview.kind == "video"
    return PublishableContent(
        kind="video" if video else "photo",
        media_urls=[preview.primary_url] if video else list(preview.image_urls),
        caption=container.caption or "",
        hashtags=list(container.hashtags or []),
        title=first_line[:TITLE_MAX] or None,
        cover_url=preview.thumbnail_url if video else None,
        duration_ms=preview.duration_ms if video else None,
        first_comment=container.first_comment,
        container_id=container.id,
    )
