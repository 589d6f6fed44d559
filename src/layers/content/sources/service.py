"""Source recommendations (portfolio or live search) and resolving a source for a remix.

Every post a catalog returns is cached in ``content_sources`` (in its own short write
transaction), so a remix finds the exact post the partner saw, keyword and all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from layers.content.sources import repository
from layers.content.sources.schemas import SourceItem, SourceKind, SourceList
from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.errors import SourceNotFound
from layers.kit.settings import get_settings
from layers.kit.storage import signed_url
from layers.models.content import ContentSource
from layers.models.projects import Project
from layers.projects.keywords import research
from layers.sources.base import SourceCatalog, SourcePost
from layers.sources.registry import source_catalog

PORTFOLIO_KEYWORDS = 5


def bank_phrases(session: Session, project_id: str, rows: int) -> list[str]:
    """The distinct phrases of the hashtag bank's best `rows` entries, best first."""
    return repository.bank_phrases(session, project_id, rows)


def brief_phrases(project: Project) -> list[str]:
    """Before research lands: the brief's top phrases, else the project's name."""
    text = research.brief_text(project.app_name, project.app_description, project.tagline)
    if text:
        found = [
            p for p, _ in research.extract_phrases(text, project.primary_language, project.app_name)
        ]
        if found:
            return found[:PORTFOLIO_KEYWORDS]
    return [project.name.lower()]


def portfolio_keywords(session: Session, project: Project) -> list[str]:
    """The hashtag bank's best phrases; before research lands, the brief's top phrases."""
    phrases = bank_phrases(session, project.id, PORTFOLIO_KEYWORDS * 3)
    return phrases[:PORTFOLIO_KEYWORDS] or brief_phrases(project)


def recommendations(
    session: Session, project: Project, *, kind: str, keyword: str | None, limit: int
) -> SourceList:
    mode = "live_search" if keyword else "portfolio"
    keywords = [keyword] if keyword else portfolio_keywords(session, project)
    catalog = source_catalog(project.livemode)
    posts = catalog.search(keywords, kind, limit)
    remember(project.livemode, posts)
    items = [to_item(post, catalog) for post in posts]
    return SourceList(items=items, source=mode, keywords=keywords)


def to_item(post: SourcePost, catalog: SourceCatalog) -> SourceItem:
    media = catalog.media(post, full=False)
    thumbnail = signed_url(get_settings(), media.thumbnail) if media.thumbnail else None
    username = str(post.author.get("username") or "")
    path = "photo" if post.kind == "slideshow" else "video"
    return SourceItem(
        tiktok_id=post.tiktok_id,
        kind=SourceKind(post.kind),
        thumbnail_url=thumbnail,
        caption=post.caption,
        author=post.author,
        stats=post.stats,
        image_count=post.image_count,
        url=f"https://www.tiktok.com/@{username}/{path}/{post.tiktok_id}" if username else None,
    )


def _row(livemode: bool, post: SourcePost) -> dict[str, Any]:
    return {
        "livemode": livemode,
        "tiktok_id": post.tiktok_id,
        "kind": post.kind,
        "caption": post.caption,
        "author": post.author,
        "stats": post.stats,
        "image_count": post.image_count,
        "slide_texts": post.slide_texts,
        "keyword": post.keyword,
        "fetched_at": clock.now(),
    }


def remember(livemode: bool, posts: list[SourcePost]) -> None:
    """Upsert `posts` into the cache, in a write transaction of its own."""
    if not posts:
        return
    rows = {post.tiktok_id: _row(livemode, post) for post in posts}
    with get_database().transaction() as session:
        repository.upsert_sources(session, list(rows.values()))


def _from_row(row: ContentSource) -> SourcePost:
    return SourcePost(
        tiktok_id=row.tiktok_id,
        kind=row.kind,
        caption=row.caption,
        author=row.author,
        stats=row.stats,
        image_count=row.image_count,
        slide_texts=row.slide_texts,
        keyword=row.keyword,
    )


def resolve(livemode: bool, tiktok_id: str, kind: str) -> SourcePost:
    """The source post for a remix of `kind`: from the cache, else from the catalog.

    Runs outside the caller's transaction (a catalog lookup may go to the network).
    """
    with get_database().transaction(write=False) as session:
        row = session.get(ContentSource, (livemode, tiktok_id))
        post = _from_row(row) if row is not None else None
    if post is None:
        post = source_catalog(livemode).lookup(tiktok_id)
        if post is None:
            raise SourceNotFound(
                f"No TikTok source with id '{tiktok_id}'.", field="tiktokVideoId", id=tiktok_id
            )
        remember(livemode, [post])
    if post.kind != kind:
        other = "video-remix" if post.kind == "video" else "slideshow-remix"
        raise SourceNotFound(
            f"TikTok source '{tiktok_id}' is a {post.kind}, not a {kind}; use {other}.",
            field="tiktokVideoId",
            id=tiktok_id,
            kind=post.kind,
        )
    return post


def pick(livemode: bool, keywords: list[str], kind: str, used: set[str]) -> SourcePost:
    """An on-brand source the project has not remixed yet (automatic generation). Call it
    outside any transaction: it may go to the network and writes the cache."""
    posts = source_catalog(livemode).search(keywords, kind, 20)
    remember(livemode, posts)
    for post in posts:
        if post.tiktok_id not in used:
            return post
    if posts:
        return posts[0]
    raise SourceNotFound(f"No {kind} source found for this project.", kind=kind)


def cached(
    session: Session, livemode: bool, tiktok_id: str
) -> tuple[SourceItem, str | None] | None:
    """A source this deployment has already seen (a remix's origin), as the partner saw it,
    with the keyword that found it; None when it is not in the cache. Never goes to the
    network (a catalog's thumbnail is local media, or none)."""
    row = session.get(ContentSource, (livemode, tiktok_id))
    if row is None:
        return None
    return to_item(_from_row(row), source_catalog(livemode)), row.keyword
