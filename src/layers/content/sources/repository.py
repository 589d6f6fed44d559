"""Source queries that are more than a lookup: the keyword bank's phrases, and the upsert
that caches what a catalog returned."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from layers.models.content import ContentSource
from layers.models.projects import ProjectHashtag

CACHED_FIELDS = (
    "kind",
    "caption",
    "author",
    "stats",
    "image_count",
    "slide_texts",
    "keyword",
    "fetched_at",
)


def bank_phrases(session: Session, project_id: str, rows: int) -> list[str]:
    """The distinct phrases of the hashtag bank's best `rows` entries, best first."""
    phrases = session.scalars(
        sa.select(ProjectHashtag.phrase)
        .where(ProjectHashtag.project_id == project_id)
        .order_by(ProjectHashtag.score.desc(), ProjectHashtag.hashtag)
        .limit(rows)
    )
    return list(dict.fromkeys(phrases))


def upsert_sources(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` into ``content_sources``, replacing the cached fields of those known."""
    dialect = session.get_bind().dialect.name
    insert: Any = (postgresql if dialect == "postgresql" else sqlite).insert(ContentSource)
    stmt = insert.values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["livemode", "tiktok_id"],
        set_={name: stmt.excluded[name] for name in CACHED_FIELDS},
    )
    session.execute(stmt)
