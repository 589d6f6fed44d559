"""App media: fetch a partner's URL, check it, store it, record it.

The fetch runs before the request's transaction touches the database, so a slow download
never holds a database lock. Fetching is the `fetch` capability: live keys download through
`kit.safe_http`'s SSRF guard; test keys get real media made locally after the same URL
checks, so the quick start works offline.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image
from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.errors import NotFound, UnsupportedMediaType
from layers.kit.ids import new_id
from layers.kit.repository import TenantScope
from layers.kit.settings import get_settings
from layers.kit.sniff import EXTENSIONS, UnsafeSvg, check_svg
from layers.kit.storage import get_storage, signed_url
from layers.models.content import AppMedia
from layers.models.projects import Project
from layers.projects import service as projects
from layers.projects.media import repository
from layers.projects.media.fetch.base import Fetched
from layers.projects.media.fetch.registry import media_fetcher
from layers.projects.media.schemas import AppMediaCreate, AppMediaOut, MediaKind

MB = 1024 * 1024
MAX_PIXELS = 60_000_000


@dataclass(frozen=True)
class KindSpec:
    mime_types: frozenset[str]
    max_bytes: int
    replace: bool  # one live object per project (a new one soft-deletes the old)


KINDS: dict[str, KindSpec] = {
    "logo": KindSpec(
        frozenset({"image/png", "image/jpeg", "image/webp", "image/svg+xml"}), 5 * MB, True
    ),
    "screenshot": KindSpec(
        frozenset({"image/png", "image/jpeg", "image/webp", "image/heic"}), 10 * MB, False
    ),
    "demo-video": KindSpec(
        frozenset({"video/mp4", "video/quicktime", "video/webm"}), 200 * MB, False
    ),
    "end-card": KindSpec(frozenset({"image/png", "image/jpeg", "image/webp"}), 5 * MB, True),
}


def storage_key(project_id: str, media_id: str, mime_type: str) -> str:
    return f"projects/{project_id}/media/{media_id}.{EXTENSIONS[mime_type]}"


def _inspect(fetched: Fetched, url: str) -> tuple[int | None, int | None]:
    """Decode what we can: a raster image must open (and not be a decompression bomb), an
    SVG must be safe to serve; videos are checked when they are rendered."""
    if fetched.mime_type == "image/svg+xml":
        try:
            check_svg(fetched.content)
        except UnsafeSvg as exc:
            raise UnsupportedMediaType(f"SVG refused: {exc}", url=url) from exc
        return None, None
    if fetched.mime_type in ("image/png", "image/jpeg", "image/webp"):
        try:
            with Image.open(io.BytesIO(fetched.content)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise UnsupportedMediaType(
                        f"The image is {width}×{height}; at most {MAX_PIXELS} pixels.", url=url
                    )
                image.verify()
        except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
            raise UnsupportedMediaType("The image could not be decoded.", url=url) from exc
        return width, height
    return None, None


def upload(
    session: Session,
    tenant: TenantScope,
    project_id: str,
    body: AppMediaCreate,
) -> AppMedia:
    kind = body.kind.value
    # Read the project in a short transaction of its own: the download happens outside
    # any database transaction.
    with get_database().transaction(write=False) as check:
        project = projects.get(check, tenant, project_id)
        label = project.app_name or project.name
    spec = KINDS[kind]
    fetched = media_fetcher(tenant.livemode).fetch(
        body.url, kind=kind, label=label, allowed_types=spec.mime_types, max_bytes=spec.max_bytes
    )
    width, height = _inspect(fetched, body.url)
    media_id = new_id("med")
    key = storage_key(project_id, media_id, fetched.mime_type)
    get_storage(get_settings()).put(key, fetched.content, fetched.mime_type)

    project = _project(session, tenant, project_id)
    now = clock.now()
    if spec.replace:
        repository.retire_kind(session, project.id, kind, now)
    media = AppMedia(
        id=media_id,
        org_id=project.org_id,
        livemode=project.livemode,
        project_id=project.id,
        kind=kind,
        source_url=body.url,
        storage_key=key,
        mime_type=fetched.mime_type,
        byte_size=fetched.byte_size,
        sha256=hashlib.sha256(fetched.content).hexdigest(),
        width=width,
        height=height,
    )
    session.add(media)
    session.flush()
    return media


def _project(session: Session, tenant: TenantScope, project_id: str) -> Project:
    return projects.get(session, tenant, project_id)


def page(
    session: Session,
    tenant: TenantScope,
    project_id: str,
    *,
    kind: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[AppMedia], str | None]:
    project = _project(session, tenant, project_id)
    return repository.media_page(session, project.id, kind=kind, cursor=cursor, limit=limit)


def delete(session: Session, tenant: TenantScope, project_id: str, media_id: str) -> AppMedia:
    """Soft delete (idempotent): the row and file stay for what was already rendered."""
    project = _project(session, tenant, project_id)
    media = repository.media_repo.get(session, tenant, media_id)
    if media.project_id != project.id:
        raise NotFound.of("app media", media_id)
    if media.deleted_at is None:
        media.deleted_at = clock.now()
        session.flush()
    return media


def live_media(session: Session, project_id: str) -> dict[str, list[AppMedia]]:
    """The project's current media by kind, oldest first."""
    found: dict[str, list[AppMedia]] = {kind: [] for kind in KINDS}
    for row in repository.live_rows(session, project_id):
        found.setdefault(row.kind, []).append(row)
    return found


def to_out(media: AppMedia) -> AppMediaOut:
    return AppMediaOut(
        id=media.id,
        project_id=media.project_id,
        kind=MediaKind(media.kind),
        url=media.source_url,
        mime_type=media.mime_type,
        byte_size=media.byte_size,
        width=media.width,
        height=media.height,
        file_url=signed_url(get_settings(), media.storage_key),
        created_at=media.created_at,
    )
