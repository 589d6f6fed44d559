"""Review queries: the project's policy row, what the first-N gate counts, the queue."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit.pagination import fetch_page
from layers.models.content import ContentContainer
from layers.models.review import ContentReviewPolicy

DECIDED = ("approved", "rejected")


def policy_of(session: Session, project_id: str) -> ContentReviewPolicy | None:
    return session.get(ContentReviewPolicy, project_id)


def approval_counts(session: Session, project_id: str) -> dict[str, int]:
    """How many of the project's containers are in each approval status."""
    rows = session.execute(
        sa.select(ContentContainer.approval_status, sa.func.count())
        .where(ContentContainer.project_id == project_id)
        .group_by(ContentContainer.approval_status)
    ).all()
    return {str(status): int(count) for status, count in rows}


def decided_count(session: Session, project_id: str) -> int:
    """How many of the project's containers a reviewer approved or rejected."""
    return int(
        session.scalar(
            sa.select(sa.func.count()).where(
                ContentContainer.project_id == project_id,
                ContentContainer.approval_status.in_(DECIDED),
            )
        )
        or 0
    )


def pending_page(
    session: Session, project_id: str, *, cursor: str | None, limit: int
) -> tuple[list[ContentContainer], str | None]:
    """The project's containers waiting for review, oldest first (a queue)."""
    stmt = sa.select(ContentContainer).where(
        ContentContainer.project_id == project_id,
        ContentContainer.approval_status == "pending",
        ContentContainer.status != "canceled",
    )
    rows, next_cursor = fetch_page(
        session, stmt, ContentContainer.id, cursor=cursor, limit=limit, ascending=True
    )
    return list(rows), next_cursor
