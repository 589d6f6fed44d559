"""Drawing primitives shared by every renderer: fonts, palettes, gradients, text layout."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
RGB = tuple[int, int, int]

WIDTH, HEIGHT = 1080, 1920
THUMB_SIZE = (360, 640)

# Pillow finds these by file name in the system font directories; without them it falls
# back to its own bundled font (one weight).
_FONT_FILES = {
    True: ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"),
    False: ("DejaVuSans.ttf", "LiberationSans-Regular.ttf"),
}


@lru_cache(maxsize=128)
def font(size: int, bold: bool = True) -> Font:
    for name in _FONT_FILES[bold]:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


# Characters our fonts cannot draw (emoji, pictographs) are dropped from rendered text only.
_UNDRAWABLE = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0000fe0f\U0000200d\U0001f1e6-\U0001f1ff]"
)


def drawable(text: str) -> str:
    return re.sub(r"[ \t]+", " ", _UNDRAWABLE.sub("", text)).strip()


@dataclass(frozen=True)
class Palette:
    top: RGB
    bottom: RGB
    accent: RGB
    ink: RGB = (255, 255, 255)


_VOICE_PALETTES: dict[str, tuple[str, str, str]] = {
    "authentic": ("#2d3a3a", "#0f1414", "#f2b134"),
    "witty": ("#5b2a86", "#1d0b33", "#ffd23f"),
    "professional": ("#1f3b64", "#0a1426", "#4cc9f0"),
    "warm": ("#7a3e1d", "#2b1208", "#ffb86b"),
    "casual": ("#1f6f5c", "#0b2620", "#ffe066"),
    "educational": ("#264653", "#0e1c22", "#e9c46a"),
}


def hex_rgb(value: str) -> RGB:
    value = value.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def palette_for(brand_voice: str, seed: str) -> Palette:
    """The brand voice's palette, its hue nudged by `seed` so two brands do not look alike."""
    top, bottom, accent = _VOICE_PALETTES.get(brand_voice, _VOICE_PALETTES["authentic"])
    shift = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:1], "big") % 24 - 12

    def nudge(color: RGB) -> RGB:
        r, g, b = color
        return (max(0, min(255, r + shift)), g, max(0, min(255, b - shift)))

    return Palette(nudge(hex_rgb(top)), nudge(hex_rgb(bottom)), hex_rgb(accent))


def gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale and centre-crop `image` to exactly `size`."""
    return ImageOps.fit(image.convert("RGB"), size, Image.Resampling.LANCZOS)


def contain(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale `image` to fit inside `size`, keeping its aspect ratio (and alpha)."""
    copy = image.copy()
    copy.thumbnail(size, Image.Resampling.LANCZOS)
    return copy


def backdrop(image: Image.Image, darken: float = 0.45) -> Image.Image:
    """A full-frame, blurred and darkened version of `image`, for text to sit on."""
    small = cover(image, (WIDTH // 8, HEIGHT // 8)).filter(ImageFilter.GaussianBlur(6))
    big = small.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)
    return Image.blend(big, Image.new("RGB", big.size, (0, 0, 0)), darken)


def wrap(draw: ImageDraw.ImageDraw, text: str, face: Font, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split()
        if not words:
            lines.append("")
            continue
        line = words[0]
        for word in words[1:]:
            candidate = f"{line} {word}"
            if draw.textlength(candidate, font=face) <= width:
                line = candidate
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def fit_text(
    draw: ImageDraw.ImageDraw,
    text: str,
    box: tuple[int, int],
    *,
    max_size: int = 92,
    min_size: int = 36,
    bold: bool = True,
) -> tuple[Font, list[str], int]:
    """The largest font size (and the wrapped lines) that fits `text` in `box` (w, h)."""
    width, height = box
    size = max_size
    while True:
        face = font(size, bold)
        lines = wrap(draw, text, face, width)
        line_height = int(size * 1.22)
        too_wide = any(draw.textlength(line, font=face) > width for line in lines)
        if (len(lines) * line_height <= height and not too_wide) or size <= min_size:
            return face, lines, line_height
        size -= 4


def text_panel(
    canvas: Image.Image,
    text: str,
    box: tuple[int, int, int, int],
    *,
    palette: Palette,
    max_size: int = 92,
    panel: bool = True,
) -> None:
    """Draw `text` centred in `box` (l, t, r, b) on a rounded translucent panel."""
    left, top, right, bottom = box
    pad = 44
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    face, lines, line_height = fit_text(
        draw, text, (right - left - 2 * pad, bottom - top - 2 * pad), max_size=max_size
    )
    block_h = len(lines) * line_height
    widest = max((draw.textlength(line, font=face) for line in lines), default=0)
    y0 = top + (bottom - top - block_h) // 2
    if panel:
        cx = (left + right) // 2
        draw.rounded_rectangle(
            (
                cx - widest / 2 - pad,
                y0 - pad * 0.8,
                cx + widest / 2 + pad,
                y0 + block_h + pad * 0.6,
            ),
            radius=36,
            fill=(0, 0, 0, 150),
        )
    for index, line in enumerate(lines):
        line_w = draw.textlength(line, font=face)
        x = left + (right - left - line_w) / 2
        y = y0 + index * line_height
        draw.text((x + 3, y + 3), line, font=face, fill=(0, 0, 0, 140))
        draw.text((x, y), line, font=face, fill=(*palette.ink, 255))
    canvas.alpha_composite(layer) if canvas.mode == "RGBA" else canvas.paste(layer, (0, 0), layer)


def circle(image: Image.Image, diameter: int, ring: RGB | None = None) -> Image.Image:
    """`image` cropped to a circle of `diameter` px, with an optional ring."""
    face = cover(image, (diameter, diameter)).convert("RGBA")
    mask = Image.new("L", (diameter * 2, diameter * 2), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, diameter * 2 - 1, diameter * 2 - 1), fill=255)
    face.putalpha(mask.resize((diameter, diameter), Image.Resampling.LANCZOS))
    if ring is None:
        return face
    framed = Image.new("RGBA", (diameter + 16, diameter + 16), (0, 0, 0, 0))
    ImageDraw.Draw(framed).ellipse((0, 0, diameter + 15, diameter + 15), fill=(*ring, 255))
    framed.alpha_composite(face, (8, 8))
    return framed


def initials(name: str) -> str:
    parts = [p for p in re.split(r"\s+", name.strip()) if p]
    letters = "".join(p[0] for p in parts[:2]).upper()
    return letters or "?"


def encode_jpeg(image: Image.Image, quality: int = 88) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def thumbnail(image: Image.Image) -> bytes:
    return encode_jpeg(cover(image, THUMB_SIZE), quality=82)


def open_image(data: bytes) -> Image.Image | None:
    """Decode raster bytes; None for what Pillow cannot read (SVG, HEIC)."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return ImageOps.exif_transpose(image)
