"""App media: logo, screenshots, demo videos and end-card, fetched from partner URLs."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Query, UploadFile

from layers.kit.http import LayersRouter, allow_large_bodies
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires
from layers.projects.media import service
from layers.projects.media.schemas import (
    AppMediaCreate,
    AppMediaDeleted,
    AppMediaList,
    AppMediaOut,
    MediaKind,
)

router = LayersRouter(prefix="/v1", tags=["app media"])

UPLOAD_PATH = r"/v1/projects/[^/]+/media/upload"
UPLOAD_BODY_LIMIT = max(spec.max_bytes for spec in service.KINDS.values()) + 64 * 1024
"""A file upload may carry the largest kind's file (a demo video) and its multipart framing."""
allow_large_bodies(UPLOAD_PATH, UPLOAD_BODY_LIMIT)


@router.post(
    "/projects/{project_id}/app-media",
    status_code=201,
    dependencies=[requires("projects:write")],
)
def upload_app_media(
    project_id: str, body: AppMediaCreate, principal: CurrentPrincipal, session: DbSession
) -> AppMediaOut:
    """Fetch `url` through the SSRF guard, check its type and size from the bytes, store it.
    A logo or end-card replaces the previous one; screenshots and demo videos append."""
    return service.to_out(service.upload(session, principal, project_id, body))


@router.post(
    "/projects/{project_id}/media/upload",
    status_code=201,
    dependencies=[requires("projects:write")],
)
def upload_app_media_file(
    project_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    kind: Annotated[MediaKind, Form(description="logo | screenshot | demo-video | end-card")],
    file: Annotated[UploadFile, File(description="The file, sent as multipart/form-data.")],
) -> AppMediaOut:
    """Upload a file from disk (``multipart/form-data``: ``kind`` and ``file``), stored exactly
    as a fetched URL is: the same size cap per kind, the type sniffed from the bytes (never the
    part's ``Content-Type`` or name), dimensions read, logo and end-card replacing the previous
    one. The asset's ``url`` is ``upload:`` and the file's name."""
    media = service.upload_file(
        session, principal, project_id, kind=kind, filename=file.filename, stream=file.file
    )
    return service.to_out(media)


@router.get("/projects/{project_id}/app-media", dependencies=[requires("projects:read")])
def list_app_media(
    project_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    kind: MediaKind | None = None,
    cursor: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> AppMediaList:
    rows, next_cursor = service.page(
        session,
        principal,
        project_id,
        kind=kind.value if kind else None,
        cursor=cursor,
        limit=limit,
    )
    return AppMediaList(items=[service.to_out(m) for m in rows], next_cursor=next_cursor)


@router.delete(
    "/projects/{project_id}/app-media/{media_id}", dependencies=[requires("projects:write")]
)
def delete_app_media(
    project_id: str, media_id: str, principal: CurrentPrincipal, session: DbSession
) -> AppMediaDeleted:
    """Remove the asset from the project's media (idempotent). Content already rendered
    with it keeps its own copy."""
    media = service.delete(session, principal, project_id, media_id)
    assert media.deleted_at is not None
    return AppMediaDeleted(id=media.id, deleted=True, deleted_at=media.deleted_at)
