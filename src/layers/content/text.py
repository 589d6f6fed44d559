"""The part of a post's text that no writer writes: the hashtags a writer may choose from.
The writers themselves (hooks, slide text, captions, the choice of tags) are the
`layers.content.writers` capability."""

from __future__ import annotations

from layers.projects.keywords.research import to_hashtag


def hashtags_for(bank: list[str], app_name: str | None, limit: int = 6) -> list[str]:
    """The tags a post may carry: the curated bank's best (`bank` holds only tags at or above
    the curation floor, best first), the brand's own tag first when the bank has it. Never a
    tag from outside the bank: a brand tag the research scored under the floor stays out."""
    tags = list(dict.fromkeys(t for t in bank if t))
    own = to_hashtag(app_name) if app_name else ""
    if own in tags:
        tags.remove(own)
        tags.insert(0, own)
    return tags[:limit]
