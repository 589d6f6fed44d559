"""Drawing primitives shared by every renderer: fonts, palettes, gradients, text layout."""

from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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


def cover(
    image: Image.Image, size: tuple[int, int], *, reducing_gap: float | None = None
) -> Image.Image:
    """Scale and centre-crop `image` to exactly `size`.

    `reducing_gap` (Pillow's) first box-reduces a much larger source by an integer factor, then
    resamples the rest with Lanczos: several times faster for a big shrink, and the difference
    is invisible once the result is blurred (backdrops). None: Lanczos all the way.
    """
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if reducing_gap is None:
        return ImageOps.fit(rgb, size, Image.Resampling.LANCZOS)
    width, height = rgb.size
    scale = min(width / size[0], height / size[1])
    crop_w, crop_h = size[0] * scale, size[1] * scale
    left, top = (width - crop_w) / 2, (height - crop_h) / 2
    box = (left, top, left + crop_w, top + crop_h)
    return rgb.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=reducing_gap)


def contain(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale `image` to fit inside `size`, keeping its aspect ratio (and alpha)."""
    copy = image.copy()
    copy.thumbnail(size, Image.Resampling.LANCZOS)
    return copy


# What a backdrop's source needs at least: twice the blurred size, so the shrink still
# averages several pixels into one (decoders may stop there: `open_image(at_least=…)`).
BACKDROP_SOURCE = (WIDTH // 4, HEIGHT // 4)


def backdrop(image: Image.Image, darken: float = 0.45) -> Image.Image:
    """A full-frame, blurred and darkened version of `image`, for text to sit on.

    All the work happens at an eighth of the frame (shrink, blur, darken) and only the last
    step, the upscale, touches full-size pixels: darkening is linear, so doing it before
    the upscale gives the same picture for a fraction of the cost.
    """
    small = cover(image, (WIDTH // 8, HEIGHT // 8), reducing_gap=2.0)
    small = small.filter(ImageFilter.GaussianBlur(6))
    small = Image.blend(small, Image.new("RGB", small.size, (0, 0, 0)), darken)
    # Bilinear: on a picture this blurred it gives bicubic's pixels (±1), a quarter faster.
    return small.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)


def scene(image: Image.Image, darken: float = 0.35) -> Image.Image:
    """A full-frame, darkened (not blurred) version of `image`: a generated background, which
    is ours to show sharp, dimmed so that white text and the author badge stay legible."""
    frame = cover(image, (WIDTH, HEIGHT))
    return Image.blend(frame, Image.new("RGB", frame.size, (0, 0, 0)), darken)


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
    """Draw `text` centred in `box` (l, t, r, b) on a rounded translucent panel.

    The translucent layer covers only what is drawn (the panel, the text and its shadow), not
    the whole canvas: the same pixels as a full-frame layer, at a fraction of the blending.
    """
    left, top, right, bottom = box
    pad = 44
    measure = ImageDraw.Draw(_SCRATCH)
    face, lines, line_height = fit_text(
        measure, text, (right - left - 2 * pad, bottom - top - 2 * pad), max_size=max_size
    )
    block_h = len(lines) * line_height
    widths = [measure.textlength(line, font=face) for line in lines]
    widest = max(widths, default=0)
    y0 = top + (bottom - top - block_h) // 2
    cx = (left + right) // 2
    spots = [
        (left + (right - left - line_w) / 2, y0 + index * line_height)
        for index, line_w in enumerate(widths)
    ]
    # The drawn region: the panel, each line's glyphs and their shadow (3 px down-right).
    bounds = [measure.textbbox(xy, line, font=face) for xy, line in zip(spots, lines, strict=True)]
    if panel:
        bounds.append(
            (cx - widest / 2 - pad, y0 - pad * 0.8, cx + widest / 2 + pad, y0 + block_h + pad * 0.6)
        )
    if not bounds:
        return
    x_lo = max(0, math.floor(min(b[0] for b in bounds)) - 2)
    y_lo = max(0, math.floor(min(b[1] for b in bounds)) - 2)
    x_hi = min(canvas.width, math.ceil(max(b[2] for b in bounds)) + 6)
    y_hi = min(canvas.height, math.ceil(max(b[3] for b in bounds)) + 6)
    if x_hi <= x_lo or y_hi <= y_lo:
        return
    layer = Image.new("RGBA", (x_hi - x_lo, y_hi - y_lo), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    if panel:
        draw.rounded_rectangle(
            (
                cx - widest / 2 - pad - x_lo,
                y0 - pad * 0.8 - y_lo,
                cx + widest / 2 + pad - x_lo,
                y0 + block_h + pad * 0.6 - y_lo,
            ),
            radius=36,
            fill=(0, 0, 0, 150),
        )
    for (x_at, y_at), line in zip(spots, lines, strict=True):
        x, y = x_at - x_lo, y_at - y_lo
        draw.text((x + 3, y + 3), line, font=face, fill=(0, 0, 0, 140))
        draw.text((x, y), line, font=face, fill=(*palette.ink, 255))
    if canvas.mode == "RGBA":
        canvas.alpha_composite(layer, (x_lo, y_lo))
    else:
        canvas.paste(layer, (x_lo, y_lo), layer)


# A 1×1 image to measure text on (ImageDraw needs an image; measuring draws nothing).
_SCRATCH = Image.new("RGBA", (1, 1))


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


def save_jpeg(image: Image.Image, path: Path, quality: int = 88) -> None:
    """The same bytes as `encode_jpeg`, written to `path`. Pillow encodes to a file without
    holding the GIL (into a buffer, it holds it), so slides can be saved on other threads
    while the next one is drawn."""
    image.convert("RGB").save(path, "JPEG", quality=quality, optimize=True, progressive=True)


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def thumbnail(image: Image.Image) -> bytes:
    """A 360×640 JPEG of `image`: box-halved first, then Lanczos (indistinguishable from
    Lanczos all the way at this size, and three times faster)."""
    return encode_jpeg(cover(image, THUMB_SIZE, reducing_gap=1.5), quality=82)


def open_image(data: bytes, *, at_least: tuple[int, int] | None = None) -> Image.Image | None:
    """Decode raster bytes; None for what Pillow cannot read (SVG, HEIC).

    `at_least`: the caller only needs this many pixels (a backdrop that is blurred at an eighth
    of the frame), so a JPEG is decoded at the smallest 1/2, 1/4 or 1/8 scale that still
    covers it — several times faster than a full decode. Other formats decode in full.
    """
    try:
        image = Image.open(io.BytesIO(data))
        if at_least is not None and image.format == "JPEG":
            image.draft("RGB", at_least)
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return ImageOps.exif_transpose(image)
