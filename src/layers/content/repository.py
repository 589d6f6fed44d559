"""Content queries that are more than a lookup: container pages, current assets, the actor and
demo video a generation uses, the slot claim, and the state changes a generation makes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit.pagination import fetch_page
from layers.kit.repository import TenantRepository
from layers.models.content import AppMedia, ContainerAsset, ContentContainer
from layers.models.projects import Influencer, ProjectHashtag
from layers.models.publishing import ScheduledPost
from layers.projects.keywords.research import CURATION_FLOOR

containers = TenantRepository(ContentContainer, "cnt", "content")


# ---- reads ---------------------------------------------------------------------------------


def container_page(
    session: Session,
    project_id: str,
    *,
    statuses: list[str],
    formats: list[str],
    cursor: str | None,
    limit: int,
) -> tuple[list[ContentContainer], str | None]:
    stmt = sa.select(ContentContainer).where(ContentContainer.project_id == project_id)
    if statuses:
        stmt = stmt.where(ContentContainer.status.in_(statuses))
    if formats:
        stmt = stmt.where(ContentContainer.format.in_(formats))
    rows, next_cursor = fetch_page(session, stmt, ContentContainer.id, cursor=cursor, limit=limit)
    return list(rows), next_cursor


def assets_of(
    session: Session, containers: list[ContentContainer]
) -> dict[str, list[ContainerAsset]]:
    """Each container's current-generation assets (by role, then position), in one query."""
    found: dict[str, list[ContainerAsset]] = {c.id: [] for c in containers}
    current = [(c.id, c.generation) for c in containers if c.generation >= 1]
    if current:
        rows = session.scalars(
            sa.select(ContainerAsset)
            .where(sa.tuple_(ContainerAsset.container_id, ContainerAsset.generation).in_(current))
            .order_by(ContainerAsset.role, ContainerAsset.position)
        )
        for asset in rows:
            found[asset.container_id].append(asset)
    return found


def oldest_ready_influencer(session: Session, project_id: str) -> Influencer | None:
    return session.scalar(
        sa.select(Influencer)
        .where(
            Influencer.project_id == project_id,
            Influencer.status == "ready",
            Influencer.archived_at.is_(None),
        )
        .order_by(Influencer.id)
        .limit(1)
    )


def demo_video(session: Session, project_id: str, media_id: str | None) -> AppMedia | None:
    """The project's live demo video `media_id`, or without one its oldest."""
    stmt = sa.select(AppMedia).where(
        AppMedia.project_id == project_id,
        AppMedia.kind == "demo-video",
        AppMedia.deleted_at.is_(None),
    )
    if media_id:
        return session.scalar(stmt.where(AppMedia.id == media_id))
    return session.scalar(stmt.order_by(AppMedia.id).limit(1))


def best_hashtags(session: Session, project_id: str, limit: int) -> list[str]:
    """The keyword bank's best hashtags at or above the curation floor, best first."""
    return list(
        session.scalars(
            sa.select(ProjectHashtag.hashtag)
            .where(
                ProjectHashtag.project_id == project_id,
                ProjectHashtag.score >= CURATION_FLOOR,
            )
            .order_by(ProjectHashtag.score.desc(), ProjectHashtag.hashtag)
            .limit(limit)
        )
    )


def caption_history(session: Session, container_id: str, limit: int) -> tuple[int, list[str]]:
    """Where `container_id` sits in its project's feed: how many of the project's containers
    were created before it, and the captions of the latest `limit` of them, newest first.
    (Ids are ULIDs: creation order, fixed when the request is made, so concurrent
    generations still see distinct positions.)"""
    container = session.get(ContentContainer, container_id)
    if container is None:
        return 0, []
    before = sa.and_(
        ContentContainer.project_id == container.project_id,
        ContentContainer.id < container.id,
    )
    position = (
        session.scalar(sa.select(sa.func.count()).select_from(ContentContainer).where(before)) or 0
    )
    captions = session.scalars(
        sa.select(ContentContainer.caption)
        .where(before, ContentContainer.caption.is_not(None))
        .order_by(ContentContainer.id.desc())
        .limit(limit)
    )
    return int(position), [c for c in captions if c]


