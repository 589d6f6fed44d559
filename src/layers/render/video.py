"""H.264 MP4 encoding with the ffmpeg binary that `imageio-ffmpeg` ships.

A video is a list of scenes, concatenated: a *still* scene holds one full-frame image for its
duration (cards drawn with Pillow); a *clip* scene plays a stretch of a source video, scaled
and centre-cropped to 9:16, with bands of it blurred (burned-in text) and an optional
transparent overlay (a caption card) on top. Pictures reach ffmpeg as raw pixels (no PNG to
write and decode), and a card may be handed over as a function that draws it, called only
when the encode that needs it starts: cards are drawn while the footage encodes. Scenes are
encoded in parallel and joined without re-encoding; the soundtrack (`audio`) is muxed in as
AAC.
Output: H.264 yuv420p + AAC, ``+faststart`` (the index first, so platforms and browsers can
stream it).
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import imageio_ffmpeg
from PIL import Image

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
class Cover:
    """A horizontal band of a clip (fractions of its height) to blur out: burned-in text."""

    top: float
    bottom: float


Picture = Image.Image | Callable[[], Image.Image]
"""A card or an overlay, or a function that draws it: called once, by the first encode that
needs the picture, on that encode's thread."""


def _once(picture: Picture | None) -> Picture | None:
    """`picture`, drawn at most once however many encodes need it (a still's unit and its
    leftover frames are two)."""
    if picture is None or not callable(picture):
        return picture
    draw, guard = picture, threading.Lock()
    drawn: list[Image.Image] = []

    def drawn_once() -> Image.Image:
        with guard:
            if not drawn:
                drawn.append(draw())
            return drawn[0]

    return drawn_once


@dataclass(frozen=True)
class Scene:
    """One stretch of the video: a still, or a clip from `clip_start`, with an optional
    transparent overlay (cropped to what it draws; `overlay_at` is where its top-left corner
    sits on the frame) and bands of the clip to blur (`covers`)."""

    duration: float
    still: Picture | None = None
    clip: Path | None = None
    clip_start: float = 0.0
    clip_length: float = 0.0  # the clip's own length, when known: starts wrap around it
    overlay: Picture | None = None
    overlay_at: tuple[int, int] = (0, 0)
    covers: tuple[Cover, ...] = ()


@dataclass(frozen=True)
class AudioTrack:
    """The soundtrack muxed into the video: a file and the filter that makes it final
    (normalisation, sample rate, exact length)."""

    path: Path
    filter: str


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


def frame_counts(durations: list[float], fps: int = FPS) -> list[int]:
    """Whole frames per scene, rounding the running total (not each scene), so the video is
    exactly as long as the soundtrack and no scene drifts from its words by more than half a
    frame."""
    counts: list[int] = []
    elapsed = 0.0
    done = 0
    for duration in durations:
        elapsed += duration
        end = max(done + 1, round(elapsed * fps))
        counts.append(end - done)
        done = end
    return counts


