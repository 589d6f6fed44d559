"""Time to render a 6-slide slideshow and a 10 s video, against bare baselines in the same run.

* Slideshow: `compose.slideshow` (brand visuals: source backdrops, avatar, screenshots in a
  phone frame, logo, wrapped text) for 6 slides + thumbnail, against bare Pillow drawing of
  6 frames of the same size (a gradient and one line of text each) saved as JPEG.
* Video: `clip.video_clip` (hook card, 3 beats of footage with text overlays, end card;
  10 s, 1080×1920, H.264, and its soundtrack: a music bed, loudness-normalised, AAC) against
  bare ffmpeg encoding the same number of frames (10 s of a still 1080×1920 image, decoded
  once a second) with the same encoder settings.

    .venv/bin/python bench/render.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

from layers.render import compose, drawing, video
from layers.render.clip import video_clip
from layers.render.drawing import HEIGHT, WIDTH


def seconds(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def paired(
    ours: Callable[[], object], bare: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Median seconds of each, timed in alternation (ours, bare, bare, ours, …) after one
    untimed warm-up of each, so a machine that speeds up or slows down during the run
    weighs on both alike."""
    ours(), bare()
    mine: list[float] = []
    theirs: list[float] = []
    for index in range(repeat):
        if index % 2 == 0:
            mine.append(seconds(ours))
            theirs.append(seconds(bare))
        else:
            theirs.append(seconds(bare))
            mine.append(seconds(ours))
    return statistics.median(mine), statistics.median(theirs)


def visuals(tmp: Path) -> compose.Visuals:
    palette = drawing.palette_for("warm", "bench")
    shot = Image.new("RGB", (590, 1278), (240, 236, 230))
    ImageDraw.Draw(shot).rectangle((0, 0, 590, 150), fill=(120, 60, 30))
    logo = Image.new("RGBA", (512, 512), (200, 120, 60, 255))
    avatar = drawing.gradient((512, 512), (230, 190, 160), (120, 80, 60))
    backgrounds = [
        drawing.gradient((WIDTH, HEIGHT), (40 * i, 60, 90), (10, 10, 30)) for i in range(6)
    ]
    base = tmp / "base.mp4"
    video.synthetic_clip(base, seconds=4, colors=("#7a3e1d", "#2b1208", "#ffb86b"))
    return compose.Visuals(
        palette=palette,
        app_name="Acme Coffee",
        tagline="Coffee that shows up before you run out.",
        logo=logo,
        screenshots=[shot],
        avatar=avatar,
        persona_name="Maya P.",
        backgrounds=backgrounds,
        base_video=base,
    )


TEXTS = [
    "The morning ritual I wish I'd started sooner\nlet me show you",
    "1. Prep everything the night before\nAcme Coffee takes care of the beans",
    "2. Hydrate before anything else\nthen the good coffee",
    "3. Move for ten minutes\nAcme Coffee has your back",
    "4. Protect a slow start\nno more running out",
    "Give Acme Coffee a try\nCoffee that shows up before you run out.",
]


def bare_slides(out: Path) -> None:
    face = drawing.font(80)
    for index in range(6):
        image = drawing.gradient((WIDTH, HEIGHT), (90, 50, 30), (20, 10, 5))
        ImageDraw.Draw(image).text((80, 900), f"Slide {index + 1}", font=face, fill="white")
        (out / f"bare-{index}.jpg").write_bytes(drawing.encode_jpeg(image))


def bare_video(out: Path, still: Path) -> None:
    """300 frames of one still, decoded once a second and repeated (the cheapest input path),
    with the same encoder settings."""
    video.run_ffmpeg(
        [
            "-loop", "1", "-framerate", "1", "-t", "10", "-i", str(still),
            "-vf", f"fps={video.FPS},format=yuv420p",
            "-c:v", "libx264", "-preset", video.PRESET, "-crf", str(video.CRF),
            "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(out / "bare.mp4"),
        ]
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="layers-bench-") as tmp_name:
        tmp = Path(tmp_name)
        brand = visuals(tmp)
        still = tmp / "still.png"
        drawing.gradient((WIDTH, HEIGHT), (90, 50, 30), (20, 10, 5)).save(still)

        def slideshow() -> None:
            out = tmp / "slides"
            out.mkdir(exist_ok=True)
            compose.slideshow(brand, TEXTS, out)

        def clip() -> None:
            out = tmp / "clip"
            out.mkdir(exist_ok=True)
            video_clip(brand, TEXTS[0], TEXTS[1:4], TEXTS[5], out)

        rows = [
            ("6-slide slideshow", *paired(slideshow, lambda: bare_slides(tmp), args.repeat),
             "bare Pillow, 6 frames"),
            ("10 s video 1080x1920", *paired(clip, lambda: bare_video(tmp, still), args.repeat),
             "bare ffmpeg, 300 frames"),
        ]  # fmt: skip
    print(f"{'render':<24} {'Layers s':>9} {'bare s':>8} {'ratio':>6}  baseline")
    for name, ours, bare, what in rows:
        print(f"{name:<24} {ours:>9.2f} {bare:>8.2f} {ours / bare:>6.2f}  {what}")


if __name__ == "__main__":
    main()