def remixed_sources(session: Session, project_id: str) -> set[str]:
    """The TikTok ids the project's containers have remixed."""
    rows = session.scalars(
        sa.select(ContentContainer.source_tiktok_id).where(
            ContentContainer.project_id == project_id,
            ContentContainer.source_tiktok_id.is_not(None),
        )
    )
    return {tiktok_id for tiktok_id in rows if tiktok_id}


# ---- state changes -------------------------------------------------------------------------


def claim_slot(session: Session, post_id: str, container_id: str, now: datetime) -> bool:
    """Attach `container_id` to the slot `post_id` if it is still empty; one conditional
    UPDATE, so of two concurrent claims exactly one wins."""
    claimed = session.execute(
        sa.update(ScheduledPost)
        .where(
            ScheduledPost.id == post_id,
            ScheduledPost.status == "pending",
            ScheduledPost.container_id.is_(None),
        )
        .values(container_id=container_id, status="pending_assets", updated_at=now)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def release_posts(
    session: Session, container_id: str, error: dict[str, Any], now: datetime
) -> None:
    """Posts waiting on `container_id`: a layer's slot is emptied, an API post fails."""
    session.execute(
        sa.update(ScheduledPost)
        .where(
            ScheduledPost.container_id == container_id,
            ScheduledPost.status == "pending_assets",
            ScheduledPost.origin == "slot",
        )
        .values(status="pending", container_id=None, updated_at=now)
    )
    session.execute(
        sa.update(ScheduledPost)
        .where(
            ScheduledPost.container_id == container_id,
            ScheduledPost.status == "pending_assets",
        )
        .values(status="failed", last_error=error, updated_at=now)
    )


def posts_ready(session: Session, container_id: str, now: datetime) -> None:
    """Posts waiting on `container_id` have their media."""
    session.execute(
        sa.update(ScheduledPost)
        .where(
            ScheduledPost.container_id == container_id,
            ScheduledPost.status == "pending_assets",
        )
        .values(status="ready", updated_at=now)
    )


def start_processing(session: Session, container_id: str, job_id: str, now: datetime) -> None:
    """A queued container whose job is `job_id` is now processing (idempotent)."""
    session.execute(
        sa.update(ContentContainer)
        .where(
            ContentContainer.id == container_id,
            ContentContainer.job_id == job_id,
            ContentContainer.status == "queued",
        )
        .values(status="processing", updated_at=now)
    )


def record_source(session: Session, container_id: str, tiktok_id: str) -> None:
    """The source a generation picked, unless the container already names one."""
    session.execute(
        sa.update(ContentContainer)
        .where(
            ContentContainer.id == container_id,
            ContentContainer.source_tiktok_id.is_(None),
        )
        .values(source_tiktok_id=tiktok_id)
    )


def complete(
    session: Session,
    container_id: str,
    job_id: str,
    generation: int,
    texts: dict[str, Any],
    now: datetime,
) -> bool:
    """Complete the container with generation `generation` and its texts, if `job_id` is
    still its generation under way; False when it is not (canceled, replaced, done)."""
    updated = session.execute(
        sa.update(ContentContainer)
        .where(
            ContentContainer.id == container_id,
            ContentContainer.job_id == job_id,
            ContentContainer.status.in_(["queued", "processing"]),
        )
        .values(
            status="completed",
            generation=generation,
            hook=texts["hook"],
            caption=texts["caption"],
            hashtags=texts["hashtags"],
            slide_texts=[texts["hook"], *texts["body"], texts["end"]],
            providers=texts.get("providers") or {},
            completed_at=now,
            last_error=None,
            updated_at=now,
        )
    )
    return bool(updated.rowcount)  # type: ignore[attr-defined]


def delete_assets(session: Session, container_id: str, generation: int) -> None:
    session.execute(
        sa.delete(ContainerAsset).where(
            ContainerAsset.container_id == container_id,
            ContainerAsset.generation == generation,
        )
    )
