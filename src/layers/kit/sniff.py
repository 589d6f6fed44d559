"""Media types from the bytes themselves, never from a header or a file name.

`sniff` needs only the first `SNIFF_BYTES` of a file, so a fetch can refuse a wrong type before
it downloads the rest. `check_svg` refuses SVG that could run script when opened from our origin.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SNIFF_BYTES = 512

EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/svg+xml": "svg",
    "image/heic": "heic",
    "image/gif": "gif",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
}

_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
_SVG_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<svg[\s>]", re.DOTALL)


def sniff(head: bytes) -> str | None:
    """The media type of a file starting with `head`, or None when it is none we know."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML; WebM declares its DocType in the header.
        return "video/webm" if b"webm" in head[:64] else None
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIC_BRANDS:
            return "image/heic"
        if brand == b"qt  ":
            return "video/quicktime"
        return "video/mp4"
    if head[4:8] in _QUICKTIME_ATOMS:
        return "video/quicktime"
    text = head.lstrip(b"\xef\xbb\xbf")
    if _SVG_START.match(text):
        return "image/svg+xml"
    return None


_SVG_FORBIDDEN_TAGS = {"script", "foreignobject", "iframe", "embed", "object", "handler"}


class UnsafeSvg(ValueError):
    pass


def check_svg(data: bytes) -> None:
    """Raise `UnsafeSvg` unless `data` is a self-contained SVG with no script and no
    external references (it is served from our origin, where script would run)."""
    lowered = data.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise UnsafeSvg("SVG with a DOCTYPE or entities is not accepted")
    try:
        root = ET.fromstring(data)  # noqa: S314 (no DOCTYPE, so no entity expansion)
    except ET.ParseError as exc:
        raise UnsafeSvg(f"not well-formed XML: {exc}") from exc
    if _local(root.tag) != "svg":
        raise UnsafeSvg("the root element is not <svg>")
    for element in root.iter():
        if _local(element.tag).lower() in _SVG_FORBIDDEN_TAGS:
            raise UnsafeSvg(f"<{_local(element.tag)}> is not allowed in an SVG logo")
        for name, value in element.attrib.items():
            attr = _local(name).lower()
            if attr.startswith("on"):
                raise UnsafeSvg(f"event handler attribute {attr!r} is not allowed")
            if attr == "href" and not value.strip().startswith(("#", "data:image/")):
                raise UnsafeSvg("external references are not allowed in an SVG logo")
            if "javascript:" in value.lower() or "url(http" in value.lower().replace(" ", ""):
                raise UnsafeSvg("script or external URLs in attributes are not allowed")
        if _local(element.tag).lower() == "style" and element.text:
            style = element.text.lower()
            if "@import" in style or "url(http" in style.replace(" ", ""):
                raise UnsafeSvg("external stylesheets are not allowed")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
