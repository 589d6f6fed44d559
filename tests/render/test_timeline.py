"""How a video's timeline is cut into frames and into runs encoded in parallel."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from layers.render import video

FPS = video.FPS


def test_frame_counts_round_the_running_total() -> None:
    # 0.35 s is 10.5 frames: rounding each scene would drift 1.5 frames over three scenes.
    assert video.frame_counts([0.35, 0.35, 0.35]) == [10, 11, 10]
    assert sum(video.frame_counts([2.37, 4.61, 1.6, 3.05])) == round(11.63 * FPS)


@given(st.lists(st.floats(min_value=0.05, max_value=12), min_size=1, max_size=8))
def test_frame_counts_never_drift_and_never_drop_a_scene(durations: list[float]) -> None:
    counts = video.frame_counts(durations)
    assert all(count >= 1 for count in counts)
    for index in range(len(durations)):
        elapsed = sum(durations[: index + 1]) * FPS
        assert abs(sum(counts[: index + 1]) - elapsed) <= 0.5


HOOK = Image.new("RGB", (4, 4), "red")
END = Image.new("RGB", (4, 4), "blue")
CAPTIONS = [Image.new("RGBA", (2, 2), (0, 0, i, 255)) for i in range(3)]


def scenes() -> list[video.Scene]:
    beat = Path("footage.mp4")
    return [
        video.Scene(2.0, still=HOOK),
        *[video.Scene(2.0, clip=beat, clip_start=2.0 * i, overlay=CAPTIONS[i]) for i in range(3)],
        video.Scene(2.0, still=END),
    ]


def test_runs_balance_the_work_and_keep_every_frame_in_order() -> None:
    timeline = scenes()
    counts = video.frame_counts([s.duration for s in timeline])
    first, second = video.split_work(timeline, counts, 2, FPS)
    # Footage costs more than stills: the cut falls inside the second beat, which resumes
    # where the first run left it.
    footage = Path("footage.mp4")
    assert [s.still or s.clip for s in first] == [HOOK, footage, footage]
    assert first[-1].duration == 1.0 and first[-1].clip_start == 2.0
    assert second[0].duration == 1.0 and second[0].clip_start == 3.0
    assert second[0].overlay is first[-1].overlay is CAPTIONS[1]
    frames = [round(s.duration * FPS) for s in [*first, *second]]
    assert sum(frames) == sum(counts)


def test_a_clip_cut_in_two_wraps_around_its_length() -> None:
    timeline = [video.Scene(4.0, clip=Path("a.mp4"), clip_start=3.0, clip_length=4.0)]
    first, second = video.split_work(timeline, video.frame_counts([4.0]), 2, FPS)
    assert first[0].clip_start == 3.0 and second[0].clip_start == 1.0


def test_a_cut_near_a_scene_boundary_snaps_to_it() -> None:
    timeline = [video.Scene(2.0, clip=Path("a.mp4")), video.Scene(2.1, clip=Path("b.mp4"))]
    counts = video.frame_counts([s.duration for s in timeline])
    runs = video.split_work(timeline, counts, 2, FPS)
    assert [[s.clip for s in run] for run in runs] == [[Path("a.mp4")], [Path("b.mp4")]]
    assert video.split_work(timeline, counts, 1, FPS) == [timeline]


def test_a_still_is_encoded_once_and_repeated() -> None:
    timeline = scenes()
    counts = video.frame_counts([s.duration for s in timeline])
    plan = video.plan_runs(timeline, counts, 2, FPS)
    unit = round(video.STILL_UNIT_SECONDS * FPS)
    hook, *footage, end = [[scene.still or scene.clip for scene in run] for run in plan.runs]
    assert hook == [HOOK] and end == [END]
    assert len(footage) == 2 and all(clip == Path("footage.mp4") for run in footage for clip in run)
    # 60 frames of the hook: one unit, listed as often as it fits; the footage runs once each.
    repeats = [0] * (60 // unit)
    assert 60 % unit == 0 and plan.order == [*repeats, 1, 2, *[3] * len(repeats)]
    assert plan.repeats() == {0: len(repeats), 1: 1, 2: 1, 3: len(repeats)}
    assert [round(s.duration * FPS) for s in plan.runs[0]] == [unit]
    listed = sum(round(s.duration * FPS) for index in plan.order for s in plan.runs[index])
    assert listed == sum(counts)


@given(st.integers(min_value=1, max_value=400))
def test_a_still_of_any_length_keeps_its_frames(frames: int) -> None:
    still = video.Scene(frames / FPS, still=HOOK)
    plan = video.plan_runs([still], [frames], 2, FPS)
    assert sum(round(plan.runs[i][0].duration * FPS) for i in plan.order) == frames
    # At most two distinct encodes (the unit and what is left over), each under a second.
    assert len(plan.runs) <= 2 and all(run[0].duration < 1 for run in plan.runs)


def test_runs_encoded_in_parallel_join_into_one_clean_video(tmp_path: Path) -> None:
    footage = tmp_path / "footage.mp4"
    video.synthetic_clip(footage, seconds=2, colors=("#112233", "#445566", "#778899"))
    card = Image.new("RGB", (270, 480), (200, 60, 20))
    drawn: list[str] = []

    def late_card() -> Image.Image:
        drawn.append("card")
        return Image.new("RGB", (270, 480), (20, 60, 200))

    timeline = [
        video.Scene(0.4, still=card),
        video.Scene(1.5, clip=footage, clip_start=1.0, clip_length=2.0, overlay=caption()),
        # 33 frames: a 6-frame unit played five times and 3 frames left over, two encodes of
        # one picture; the first card is one unit played twice.
        video.Scene(1.1, still=late_card),
    ]
    out = tmp_path / "joined.mp4"
    video.encode(timeline, out, size=(270, 480), workers=2)
    done = subprocess.run(
        [video.ffmpeg_exe(), "-hide_banner", "-i", str(out), "-map", "0:v", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "error" not in done.stderr.lower()
    assert int(re.findall(r"frame=\s*(\d+)", done.stderr)[-1]) == 3 * FPS
    info = video.probe(out)
    assert (info.width, info.height, info.codec) == (270, 480, "h264")
    assert info.duration_ms == 3000
    assert drawn == ["card"], "a card handed over as a function is drawn once"
    assert not list(tmp_path.glob("joined.part*")), "the runs and their pictures are cleaned up"
    # The pictures reached the frames: the first card, the caption's corner, the late card.
    assert pixel(out, 0.2, (135, 240)) == pytest.approx((200, 60, 20), abs=8)
    assert pixel(out, 1.2, (30, 30)) == pytest.approx((250, 250, 250), abs=8)
    assert pixel(out, 2.75, (135, 240)) == pytest.approx((20, 60, 200), abs=8)


def caption() -> Image.Image:
    """A 60×60 white square, opaque, in the top-left corner of a transparent card."""
    card = Image.new("RGBA", (60, 60), (0, 0, 0, 0))
    card.paste((250, 250, 250, 255), (0, 0, 60, 60))
    return card


def pixel(path: Path, seconds: float, at: tuple[int, int]) -> tuple[int, ...]:
    frame = path.with_name(f"at-{seconds}.png")
    video.run_ffmpeg(["-ss", f"{seconds:.3f}", "-i", str(path), "-frames:v", "1", str(frame)])
    with Image.open(frame) as image:
        value = image.convert("RGB").getpixel(at)
    assert isinstance(value, tuple)
    return value
