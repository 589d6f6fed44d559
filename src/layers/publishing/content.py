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

from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

from sqlalchemy.orm import Session

from layers.kit.errors import ContentUnavailable, LayersError
from layers.models.publishing import ScheduledPost
from layers.social.platforms.base import PublishableContent

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


__all__ = [
    "ContentResolver",
    "PublishableContent",
    "coerce",
    "register_content_resolver",
    "resolve",
]