def _blur_bands(covers: tuple[Cover, ...], clip_size: tuple[int, int], label: str) -> str:
    """Filters (on the clip at its own size, before scaling: cheap) that wipe each band: shrunk
    to a sixteenth, softened and grown back, then darkened, so the letters in it become a
    wash of their colours (no stroke survives a sixteenth) and never show under ours."""
    width, height = clip_size
    chain = ""
    for number, cover in enumerate(covers):
        name = f"{label}c{number}"
        top = max(0, int(cover.top * height) // 2 * 2)
        bottom = min(height, -(-int(cover.bottom * height) // 2) * 2)
        if bottom - top < 8:
            continue
        band = bottom - top
        small_w, small_h = max(2, width // 16), max(2, band // 16)
        chain += (
            f"[{name}m];[{name}m]split[{name}k][{name}c];"
            f"[{name}c]crop={width}:{band}:0:{top},scale={small_w}:{small_h}:flags=area,"
            f"gblur=sigma=1.5,scale={width}:{band}:flags=bicubic,"
            f"lutyuv=y=val*0.72[{name}cb];[{name}k][{name}cb]overlay=0:{top}"
        )
    return chain


def _raw_picture(picture: Picture, path: Path, fps: int) -> list[str]:
    """Writes `picture` (drawing it first if it is a function) to `path` as raw pixels; the
    ffmpeg input that reads it back as one frame."""
    image = picture() if callable(picture) else picture
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    path.write_bytes(image.tobytes())
    pixels = "rgba" if image.mode == "RGBA" else "rgb24"
    size = f"{image.width}x{image.height}"
    raw = ["-f", "rawvideo", "-pix_fmt", pixels, "-s", size, "-framerate", str(fps)]
    return [*raw, "-i", str(path)]


def _piece_args(
    scene: Scene,
    frames: int,
    first_input: int,
    label: str,
    spill: Callable[[str], Path],
    size: tuple[int, int],
    fps: int,
    clip_size: tuple[int, int] | None,
) -> tuple[list[str], str]:
    """Inputs (numbered from `first_input`) and the filter chain that make `scene` into
    exactly `frames` frames, labelled `[label]`. Pictures are written to `spill(name)`."""
    width, height = size
    fit = (
        f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
        "setsar=1"
    )
    main, over = first_input, first_input + 1
    inputs: list[str]
    if scene.still is not None:
        # One frame, converted once, repeated by `loop` (after any overlay: blended once).
        inputs = _raw_picture(scene.still, spill(f"{label}.still"), fps)
        chain = f"[{main}:v]{fit},format=yuv420p"
        repeat = f",loop=loop={frames - 1}:size=1:start=0"
    elif scene.clip is not None:
        seconds = f"{frames / fps + 1:.3f}"  # a little longer than needed; trim cuts
        inputs = ["-threads", "1", "-stream_loop", "-1", "-ss", f"{scene.clip_start:.3f}"]
        inputs += ["-t", seconds, "-i", str(scene.clip)]
        covers = _blur_bands(scene.covers, clip_size, label) if clip_size and scene.covers else ""
        chain = f"[{main}:v]null{covers},{fit}"
        # To the output rate after the overlay: a frame `fps` repeats is blended once.
        repeat = f",fps={fps}"
    else:
        raise RenderError("a scene needs a still or a clip")
    if scene.overlay is not None:
        # One frame, converted once; the overlay repeats it (its default at the input's end).
        inputs += _raw_picture(scene.overlay, spill(f"{label}.overlay"), fps)
        x, y = scene.overlay_at
        chain += (
            f"[{label}b];[{over}:v]format=yuva420p[{label}o];"
            f"[{label}b][{label}o]overlay={x}:{y}:format=yuv420:eof_action=repeat"
        )
    chain += f"{repeat},trim=end_frame={frames},setpts=PTS-STARTPTS,format=yuv420p[{label}]"
    return inputs, chain


def _video_codec(preset: str, fps: int, threads: int) -> list[str]:
    return [
        "-c:v", "libx264", "-preset", preset, "-crf", str(CRF), "-profile:v", "high",
        "-pix_fmt", "yuv420p", "-r", str(fps), "-threads", str(threads),
    ]  # fmt: skip


# What a frame costs to encode, relative to a frame of a still: footage moves.
_FRAME_COST = {True: 1.0, False: 2.5}


# What starting an encode costs, in frames of a still: the process, reading its pictures, the
# first (intra) frame.
_JOB_COST = 6.0


def _run_cost(run: list[Scene], fps: int) -> float:
    frames = sum(_FRAME_COST[scene.still is not None] * scene.duration * fps for scene in run)
    return frames + _JOB_COST


def split_work(
    scenes: list[Scene],
    counts: list[int],
    parts: int,
    fps: int,
    shares: list[float] | None = None,
) -> list[list[Scene]]:
    """`scenes` (with their frame `counts`) cut into `parts` consecutive runs of about equal
    encoding cost (or of the given `shares` of it). A cut falls on a scene boundary when one is
    near (a quarter second), else inside a scene (a still is cut in two; a clip resumes where
    the first half ended). Each scene in the result has a duration of a whole number of
    frames."""
    costs = [_FRAME_COST[scene.still is not None] for scene in scenes]
    total = sum(cost * count for cost, count in zip(costs, counts, strict=True))
    shares = shares or [1.0] * parts
    bounds: list[int] = []  # global frame indexes where a new run starts
    starts = [sum(counts[:i]) for i in range(len(counts))]
    for k in range(1, parts):
        goal, spent, frame = total * sum(shares[:k]) / sum(shares), 0.0, 0
        for cost, count in zip(costs, counts, strict=True):
            if spent + cost * count >= goal:
                frame += int((goal - spent) / cost)
                break
            spent += cost * count
            frame += count
        near = min([*starts, sum(counts)], key=lambda start: abs(start - frame))
        bounds.append(near if abs(near - frame) <= fps // 4 else frame)
    edges = sorted({0, *[b for b in bounds if 0 < b < sum(counts)], sum(counts)})
    runs: list[list[Scene]] = []
    for lo, hi in itertools.pairwise(edges):
        run: list[Scene] = []
        for scene, start, count in zip(scenes, starts, counts, strict=True):
            a, b = max(lo, start), min(hi, start + count)
            if a >= b:
                continue
            clip_start = scene.clip_start + (a - start) / fps
            if scene.clip_length > 0:
                clip_start %= scene.clip_length
            run.append(replace(scene, duration=(b - a) / fps, clip_start=clip_start))
        runs.append(run)
    return runs


# A still scene is encoded once as a short unit and the unit repeated (stream-copied): every
# frame of a still is the same picture, so encoding it 60 times over is wasted work. Even a
# frame identical to the last costs x264 about 9 ms at 1080×1920 (`veryfast`), so the unit is
# short: six frames, a keyframe and five copies. A 2 s card then costs 0.08 s of CPU instead
# of 0.16 with a 15-frame unit, and weighs about 215 KB instead of 100 (ten keyframes instead
# of four, each the same picture at the same CRF).
STILL_UNIT_SECONDS = 0.2


@dataclass(frozen=True)
class Plan:
    """The encodes of a timeline: `runs[i]` is encoded once into a segment; `order` lists the
    segments in timeline order (a still's unit appears as often as it repeats)."""

    runs: list[list[Scene]]
    order: list[int]

    def repeats(self) -> dict[int, int]:
        """How many times in a row each segment plays, in timeline order (a segment only
        ever repeats in one stretch: a still's unit)."""
        return {index: len(list(group)) for index, group in itertools.groupby(self.order)}


def _still_jobs(count: int, unit: int) -> list[int]:
    """The frames of each encode a still of `count` frames takes (see `plan_runs`)."""
    if count < 2 * unit:
        return [count]
    return [unit, count % unit] if count % unit else [unit]


def plan_runs(scenes: list[Scene], counts: list[int], workers: int, fps: int) -> Plan:
    """A still of at least two units becomes one unit repeated, plus a last segment of the
    frames left over; footage between stills is cut into up to `workers` runs (`split_work`),
    the first one lighter by the stills' cost: the runs start costliest first, the stills
    follow on the worker the first run frees, and all workers finish together. Frame counts
    are kept exactly."""
    unit = max(1, round(STILL_UNIT_SECONDS * fps))
    runs: list[list[Scene]] = []
    order: list[int] = []
    footage: list[tuple[Scene, int]] = []
    still_cost = sum(
        _FRAME_COST[True] * frames + _JOB_COST
        for scene, count in zip(scenes, counts, strict=True)
        if scene.still is not None
        for frames in _still_jobs(count, unit)
    )
    footage_cost = sum(
        _FRAME_COST[False] * count
        for scene, count in zip(scenes, counts, strict=True)
        if scene.still is None
    )

    def add(run: list[Scene], times: int = 1) -> None:
        order.extend([len(runs)] * times)
        runs.append(run)

    def flush_footage() -> None:
        frames = sum(count for _, count in footage)
        parts = max(1, min(workers, frames // fps or 1))
        cost = _FRAME_COST[False] * frames
        each = (cost + still_cost * cost / footage_cost) / parts
        lighter = each - still_cost * cost / footage_cost
        shares = [lighter, *[each] * (parts - 1)] if parts > 1 and lighter > 0 else None
        runs_ = split_work([s for s, _ in footage], [c for _, c in footage], parts, fps, shares)
        for run in runs_:
            add(run)
        footage.clear()

    for scene, count in zip(scenes, counts, strict=True):
        if scene.still is None:
            footage.append((scene, count))
            continue
        if footage:
            flush_footage()
        jobs = _still_jobs(count, unit)
        add([replace(scene, duration=jobs[0] / fps)], count // jobs[0])
        if len(jobs) > 1:
            add([replace(scene, duration=jobs[1] / fps)])
    if footage:
        flush_footage()
    return Plan(runs, order)


def encode(
    scenes: list[Scene],
    out: Path,
    *,
    audio: Path | Callable[[], Path] | None = None,
    size: tuple[int, int] = (WIDTH, HEIGHT),
    fps: int = FPS,
    preset: str = PRESET,
    workers: int | None = None,
) -> None:
    """Render `scenes` one after the other (and `audio` under them) into the MP4 `out`.
    `audio` is an AAC track as long as the video (`encode_audio`), or a function that
    returns one once it is ready (it is called when the video's runs are done).

    The footage is cut into `workers` runs of about equal cost (default: one per core), and a
    still is encoded once as a short unit that repeats (`plan_runs`); each run is encoded by
    its own ffmpeg with one encoder thread (same encoder settings; a run starts a new GOP),
    `workers` at a time: x264's frame threads leave a core idle much of the time on a small
    machine, independent runs do not. A still's unit is repeated by copying its packets
    (``-stream_loop``) on the worker that encoded it. The runs are joined and the soundtrack
    (AAC) muxed in without re-encoding either, and the index moved first (``+faststart``).
    """
    if not scenes:
        raise RenderError("a video needs at least one scene")
    cores = os.cpu_count() or 2
    counts = frame_counts([scene.duration for scene in scenes], fps)
    workers = max(1, min(workers or cores, sum(counts) // fps or 1))
    threads = max(1, cores // workers)
    scenes = [replace(s, still=_once(s.still), overlay=_once(s.overlay)) for s in scenes]
    plan = plan_runs(scenes, counts, workers, fps)
    runs = plan.runs
    clip_sizes: dict[Path, tuple[int, int]] = {}
    for scene in scenes:
        if scene.clip is not None and scene.covers and scene.clip not in clip_sizes:
            info = probe(scene.clip)
            clip_sizes[scene.clip] = (info.width, info.height)
    parts = [out.with_name(f"{out.stem}.part{index}.mp4") for index in range(len(runs))]
    listing = out.with_name(f"{out.stem}.parts.txt")
    spilled: list[Path] = []
    # A repeated unit is listed once, already repeated: the join opens each file it lists
    # (about 5 ms each), the repeat is one copy of the unit's packets on the unit's worker.
    repeats = plan.repeats()

    def encode_run(index: int) -> None:
        inputs: list[str] = []
        chains: list[str] = []
        labels = []

        def spill(name: str) -> Path:
            spilled.append(out.with_name(f"{out.stem}.part{index}.{name}.raw"))
            return spilled[-1]

        for number, scene in enumerate(runs[index]):
            frames = round(scene.duration * fps)
            clip_size = clip_sizes.get(scene.clip) if scene.clip is not None else None
            label = f"s{number}"
            args, chain = _piece_args(
                scene, frames, inputs.count("-i"), label, spill, size, fps, clip_size
            )
            inputs += args
            chains.append(chain)
            labels.append(f"[{label}]")
        chains.append(f"{''.join(labels)}concat=n={len(labels)}:v=1:a=0[v]")
        times = repeats[index]
        target = parts[index]
        if times > 1:
            target = out.with_name(f"{out.stem}.part{index}.unit.mp4")
            spilled.append(target)
        run_ffmpeg(
            [
                *inputs, "-filter_complex", ";".join(chains), "-map", "[v]", "-an",
                "-filter_threads", "1", *_video_codec(preset, fps, threads), str(target),
            ]
        )  # fmt: skip
        if times > 1:
            loop = ["-stream_loop", str(times - 1), "-i", str(target)]
            run_ffmpeg([*loop, "-c", "copy", str(parts[index])])

    total = sum(counts) / fps
    try:
        # The costliest runs first, so the short ones fill in at the end.
        by_cost = sorted(range(len(runs)), key=lambda i: -_run_cost(runs[i], fps))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(encode_run, index) for index in by_cost]
            for future in futures:
                future.result()
        sound = audio() if callable(audio) else audio
        listing.write_text("".join(f"file '{parts[index].name}'\n" for index in repeats))
        args = ["-f", "concat", "-safe", "0", "-i", str(listing)]
        if sound is not None:
            args += ["-i", str(sound), "-map", "0:v", "-map", "1:a"]
        else:
            args += ["-map", "0:v", "-an"]
        run_ffmpeg([*args, "-c", "copy", "-t", f"{total:.3f}", "-movflags", "+faststart", str(out)])
    finally:
        for part in [*parts, *spilled]:
            part.unlink(missing_ok=True)
        listing.unlink(missing_ok=True)


def encode_audio(track: AudioTrack, seconds: float, out: Path) -> Path:
    """The soundtrack, through its filter, as AAC in an MP4 (`out`) of `seconds`; `out`."""
    run_ffmpeg(
        [
            "-i", str(track.path), "-af", track.filter, "-c:a", "aac", "-b:a", "128k",
            "-ar", "48000", "-t", f"{seconds:.3f}", str(out),
        ]
    )  # fmt: skip
    return out


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


_DURATION = re.compile(r"^\s*Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", re.MULTILINE)
_VIDEO_STREAM = re.compile(
    r"^\s*Stream #\d+:\d+.*?: Video: (\w+).*?, (\d+)x(\d+)[ ,\n]", re.MULTILINE
)


def probe(path: Path) -> VideoInfo:
    """Size, duration and codec of a video file, from its header as ffmpeg reports it (no
    frame is decoded: a quarter of the time of opening a decoder)."""
    try:
        done = subprocess.run(  # noqa: S603 (a fixed binary, arguments we built)
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError("not a readable video: ffmpeg timed out") from exc
    report = done.stderr.decode(errors="replace")
    stream = _VIDEO_STREAM.search(report)
    if stream is None:
        tail = " | ".join(report.strip().splitlines()[-2:])
        raise RenderError(f"not a readable video: {tail or 'no video stream'}")
    codec, width, height = stream.group(1), int(stream.group(2)), int(stream.group(3))
    duration = _DURATION.search(report)
    seconds = 0.0
    if duration is not None:
        hours, minutes, rest = duration.groups()
        seconds = int(hours) * 3600 + int(minutes) * 60 + float(rest)
    return VideoInfo(width, height, round(seconds * 1000), codec)
