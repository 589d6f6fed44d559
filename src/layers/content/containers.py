"""Reading containers: a container, a project's page of them, and the API's view of one with
its current media (signed URLs; `preview` is null until the first generation completes)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from layers.content import repository
from layers.content.schemas import AssetOut, ContainerOut, ContainerStatus, ContentFormat, Preview
from layers.kit.repository import TenantScope
from layers.kit.settings import get_settings
from layers.kit.storage import signed_url
from layers.models.content import ContainerAsset, ContentContainer
from layers.projects import service as projects

PREVIEW_TTL = 7 * 24 * 3600


def get(session: Session, tenant: TenantScope, container_id: str) -> ContentContainer:
    return repository.containers.get(session, tenant, container_id)


def page(
    session: Session,
    tenant: TenantScope,
    project_id: str,
    *,
    statuses: list[str],
    formats: list[str],
    cursor: str | None,
    limit: int,
) -> tuple[list[ContentContainer], str | None]:
    project = projects.get(session, tenant, project_id)
    return repository.container_page(
        session, project.id, statuses=statuses, formats=formats, cursor=cursor, limit=limit
    )


def current_assets(session: Session, container: ContentContainer) -> list[ContainerAsset]:
    return repository.assets_of(session, [container])[container.id]


def _url(key: str, ttl: int) -> str:
    return signed_url(get_settings(), key, ttl)


def preview_of(
    container: ContentContainer, assets: list[ContainerAsset], ttl: int = PREVIEW_TTL
) -> tuple[Preview | None, list[AssetOut]]:
    slides = sorted((a for a in assets if a.role == "slide"), key=lambda a: a.position)
    videos = [a for a in assets if a.role == "video"]
    thumbs = [a for a in assets if a.role == "thumbnail"]
    if not thumbs or not (slides or videos):
        return None, []
    thumb_url = _url(thumbs[0].storage_key, ttl)
    out: list[AssetOut] = []
    for asset in [*slides, *videos]:
        out.append(
            AssetOut(
                asset_id=asset.id,
                kind="video" if asset.role == "video" else "image",
                url=_url(asset.storage_key, ttl),
                thumbnail_url=thumb_url if asset.role == "video" else None,
                mime_type=asset.mime_type,
                width=asset.width,
                height=asset.height,
                byte_size=asset.byte_size,
                duration_ms=asset.duration_ms,
            )
        )
    if videos:
        clip = out[-1]
        preview = Preview(
            kind="video",
            primary_url=clip.url,
            thumbnail_url=thumb_url,
            image_urls=[],
            video_url=clip.url,
            duration_ms=videos[0].duration_ms,
            aspect_ratio="9:16",
            width=videos[0].width,
            height=videos[0].height,
        )
    else:
        images = [a.url for a in out]
        preview = Preview(
            kind="slideshow",
            primary_url=images[0],
            thumbnail_url=thumb_url,
            image_urls=images,
            video_url=None,
            duration_ms=None,
            aspect_ratio="9:16",
            width=slides[0].width,
            height=slides[0].height,
        )
    return preview, out


def to_outs(session: Session, containers: list[ContentContainer]) -> list[ContainerOut]:
    """`to_out` of each container, with one query for all their assets."""
    assets = repository.assets_of(session, containers)
    return [_out(container, assets[container.id]) for container in containers]


def to_out(session: Session, container: ContentContainer) -> ContainerOut:
    return _out(container, current_assets(session, container))


def _out(container: ContentContainer, current: list[ContainerAsset]) -> ContainerOut:
    preview, assets = preview_of(container, current)
    return ContainerOut(
        id=container.id,
        project_id=container.project_id,
        status=ContainerStatus(container.status),
        format=ContentFormat(container.format),
        creative_type=container.creative_type,
        approval_status=container.approval_status,
        hook=container.hook,
        influencer_id=container.influencer_id,
        social_account_id=container.social_account_id,
        source_tiktok_id=container.source_tiktok_id,
        media_id=container.media_id,
        caption=container.caption,
        hashtags=list(container.hashtags or []),
        first_comment=container.first_comment,
        slide_texts=list(container.slide_texts or []),
        providers=dict(container.providers or {}),
        preview=preview,
        assets=assets,
        job_id=container.job_id,
        generation=container.generation,
        last_error=container.last_error,
        created_at=container.created_at,
        updated_at=container.updated_at,
        completed_at=container.completed_at,
        failed_at=container.failed_at,
        approved_at=container.approved_at,
        approved_by=container.approved_by,
        rejected_at=container.rejected_at,
        rejected_by=container.rejected_by,
        rejection_reason=container.rejection_reason,
        pending_schedule_requests=len(container.pending_schedules or []),
        pending_schedule_promotion=container.schedule_promotion,
    )
