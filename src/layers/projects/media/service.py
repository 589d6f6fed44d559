"""App media: fetch a partner's URL, check it, store it, record it.

The fetch runs before the request's transaction touches the database, so a slow download
never holds a database lock. Fetching is the `fetch` capability: live keys download through
`kit.safe_http`'s SSRF guard; test keys get real media made locally after the same URL
checks, so the quick start works offline.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image
from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.errors import MediaTooLarge, NotFound, UnsupportedMediaType, Validation
from layers.kit.ids import new_id
from layers.kit.repository import TenantScope
from layers.kit.settings import get_settings
from layers.kit.sniff import EXTENSIONS, SNIFF_BYTES, UnsafeSvg, check_svg, sniff
from layers.kit.storage import get_storage, signed_url
from layers.models.content import AppMedia
from layers.models.projects import Project
from layers.projects import service as projects
from layers.projects.media import repository
from layers.projects.media.fetch.base import Fetched
from layers.projects.media.fetch.registry import media_fetcher
from layers.projects.media.schemas import AppMediaCreate, AppMediaOut, MediaKind
from layers.render import video

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
    SVG must be safe to serve, a video must be readable by ffmpeg; returns the size."""
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
    if fetched.mime_type.startswith("video/"):
        return _video_size(fetched, url)
    return None, None


def _video_size(fetched: Fetched, url: str) -> tuple[int, int]:
    """A video's frame size, read by ffmpeg from its header: a file ffmpeg cannot read is
    refused now rather than when content is rendered from it."""
    suffix = "." + EXTENSIONS.get(fetched.mime_type, "bin")
    with tempfile.NamedTemporaryFile(prefix="layers-media-", suffix=suffix) as tmp:
        tmp.write(fetched.content)
        tmp.flush()
        try:
            info = video.probe(Path(tmp.name))
        except video.RenderError as exc:
            raise UnsupportedMediaType("The video could not be read.", url=url) from exc
    if info.width <= 0 or info.height <= 0:
        raise UnsupportedMediaType("The video has no picture.", url=url)
    return info.width, info.height


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
    return _store(session, tenant, project_id, kind, fetched, body.url)


UPLOAD_SOURCE = "upload:"
"""The ``url`` of an uploaded file: this prefix and the file's name as the person sent it."""


def upload_file(
    session: Session,
    tenant: TenantScope,
    project_id: str,
    *,
    kind: MediaKind,
    filename: str | None,
    stream: BinaryIO,
) -> AppMedia:
    """Store a file sent from the person's disk exactly as a fetched one is stored: the same
    size cap per kind (read at most one byte past it), the type sniffed from the bytes (never
    the browser's ``Content-Type`` or the file's name), the same decoding checks and
    dimensions, the same replace / append rule. Another tenant's project is a 404 before a
    byte of the file is read."""
    _project(session, tenant, project_id)
    spec = KINDS[kind.value]
    name = _clean_name(filename)
    source = UPLOAD_SOURCE + name
    data = stream.read(spec.max_bytes + 1)
    if len(data) > spec.max_bytes:
        raise MediaTooLarge(
            f"The file is larger than the limit of {spec.max_bytes} bytes for a {kind.value}.",
            url=source,
            maxBytes=spec.max_bytes,
        )
    if not data:
        raise Validation.field("file", "the file is empty", "empty_file")
    mime = sniff(data[:SNIFF_BYTES])
    if mime is None or mime not in spec.mime_types:
        allowed = ", ".join(sorted(spec.mime_types))
        raise UnsupportedMediaType(
            f"The file is {mime or 'of an unknown type'}; a {kind.value} must be one of {allowed}.",
            url=source,
            detectedType=mime,
        )
    fetched = Fetched(source, data, mime, len(data))
    return _store(session, tenant, project_id, kind.value, fetched, source)


def _clean_name(filename: str | None) -> str:
    """The last path segment of the name the browser sent, without control characters."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return cleaned[:200] or "file"


def _store(
    session: Session,
    tenant: TenantScope,
    project_id: str,
    kind: str,
    fetched: Fetched,
    source: str,
) -> AppMedia:
    spec = KINDS[kind]
    width, height = _inspect(fetched, source)
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
        source_url=source,
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
