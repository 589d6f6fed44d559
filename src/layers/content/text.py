"""The part of a post's text that no writer writes: its hashtags. The writers themselves
(hooks, slide text, captions) are the `layers.content.writers` capability."""

from __future__ import annotations

from layers.projects.keywords.research import to_hashtag


def hashtags_for(bank: list[str], app_name: str | None, limit: int = 5) -> list[str]:
    """Hashtags for a post: the bank's best, plus the brand's own tag."""

    tags = [t for t in bank[:limit] if t]
    own = to_hashtag(app_name) if app_name else ""
    if own and own not in tags:
        tags.append(own)
    return tags
