"""App media queries that are more than a lookup: a project's live media, paged or all, and
retiring the live object of a one-per-project kind."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit.pagination import fetch_page
from layers.kit.repository import TenantRepository
from layers.models.content import AppMedia

media_repo = TenantRepository(AppMedia, "med", "app media")


def media_page(
    session: Session, project_id: str, *, kind: str | None, cursor: str | None, limit: int
) -> tuple[list[AppMedia], str | None]:
    stmt = sa.select(AppMedia).where(
        AppMedia.project_id == project_id, AppMedia.deleted_at.is_(None)
    )
    if kind:
        stmt = stmt.where(AppMedia.kind == kind)
    rows, next_cursor = fetch_page(session, stmt, AppMedia.id, cursor=cursor, limit=limit)
    return list(rows), next_cursor


def live_rows(session: Session, project_id: str) -> list[AppMedia]:
    """The project's media that are not deleted, oldest first."""
    return list(
        session.scalars(
            sa.select(AppMedia)
            .where(AppMedia.project_id == project_id, AppMedia.deleted_at.is_(None))
            .order_by(AppMedia.id)
        )
    )


def retire_kind(session: Session, project_id: str, kind: str, now: datetime) -> None:
    """Soft-delete the project's live media of `kind` (a new one replaces them)."""
    session.execute(
        sa.update(AppMedia)
        .where(
            AppMedia.project_id == project_id,
            AppMedia.kind == kind,
            AppMedia.deleted_at.is_(None),
        )
        .values(deleted_at=now, updated_at=now)
    )
