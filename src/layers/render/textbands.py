"""Finding burned-in text in footage: the horizontal bands where a caption sits.

Burned-in text is sharp and it stays put while the footage under it moves. So: sample a few
frames at low resolution, keep the pixels that are an edge in most of them (static, sharp
detail), and report the rows where such pixels are dense as bands. Footage whose static
detail covers most of the frame (a screen recording, a still) says nothing reliable and
yields no band; callers that must not show a source's caption assume the band instead of
relying on detection alone (`clip.CAPTION_BAND`).
"""

from __future__ import annotations

import subprocess

from PIL import Image, ImageChops, ImageFilter

from layers.render.video import Cover, RenderError, ffmpeg_exe

_W, _H = 180, 320  # the analysis size: enough for caption-sized letters
_FRAMES = 8
_EDGE = 48  # an edge: a FIND_EDGES response above this (0-255)
_ROW_DENSITY = 0.035  # a text row: at least this share of its pixels are static edges
_PAD = 0.015  # grown on both sides of a band (fractions of the height)
_MAX_COVERED = 0.45  # more static detail than this: not captions, no answer


def _frames(path: str, seconds: float) -> list[Image.Image]:
    rate = max(0.5, _FRAMES / max(seconds, 0.5))
    command = [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-t", f"{seconds:.2f}",
        "-i", path, "-vf", f"fps={rate:.3f},scale={_W}:{_H},format=gray",
        "-frames:v", str(_FRAMES), "-f", "rawvideo", "-",
    ]  # fmt: skip
    try:
        done = subprocess.run(  # noqa: S603 (a fixed binary, arguments we built)
            command, capture_output=True, timeout=60, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError("ffmpeg timed out") from exc
    if done.returncode != 0:
        raise RenderError("cannot read footage: " + done.stderr.decode(errors="replace")[-200:])
    size = _W * _H
    data = done.stdout
    return [
        Image.frombytes("L", (_W, _H), data[i * size : (i + 1) * size])
        for i in range(len(data) // size)
    ]


def static_edges(frames: list[Image.Image]) -> Image.Image:
    """255 where a pixel is an edge in at least ~2/3 of `frames`, else 0."""
    votes = Image.new("L", (_W, _H), 0)
    weight = max(1, 255 // len(frames))
    for frame in frames:
        edges = frame.filter(ImageFilter.FIND_EDGES).point(lambda v: weight if v > _EDGE else 0)
        votes = ImageChops.add(votes, edges)
    needed = weight * max(2, (2 * len(frames) + 2) // 3)
    return votes.point(lambda v: 255 if v >= needed else 0)


def bands_of(mask: Image.Image) -> list[Cover]:
    """Bands of rows dense in `mask` pixels (merged across small gaps, padded)."""
    height = mask.height
    # One column: each row's share of set pixels (a box resize averages the row).
    profile = list(mask.resize((1, height), Image.Resampling.BOX).tobytes())
    rows = [value / 255 >= _ROW_DENSITY for value in profile]
    if sum(rows) / height > _MAX_COVERED:
        return []
    bands: list[tuple[int, int]] = []
    gap = max(2, height // 80)
    for y, hit in enumerate(rows):
        if not hit:
            continue
        if bands and y - bands[-1][1] <= gap:
            bands[-1] = (bands[-1][0], y + 1)
        else:
            bands.append((y, y + 1))
    found = []
    for top, bottom in bands:
        if bottom - top < max(2, height // 100):
            continue  # a stray line, not a caption
        found.append(Cover(max(0.0, top / height - _PAD), min(1.0, bottom / height + _PAD)))
    return found


def merged(covers: list[Cover]) -> list[Cover]:
    """`covers` as disjoint bands, top to bottom (overlapping ones united): a pixel is
    blurred and darkened once, never twice."""
    result: list[Cover] = []
    for cover in sorted(covers, key=lambda c: c.top):
        if result and cover.top <= result[-1].bottom:
            result[-1] = Cover(result[-1].top, max(result[-1].bottom, cover.bottom))
        else:
            result.append(cover)
    return result


def detect(path: object, seconds: float = 4.0) -> list[Cover]:
    """Bands of burned-in text in the first `seconds` of the video at `path`."""
    frames = _frames(str(path), seconds)
    if len(frames) < 2:
        return []
    return merged(bands_of(static_edges(frames)))
