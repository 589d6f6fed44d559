"""The seam between what a post publishes and how it is published.

The publish protocol does not know content containers. It asks the registered *content
resolver* for a `PublishableContent`: the media the platform pulls (URLs it can fetch
without credentials, e.g. `layers.kit.storage.signed_url`), the caption, hashtags and the
rest. The content pipeline registers the real resolver; tests register their own.

A resolver is ``fn(session, post) -> PublishableContent`` and raises
`layers.kit.errors.ContentUnavailable` when the post has nothing publishable (no container, a
container not finished, media gone). That is a permanent failure for the attempt: the post
moves to ``pending_manual`` and nothing is sent to the platform.

The post's own ``caption_override`` (the whole text: the content's hashtags are not
appended to it) and ``first_comment_override`` win over the resolver's; the protocol applies
them, resolvers need not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from sqlalchemy.orm import Session

from layers.kit.errors import ContentUnavailable, LayersError
from layers.models.publishing import ScheduledPost


@dataclass(frozen=True)
class PublishableContent:
    """What one post publishes.

    * ``kind="photo"``: 1–35 image URLs (TikTok photo post; Instagram image, or a carousel
      of 2–10); ``cover_index`` picks the cover.
    * ``kind="video"``: exactly one video URL (TikTok video; an Instagram Reel);
      ``duration_ms`` is checked against the creator's maximum, ``cover_timestamp_ms``
      picks the TikTok cover frame, ``cover_url`` the Reel cover.

    ``caption`` may already end with the hashtags; `text` appends only those it lacks.
    """

    kind: Literal["photo", "video"]
    media_urls: Sequence[str]
    caption: str = ""
    hashtags: Sequence[str] = ()
    title: str | None = None
    cover_index: int = 0
    cover_timestamp_ms: int | None = None
    cover_url: str | None = None
    duration_ms: int | None = None
    first_comment: str | None = None
    container_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "media_urls", tuple(self.media_urls))
        object.__setattr__(self, "hashtags", tuple(self.hashtags))
        if self.kind not in ("photo", "video"):
            raise ValueError(f"unknown content kind {self.kind!r}")
        if not self.media_urls:
            raise ValueError("content needs at least one media URL")
        if self.kind == "video" and len(self.media_urls) != 1:
            raise ValueError("video content has exactly one media URL")
        if not 0 <= self.cover_index < len(self.media_urls):
            raise ValueError("cover_index is out of range")

    def text(self) -> str:
        """The caption, a blank line, then the hashtags it lacks (each once, with its ``#``)."""
        words = {word.lower() for word in self.caption.split()}
        tags = [
            f"#{tag.lstrip('#')}"
            for tag in self.hashtags
            if tag.strip("#") and f"#{tag.lstrip('#')}".lower() not in words
        ]
        return "\n\n".join(part for part in (self.caption.strip(), " ".join(tags)) if part)


ContentResolver = Callable[[Session, ScheduledPost], Any]

_resolvers: list[ContentResolver] = []


def register_content_resolver(
    resolver: ContentResolver, *, default: bool = False
) -> Callable[[], None]:
    """Install `resolver` (the most recently registered one answers); returns an undo.

    A `default` resolver answers only when no other is registered (the content pipeline's is
    the default; tests and plugins register over it). Registering one again changes nothing.
    """
    if resolver not in _resolvers:
        if default:
            _resolvers.insert(0, resolver)
        else:
            _resolvers.append(resolver)

    def unregister() -> None:
        if resolver in _resolvers:
            _resolvers.remove(resolver)

    return unregister


def resolve(session: Session, post: ScheduledPost) -> PublishableContent:
    """The post's content with its overrides applied, or `ContentUnavailable`."""
    if not _resolvers:
        raise ContentUnavailable(
            "No content resolver is registered: nothing can say what this post publishes.",
            scheduledPostId=post.id,
        )
    try:
        content = coerce(_resolvers[-1](session, post))
    except ContentUnavailable:
        raise
    except (LayersError, ValueError) as exc:
        message = exc.message if isinstance(exc, LayersError) else str(exc)
        raise ContentUnavailable(message, scheduledPostId=post.id) from exc
    if post.caption_override is not None:
        content = replace(content, caption=post.caption_override, hashtags=())
    if post.first_comment_override is not None:
        content = replace(content, first_comment=post.first_comment_override)
    return content


def coerce(value: Any) -> PublishableContent:
    """A `PublishableContent` from a resolver's answer: ours, or any object with the same
    field names (a resolver need not import this module)."""
    if isinstance(value, PublishableContent):
        return value
    names = [f.name for f in fields(PublishableContent)]
    present = {name: getattr(value, name) for name in names if hasattr(value, name)}
    if "kind" not in present or "media_urls" not in present:
        raise ValueError(f"a content resolver returned {type(value).__name__}, not content")
    return PublishableContent(**present)
