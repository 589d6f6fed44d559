"""Serves stored media at signed URLs (no API key: the signature is the capability)."""

from __future__ import annotations

import mimetypes
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from layers.kit.errors import NotFound
from layers.kit.settings import get_settings
from layers.kit.storage import get_storage, validate_key, verify_signature

router = APIRouter(tags=["media"])


@router.get("/media/{key:path}", include_in_schema=False)
def serve_media(
    key: str,
    exp: Annotated[int, Query()],
    sig: Annotated[str, Query(max_length=64)],
) -> FileResponse:
    settings = get_settings()
    try:
        validate_key(key)
    except ValueError as exc:
        raise NotFound.of("media", key) from exc
    if not verify_signature(settings, key, exp, sig):
        raise NotFound.of("media", key)
    path = get_storage(settings).path(key)
    if not path.is_file():
        raise NotFound.of("media", key)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(
        path, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"}
    )
