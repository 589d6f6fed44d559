"""The test-mode fetcher: the same URL checks, then real files of the requested kind, made
here instead of downloaded.

A test key cannot reach the partner's CDN (nor should it), yet everything downstream must see
real media: a PNG/JPEG/WebP logo with the app's initials, a phone-sized screenshot of an app
screen, an H.264 demo video. The bytes depend only on the URL and the app name.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw

from layers.kit import safe_http
from layers.kit.errors import MediaTooLarge, UnsupportedMediaType
from layers.kit.sniff import SNIFF_BYTES, sniff
from layers.render import drawing, video


def _seed(url: str, label: str) -> bytes:
    return hashlib.sha256(f"{url}\x1f{label}".encode()).digest()


def _color(seed: bytes, offset: int) -> tuple[int, int, int]:
    r, g, b = seed[offset : offset + 3]
    # keep colours saturated and mid-dark so white text reads on them
    return (60 + r % 150, 40 + g % 140, 60 + b % 150)


def _encode(image: Image.Image, extension: str) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    if extension in ("jpg", "jpeg"):
        image.convert("RGB").save(buffer, "JPEG", quality=90)
        return buffer.getvalue(), "image/jpeg"
    if extension == "webp":
        image.save(buffer, "WEBP", quality=90)
        return buffer.getvalue(), "image/webp"
    image.save(buffer, "PNG")
    return buffer.getvalue(), "image/png"


def _extension(url: str) -> str:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def logo(url: str, label: str) -> bytes:
    seed = _seed(url, label)
    size = 512
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=112, fill=(*_color(seed, 0), 255))
    draw.ellipse((96, 96, size - 96, size - 96), outline=(255, 255, 255, 90), width=10)
    text = drawing.initials(label)
    face = drawing.font(210)
    width = draw.textlength(text, font=face)
    draw.text(((size - width) / 2, size / 2 - 125), text, font=face, fill=(255, 255, 255, 255))
    if _extension(url) == "svg":
        return _svg_logo(text, _color(seed, 0))
    return _encode(image, _extension(url))[0]


def _svg_logo(text: str, color: tuple[int, int, int]) -> bytes:
    fill = "#{:02x}{:02x}{:02x}".format(*color)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">'
        f'<rect width="512" height="512" rx="112" fill="{fill}"/>'
        '<text x="256" y="330" font-size="210" font-family="sans-serif" font-weight="bold" '
        f'text-anchor="middle" fill="#fff">{escape(text)}</text></svg>'
    ).encode()


def screenshot(url: str, label: str) -> bytes:
    """A 590×1278 phone screen: status bar, app bar, hero card and a list."""
    seed = _seed(url, label)
    width, height = 590, 1278
    accent = _color(seed, 0)
    image = Image.new("RGB", (width, height), (246, 244, 241))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 150), fill=accent)
    draw.text((32, 22), "9:41", font=drawing.font(26), fill=(255, 255, 255))
    draw.text((32, 78), label[:22], font=drawing.font(44), fill=(255, 255, 255))
    draw.rounded_rectangle((28, 190, width - 28, 520), radius=32, fill=_color(seed, 3))
    page = urlsplit(url).path.rsplit("/", 1)[-1].rsplit(".", 1)[0][:20] or "home"
    draw.text((60, 230), page.replace("-", " ").title(), font=drawing.font(40), fill="white")
    draw.text((60, 290), "Next delivery in 3 days", font=drawing.font(28, False), fill="white")
    draw.rounded_rectangle((60, 420, 300, 484), radius=32, fill=(255, 255, 255))
    draw.text((92, 434), "Manage", font=drawing.font(30), fill=accent)
    for row in range(5):
        top = 560 + row * 136
        draw.rounded_rectangle((28, top, width - 28, top + 116), radius=24, fill=(255, 255, 255))
        draw.ellipse((52, top + 22, 124, top + 94), fill=_color(seed, 6 + row))
        draw.rounded_rectangle((148, top + 30, 148 + 200 + seed[row] % 150, top + 52), 10, "#333")
        draw.rounded_rectangle(
            (148, top + 68, 148 + 120 + seed[row + 5] % 120, top + 84), 8, "#aaa"
        )
    return _encode(image, _extension(url))[0]


def demo_video(url: str, label: str) -> bytes:
    """A 4-second 540×960 H.264 clip: moving brand colours with the app name on top."""
    seed = _seed(url, label)
    colors = tuple("#{:02x}{:02x}{:02x}".format(*_color(seed, offset)) for offset in (0, 3, 6))
    with tempfile.TemporaryDirectory(prefix="layers-demo-") as tmp:
        overlay = Path(tmp) / "overlay.png"
        card = Image.new("RGBA", (540, 960), (0, 0, 0, 0))
        palette = drawing.Palette((0, 0, 0), (0, 0, 0), (255, 255, 255))
        drawing.text_panel(card, f"{label}\napp demo", (40, 80, 500, 330), palette=palette)
        card.save(overlay)
        out = Path(tmp) / "demo.mp4"
        video.synthetic_clip(out, seconds=4, colors=colors, overlay=overlay)  # type: ignore[arg-type]
        return out.read_bytes()


def generate(kind: str, url: str, label: str) -> bytes:
    """A file of `kind`; an end-card is drawn like a screenshot."""
    if kind == "logo":
        return logo(url, label)
    if kind == "demo-video":
        return demo_video(url, label)
    return screenshot(url, label)


class SandboxFetcher:
    """Test mode: the guard's URL checks (no network), then deterministic media made here,
    held to the same type and size rules as a download."""

    def __init__(self, policy: safe_http.FetchPolicy = safe_http.DEFAULT_POLICY) -> None:
        self.policy = policy

    def fetch(
        self,
        url: str,
        *,
        kind: str,
        label: str,
        allowed_types: frozenset[str],
        max_bytes: int,
    ) -> safe_http.Fetched:
        safe_http.parse_target(url, self.policy)
        data = generate(kind, url, label)
        mime = sniff(data[:SNIFF_BYTES])
        if mime is None or mime not in allowed_types:
            raise UnsupportedMediaType(
                f"The file is {mime or 'of an unknown type'}.", url=url, detectedType=mime
            )
        if len(data) > max_bytes:
            raise MediaTooLarge(
                f"The file is larger than the limit of {max_bytes} bytes.",
                url=url,
                maxBytes=max_bytes,
            )
        return safe_http.Fetched(url, data, mime, len(data))
