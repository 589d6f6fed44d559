"""Uploaded content: a partner's finished media becomes a container like generated content.

`POST /v1/projects/{id}/content/upload` fetches each URL the way app media is fetched (the
`projects.media.fetch` capability: the SSRF guard for live keys, deterministic local media for
test keys; the type sniffed from the bytes, the size capped while streaming), checks every file
(images decode, videos probe), makes a 360×640 thumbnail, stores the files as they came, and
then, in the request's transaction, writes one ``completed`` container (``creativeType:
uploaded``, ``format: upload``, generation 1) with its assets. All of it or nothing: every
download and check happens before the first row is written.

The container then goes through the same review gate (its approval status follows the
project's policy), scheduling, publish-now and distribution layers as generated content; the
publish resolver hands the stored original to the platform (byte for byte).
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image
from sqlalchemy.orm import Session

from layers.content.review import service as review
from layers.content.uploads.schemas import UploadBody
from layers.events import service as events
from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.errors import Conflict, MediaTooLarge, UnsupportedMediaType, Validation
from layers.kit.ids import has_prefix, new_id
from layers.kit.repository import TenantScope
from layers.kit.settings import get_settings
from layers.kit.sniff import EXTENSIONS
from layers.kit.storage import get_storage
from layers.models.content import ContainerAsset, ContentContainer
from layers.models.social import SocialAccount
from layers.projects import service as projects
from layers.projects.media.fetch.registry import media_fetcher
from layers.render import drawing
from layers.render.video import RenderError, probe, run_ffmpeg

MB = 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
MAX_BYTES = {"image": 30 * MB, "video": 100 * MB}
MAX_PIXELS = 60_000_000
VIDEO_EXTENSIONS = ("mp4", "mov", "m4v", "qt")


@dataclass(frozen=True)
class _File:
    url: str
    data: bytes
    mime_type: str
    width: int
    height: int
    duration_ms: int | None

    @property
    def is_video(self) -> bool:
        return self.mime_type in VIDEO_TYPES


def _sandbox_kind(url: str) -> str:
    """What a test key's fetcher makes for `url` (it makes media instead of downloading):
    a clip for a video file name, else a phone-screen image."""
    name = urlsplit(url).path.rsplit("/", 1)[-1].lower()
    return "demo-video" if name.rsplit(".", 1)[-1] in VIDEO_EXTENSIONS else "screenshot"


def _fetch(url: str, index: int, livemode: bool, label: str) -> _File:
    fetched = media_fetcher(livemode).fetch(
        url,
        kind=_sandbox_kind(url),
        label=label,
        allowed_types=IMAGE_TYPES | VIDEO_TYPES,
        max_bytes=MAX_BYTES["video"],
    )
    video = fetched.mime_type in VIDEO_TYPES
    limit = MAX_BYTES["video" if video else "image"]
    if fetched.byte_size > limit:
        raise MediaTooLarge(
            f"media[{index}]: the image is larger than {limit // MB} MB.",
            url=url,
            maxBytes=limit,
        )
    if video:
        return _probe_video(url, index, fetched.content, fetched.mime_type)
    try:
        with Image.open(io.BytesIO(fetched.content)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise UnsupportedMediaType(
                    f"media[{index}]: the image is {width}×{height}; at most {MAX_PIXELS} pixels.",
                    url=url,
                )
            image.verify()
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        message = f"media[{index}]: the image could not be decoded."
        raise UnsupportedMediaType(message, url=url) from exc
    return _File(url, fetched.content, fetched.mime_type, width, height, None)


def _probe_video(url: str, index: int, data: bytes, mime_type: str) -> _File:
    with tempfile.TemporaryDirectory(prefix="layers-upload-") as tmp:
        path = Path(tmp) / f"in.{EXTENSIONS[mime_type]}"
        path.write_bytes(data)
        try:
            info = probe(path)
        except RenderError as exc:
            raise UnsupportedMediaType(
                f"media[{index}]: the video could not be read.", url=url
            ) from exc
    if info.width <= 0 or info.height <= 0:
        raise UnsupportedMediaType(f"media[{index}]: the video has no picture.", url=url)
    return _File(url, data, mime_type, info.width, info.height, info.duration_ms)


def _thumbnail(first: _File) -> bytes:
    """A 360×640 JPEG of the first image, or of the video's first frame."""
    if not first.is_video:
        image = drawing.open_image(first.data)
        assert image is not None  # decoded by _fetch
        return drawing.thumbnail(image)
    with tempfile.TemporaryDirectory(prefix="layers-upload-") as tmp:
        source = Path(tmp) / f"in.{EXTENSIONS[first.mime_type]}"
        source.write_bytes(first.data)
        frame = Path(tmp) / "frame.png"
        try:
            run_ffmpeg(["-i", str(source), "-frames:v", "1", str(frame)], timeout=60)
        except RenderError as exc:
            message = "media[0]: no frame could be read from the video."
            raise UnsupportedMediaType(message, url=first.url) from exc
        image = drawing.open_image(frame.read_bytes())
    if image is None:
        raise UnsupportedMediaType("media[0]: no frame could be read.", url=first.url)
    return drawing.thumbnail(image)


