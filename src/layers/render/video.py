"""H.264 MP4 encoding with the ffmpeg binary that `imageio-ffmpeg` ships.

A video is a list of scenes, concatenated: a *still* scene holds one full-frame image for its
duration (cards drawn with Pillow); a *clip* scene plays a stretch of a source video, scaled
and centre-cropped to 9:16, with an optional transparent overlay (a text card) on top.
Output: yuv420p, ``+faststart`` (the index first, so platforms and browsers can stream it).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import imageio_ffmpeg

from layers.render.drawing import HEIGHT, WIDTH

FPS = 30
PRESET = "veryfast"
CRF = 23


class RenderError(RuntimeError):
    pass


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    return str(imageio_ffmpeg.get_ffmpeg_exe())


@dataclass(frozen=True)
class Scene:
    duration: float
    still: Path | None = None
    clip: Path | None = None
    clip_start: float = 0.0
    overlay: Path | None = None


def run_ffmpeg(args: list[str], timeout: float = 600) -> None:
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args]
    try:
        done = subprocess.run(  # noqa: S603 (a fixed binary, arguments we built)
            command, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError("ffmpeg timed out") from exc
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise RenderError("ffmpeg failed: " + " | ".join(tail))


def encode(
    scenes: list[Scene],
    out: Path,
    *,
    size: tuple[int, int] = (WIDTH, HEIGHT),
    fps: int = FPS,
    preset: str = PRESET,
) -> None:
    """Render `scenes` one after the other into the MP4 `out`."""
    if not scenes:
        raise RenderError("a video needs at least one scene")
    width, height = size
    inputs: list[str] = []
    filters: list[str] = []
    labels: list[str] = []
    index = 0
    for number, scene in enumerate(scenes):
        seconds = f"{scene.duration:.3f}"
        if scene.still is not None:
            # One decoded frame a second; `fps` below repeats it (a PNG decode per frame is
            # most of the cost otherwise).
            inputs += ["-loop", "1", "-framerate", "1", "-t", seconds, "-i", str(scene.still)]
        elif scene.clip is not None:
            inputs += ["-stream_loop", "-1", "-ss", f"{scene.clip_start:.3f}"]
            inputs += ["-t", seconds, "-i", str(scene.clip)]
        else:
            raise RenderError("a scene needs a still or a clip")
        base = index
        index += 1
        chain = (
            f"[{base}:v]scale={width}:{height}:force_original_aspect_ratio=increase,"
            f"crop={width}:{height},setsar=1,fps={fps},trim=duration={seconds},"
            "setpts=PTS-STARTPTS"
        )
        if scene.overlay is not None:
            inputs += ["-loop", "1", "-framerate", "1", "-t", seconds, "-i", str(scene.overlay)]
            filters.append(f"{chain}[b{number}]")
            filters.append(
                f"[{index}:v]scale={width}:{height},format=yuva420p[o{number}];"
                f"[b{number}][o{number}]overlay=0:0:format=yuv420:eof_action=repeat,"
                f"trim=duration={seconds},format=yuv420p[s{number}]"
            )
            index += 1
        else:
            filters.append(f"{chain},format=yuv420p[s{number}]")
        labels.append(f"[s{number}]")
    filters.append(f"{''.join(labels)}concat=n={len(labels)}:v=1:a=0[v]")
    run_ffmpeg(
        [
            *inputs,
            "-filter_complex",
            ";".join(filters),
            "-map",
            "[v]",
            "-an",
            "-c:v",
            "libx264",
            "-preset",
            preset,
            "-crf",
            str(CRF),
            "-profile:v",
            "high",
            "-pix_fmt",
            "yuv420p",
            "-r",
            str(fps),
            "-movflags",
            "+faststart",
            str(out),
        ]
    )


def synthetic_clip(
    out: Path,
    *,
    seconds: float,
    colors: tuple[str, str, str],
    overlay: Path | None = None,
    size: tuple[int, int] = (540, 960),
    fps: int = 24,
) -> None:
    """A short moving clip (animated gradient, optional overlay): sandbox source footage."""
    width, height = size
    c0, c1, c2 = (c.lstrip("#") for c in colors)
    source = (
        f"gradients=s={width}x{height}:d={seconds:.2f}:r={fps}:speed=0.03:"
        f"c0=0x{c0}:c1=0x{c1}:c2=0x{c2}:nb_colors=3:seed=7"
    )
    args = ["-f", "lavfi", "-i", source]
    graph = "[0:v]format=yuv420p[v]"
    if overlay is not None:
        args += ["-loop", "1", "-framerate", str(fps), "-t", f"{seconds:.2f}", "-i", str(overlay)]
        graph = f"[1:v]scale={width}:{height}[o];[0:v][o]overlay=0:0:shortest=1,format=yuv420p[v]"
    run_ffmpeg(
        [
            *args,
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-an",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "26",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            str(out),
        ]
    )


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    duration_ms: int
    codec: str


def probe(path: Path) -> VideoInfo:
    """Size, duration and codec of a video file (reads only its header)."""
    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        meta = next(reader)
    except (RuntimeError, StopIteration, OSError) as exc:
        raise RenderError(f"not a readable video: {exc}") from exc
    finally:
        reader.close()
    width, height = meta.get("size") or (0, 0)
    duration = float(meta.get("duration") or 0.0)
    return VideoInfo(int(width), int(height), round(duration * 1000), str(meta.get("codec", "")))
