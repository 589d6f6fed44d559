"""Uploaded content's API models (fact sheet §14, the URL-fetch transport)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from layers.content.schemas import ID_PATTERN
from layers.kit.schemas import RequestModel


class UploadMedia(RequestModel):
    url: Annotated[
        str,
        Field(
            min_length=1,
            max_length=2048,
            pattern=r"[^\s\x1c-\x1f\x85]",
            description="A public https URL of the finished file (a signed URL must stay valid "
            "for at least 15 minutes). Fetched through the SSRF guard; the type is read from "
            "the bytes: MP4 or QuickTime video (≤ 100 MB), JPEG, PNG or WebP image (≤ 30 MB).",
            examples=["https://cdn.acmecoffee.com/ugc/launch-reel.mp4"],
        ),
    ]


class UploadBody(RequestModel):
    """One video, one image, or 2–10 images published as a slideshow (in this order), all or
    nothing. Published byte for byte: no crop, transcode or edit."""

    media: Annotated[list[UploadMedia], Field(min_length=1, max_length=10)]
    caption: Annotated[str, Field(max_length=2200, description="May be empty.")]
    first_comment: Annotated[str | None, Field(max_length=2200)] = None
    social_account_id: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=64,
            pattern=ID_PATTERN,
            description="Made for this account only (its distribution layer may take it); "
            "default: any account of the project.",
        ),
    ] = None