def _check_shape(files: list[_File]) -> None:
    videos = [i for i, f in enumerate(files) if f.is_video]
    if videos and len(files) > 1:
        raise Validation.field(
            f"media[{videos[0]}].url",
            "a video is uploaded on its own (one video, one image, or 2–10 images)",
            "video_in_slideshow",
        )


def upload(
    session: Session, tenant: TenantScope, project_id: str, body: UploadBody
) -> ContentContainer:
    """Fetch and check every file, store them, then write the container (see the module)."""
    with get_database().transaction(write=False) as check:
        project = projects.get(check, tenant, project_id)
        label = project.app_name or project.name
    files = [_fetch(m.url, i, tenant.livemode, label) for i, m in enumerate(body.media)]
    _check_shape(files)
    thumbnail = _thumbnail(files[0])

    project = projects.get(session, tenant, project_id)
    if project.status != "active":
        raise Conflict(f"Project {project.id} is archived.", projectId=project.id)
    if body.social_account_id is not None:
        _account(session, project.id, body.social_account_id)
    container_id = new_id("cnt")
    storage = get_storage(get_settings())
    prefix = f"content/{container_id}/g1"
    now = clock.now()
    video = files[0].is_video
    container = ContentContainer(
        id=container_id,
        org_id=project.org_id,
        livemode=project.livemode,
        project_id=project.id,
        format="upload",
        status="completed",
        creative_type="uploaded",
        approval_status=review.initial_approval(session, project.id),
        media_kind="video" if video else "slideshow",
        social_account_id=body.social_account_id,
        caption=body.caption,
        hashtags=[],
        first_comment=body.first_comment,
        slide_texts=[],
        generation=1,
        completed_at=now,
    )
    session.add(container)
    session.flush()
    for position, item in enumerate(files):
        key = f"{prefix}/upload-{position + 1:02d}.{EXTENSIONS[item.mime_type]}"
        storage.put(key, item.data, item.mime_type)
        session.add(
            _asset(container_id, "video" if item.is_video else "slide", position, key, item, now)
        )
    thumb_key = f"{prefix}/thumbnail.jpg"
    storage.put(thumb_key, thumbnail, "image/jpeg")
    session.add(
        ContainerAsset(
            id=new_id("ast"),
            container_id=container_id,
            generation=1,
            role="thumbnail",
            position=0,
            storage_key=thumb_key,
            mime_type="image/jpeg",
            width=drawing.THUMB_SIZE[0],
            height=drawing.THUMB_SIZE[1],
            byte_size=len(thumbnail),
            duration_ms=None,
            created_at=now,
        )
    )
    session.flush()
    events.record(
        session,
        "content.generated",
        org_id=container.org_id,
        livemode=container.livemode,
        project_id=container.project_id,
        subject_id=container.id,
        data={
            "id": container.id,
            "projectId": container.project_id,
            "creativeType": "uploaded",
            "approvalStatus": container.approval_status,
            "assets": [
                {"kind": "video" if f.is_video else "image", "mimeType": f.mime_type} for f in files
            ],
        },
    )
    return container


def _asset(
    container_id: str, role: str, position: int, key: str, item: _File, now: datetime
) -> ContainerAsset:
    return ContainerAsset(
        id=new_id("ast"),
        container_id=container_id,
        generation=1,
        role=role,
        position=position,
        storage_key=key,
        mime_type=item.mime_type,
        width=item.width,
        height=item.height,
        byte_size=len(item.data),
        duration_ms=item.duration_ms,
        created_at=now,
    )


def _account(session: Session, project_id: str, account_id: str) -> SocialAccount:
    account = session.get(SocialAccount, account_id) if has_prefix(account_id, "sa") else None
    if account is None or account.project_id != project_id:
        raise Validation.field(
            "socialAccountId", "no social account with this id in the project", "not_found"
        )
    return account
