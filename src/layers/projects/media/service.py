"""App media: fetch a partner's URL through the SSRF guard, check it, store it, record it.

The fetch runs before the request's transaction touches the database, so a slow download
never holds a database lock. Live keys fetch through `kit.safe_http`; test keys get real
media made locally (`sandbox`) after the same URL checks, so the quick start works offline.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from PIL import Image
from sqlalchemy.orm import Session

from layers.kit import clock, safe_http
from layers.kit.db import get_database
from layers.kit.errors import NotFound, UnsupportedMediaType
from layers.kit.ids import new_id
from layers.kit.pagination import fetch_page
from layers.kit.repository import TenantRepository, TenantScope
from layers.kit.settings import get_settings
from layers.kit.sniff import EXTENSIONS, UnsafeSvg, check_svg, sniff
from layers.kit.storage import get_storage, signed_url
from layers.models.content import AppMedia
from layers.models.projects import Project
from layers.projects import service as projects
from layers.projects.media import sandbox
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

media_repo = TenantRepository(AppMedia, "med", "app media")


class MediaSource(Protocol):
    """Turns a partner's URL into checked bytes of an allowed type and size."""

    def fetch(self, url: str, kind: str, label: str) -> safe_http.Fetched: ...


class GuardedSource:
    """Live: the real download, through the SSRF guard."""

    def __init__(self, policy: safe_http.FetchPolicy = safe_http.DEFAULT_POLICY) -> None:
        self.policy = policy

    def fetch(self, url: str, kind: str, label: str) -> safe_http.Fetched:
        spec = KINDS[kind]
        return safe_http.fetch(
            url, max_bytes=spec.max_bytes, allowed_types=spec.mime_types, policy=self.policy
        )


class SandboxSource:
    """Test mode: the same URL checks, then deterministic media made here."""

    def __init__(self, policy: safe_http.FetchPolicy = safe_http.DEFAULT_POLICY) -> None:
        self.policy = policy

    def fetch(self, url: str, kind: str, label: str) -> safe_http.Fetched:
        spec = KINDS[kind]
        safe_http.parse_target(url, self.policy)
        data = sandbox.generate(kind, url, label)
        mime = sniff(data[:4096])
        if mime is None or mime not in spec.mime_types:
            raise UnsupportedMediaType(
                f"The file is {mime or 'of an unknown type'}.", url=url, detectedType=mime
            )
        return safe_http.Fetched(url, data, mime, len(data))


SOURCES: dict[bool, MediaSource] = {True: GuardedSource(), False: SandboxSource()}


def source_for(livemode: bool) -> MediaSource:
    return SOURCES[livemode]


def storage_key(project_id: str, media_id: str, mime_type: str) -> str:
    return f"projects/{project_id}/media/{media_id}.{EXTENSIONS[mime_type]}"


def _inspect(fetched: safe_http.Fetched, url: str) -> tuple[int | None, int | None]:
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
    fetched = source_for(tenant.livemode).fetch(body.url, kind, label)
    width, height = _inspect(fetched, body.url)
    media_id = new_id("med")
    key = storage_key(project_id, media_id, fetched.mime_type)
    get_storage(get_settings()).put(key, fetched.content, fetched.mime_type)

    project = _project(session, tenant, project_id)
    now = clock.now()
    if KINDS[kind].replace:
        session.execute(
            sa.update(AppMedia)
            .where(
                AppMedia.project_id == project.id,
                AppMedia.kind == kind,
                AppMedia.deleted_at.is_(None),
            )
            .values(deleted_at=now, updated_at=now)
        )
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
    stmt = sa.select(AppMedia).where(
        AppMedia.project_id == project.id, AppMedia.deleted_at.is_(None)
    )
    if kind:
        stmt = stmt.where(AppMedia.kind == kind)
    rows, next_cursor = fetch_page(session, stmt, AppMedia.id, cursor=cursor, limit=limit)
    return list(rows), next_cursor


def delete(session: Session, tenant: TenantScope, project_id: str, media_id: str) -> AppMedia:
    """Soft delete (idempotent): the row and file stay for what was already rendered."""
    project = _project(session, tenant, project_id)
    media = media_repo.get(session, tenant, media_id)
    if media.project_id != project.id:
        raise NotFound.of("app media", media_id)
    if media.deleted_at is None:
        media.deleted_at = clock.now()
        session.flush()
    return media


def live_media(session: Session, project_id: str) -> dict[str, list[AppMedia]]:
    """The project's current media by kind, oldest first."""
    rows = session.scalars(
        sa.select(AppMedia)
        .where(AppMedia.project_id == project_id, AppMedia.deleted_at.is_(None))
        .order_by(AppMedia.id)
    )
    found: dict[str, list[AppMedia]] = {kind: [] for kind in KINDS}
    for row in rows:
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
