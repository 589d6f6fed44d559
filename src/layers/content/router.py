"""Content: sources, hooks, the four generation formats, and containers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from layers.content import containers, service
from layers.content.schemas import (
    ContainerList,
    ContainerOut,
    ContainerStatus,
    ContentFormat,
    ContentJobAccepted,
    HookBank,
    RegenerateBody,
    RemixBody,
    SlideshowBuilderBody,
    UgcRemixBody,
)
from layers.content.service import GenerationRequest
from layers.content.sources import service as sources
from layers.content.sources.schemas import SourceList, SourceQueryKind
from layers.kit.http import LayersRouter
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires
from layers.projects import service as projects

router = LayersRouter(prefix="/v1", tags=["content"])

UPSTREAM: dict[int | str, dict[str, Any]] = {
    502: {"description": "A live provider (TikTok, the text model) failed (PLATFORM_ERROR)"},
}


@router.get(
    "/projects/{project_id}/content/source-recommendations",
    dependencies=[requires("content:read")],
    responses=UPSTREAM,
)
def source_recommendations(
    project_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    kind: SourceQueryKind = SourceQueryKind.mixed,
    keyword: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=20)] = 20,
) -> SourceList:
    """TikTok posts to remix. Without `keyword`: the project's portfolio (drawn from its
    hashtag bank); with it: a live keyword search."""
    project = projects.get(session, principal, project_id)
    return sources.recommendations(session, project, kind=kind.value, keyword=keyword, limit=limit)


@router.get(
    "/projects/{project_id}/content/hooks",
    dependencies=[requires("content:read")],
    responses=UPSTREAM,
)
def list_hooks(
    project_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=20)] = 10,
) -> HookBank:
    """Short hooks in the brand's voice; setup and payoff are separated by the two
    characters `\\n`. 422 with `details.missingFields` until appName and appDescription
    are set."""
    return service.hooks(session, principal, project_id, limit)


def _start(
    session: Any, principal: Any, project_id: str, request: GenerationRequest
) -> ContentJobAccepted:
    container, job = service.start(session, principal, project_id, request)
    return service.accepted(container, job)


@router.post(
    "/projects/{project_id}/content/slideshow-remix",
    status_code=202,
    dependencies=[requires("content:write")],
)
def slideshow_remix(
    project_id: str, body: RemixBody, principal: CurrentPrincipal, session: DbSession
) -> ContentJobAccepted:
    """Remix a TikTok slideshow: its slide text adapted to the brand voice, re-rendered with
    the influencer, screenshots and logo."""
    request = GenerationRequest(
        "slideshow-remix",
        influencer_id=body.influencer_id,
        social_account_id=body.social_account_id,
        tiktok_video_id=body.tiktok_video_id,
    )
    return _start(session, principal, project_id, request)


@router.post(
    "/projects/{project_id}/content/video-remix",
    status_code=202,
    dependencies=[requires("content:write")],
)
def video_remix(
    project_id: str, body: RemixBody, principal: CurrentPrincipal, session: DbSession
) -> ContentJobAccepted:
    """Remix a TikTok video into an MP4: the adapted overlay text over the demo video (or the
    source's footage), opened by the influencer and closed by the logo."""
    request = GenerationRequest(
        "video-remix",
        influencer_id=body.influencer_id,
        social_account_id=body.social_account_id,
        tiktok_video_id=body.tiktok_video_id,
    )
    return _start(session, principal, project_id, request)


@router.post(
    "/projects/{project_id}/content/slideshow-builder",
    status_code=202,
    dependencies=[requires("content:write")],
)
def slideshow_builder(
    project_id: str, body: SlideshowBuilderBody, principal: CurrentPrincipal, session: DbSession
) -> ContentJobAccepted:
    """A slideshow from a hook alone (used verbatim on the first slide)."""
    request = GenerationRequest(
        "slideshow-builder",
        influencer_id=body.influencer_id,
        social_account_id=body.social_account_id,
        hook=body.hook,
    )
    return _start(session, principal, project_id, request)


@router.post(
    "/projects/{project_id}/content/ugc-remix",
    status_code=202,
    dependencies=[requires("content:write")],
)
def ugc_remix(
    project_id: str, body: UgcRemixBody, principal: CurrentPrincipal, session: DbSession
) -> ContentJobAccepted:
    """A UGC-style video built on the project's demo video (422 DEMO_VIDEO_REQUIRED when it
    has none)."""
    request = GenerationRequest(
        "ugc-remix",
        influencer_id=body.influencer_id,
        social_account_id=body.social_account_id,
        hook=body.hook,
        media_id=body.media_id,
    )
    return _start(session, principal, project_id, request)


@router.get("/projects/{project_id}/content", dependencies=[requires("content:read")])
def list_content(
    project_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    status: Annotated[list[ContainerStatus] | None, Query()] = None,
    format: Annotated[list[ContentFormat] | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 25,
) -> ContainerList:
    """The project's containers, newest first."""
    rows, next_cursor = containers.page(
        session,
        principal,
        project_id,
        statuses=[s.value for s in status or []],
        formats=[f.value for f in format or []],
        cursor=cursor,
        limit=limit,
    )
    return ContainerList(items=containers.to_outs(session, rows), next_cursor=next_cursor)


@router.get("/content/{container_id}", dependencies=[requires("content:read")])
def get_content(container_id: str, principal: CurrentPrincipal, session: DbSession) -> ContainerOut:
    """A container; safe mid-generation (`preview` is null until the first media exist)."""
    return containers.to_out(session, containers.get(session, principal, container_id))


@router.post(
    "/content/{container_id}/regenerate",
    status_code=202,
    dependencies=[requires("content:write")],
)
def regenerate_content(
    container_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    body: RegenerateBody,
) -> ContentJobAccepted:
    """Render the container again (same id; send `{}` to keep its inputs); 409 while it is
    still generating."""
    container, job = service.regenerate(session, principal, container_id, body.hook)
    return service.accepted(container, job)
