"""Videos with sound: every video has a loudness-normalised audio track, scenes follow the
voice-over, and a remix never shows the source's burned-in caption under ours."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw

from layers.content.speech import espeak
from layers.content.speech.espeak import EspeakSpeech
from layers.render import audio, clip, drawing, textbands, video
from layers.render.compose import Visuals
from layers.render.video import ffmpeg_exe

HOOK = "Three mornings that changed my week\\nlet me show you"
BEATS = ["Beans arrive before you run out", "Skip or pause any time", "Roasted the week you order"]
END = "Try Acme Coffee today"
MAGENTA = (255, 0, 255)


def brand() -> Visuals:
    return Visuals(
        palette=drawing.palette_for("warm", "test"),
        app_name="Acme Coffee",
        tagline="Coffee that shows up before you run out.",
        persona_name="Maya P.",
    )


def streams(path: Path) -> list[str]:
    """Stream descriptions from ffmpeg's probe of `path`."""
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True, check=False
    )
    return re.findall(r"Stream #\d+:\d+.*", done.stderr)


def frame_at(path: Path, seconds: float) -> Image.Image:
    out = path.with_name(f"frame-{seconds:.2f}.png")
    video.run_ffmpeg(["-ss", f"{seconds:.3f}", "-i", str(path), "-frames:v", "1", str(out)])
    return Image.open(out).convert("RGB")


def check_sound(path: Path, tolerance: float = 2.0) -> None:
    kinds = streams(path)
    assert any("Video: h264" in s and "1080x1920" in s for s in kinds), kinds
    assert any("Audio: aac" in s and "48000 Hz" in s and "mono" in s for s in kinds), kinds
    report = audio.loudness(path)
    assert abs(report.integrated - audio.TARGET_I) <= tolerance, report
    assert report.true_peak <= audio.TARGET_TP + 0.5, report


def test_without_a_voice_the_video_gets_a_normalised_music_bed(tmp_path: Path) -> None:
    rendered = clip.video_clip(brand(), HOOK, BEATS, END, tmp_path, seed="prj_1")
    mp4 = rendered[0].path
    assert rendered[0].duration_ms == 10_000
    assert video.probe(mp4).duration_ms == pytest.approx(10_000, abs=40)
    # The bed's peaks are rounded off, so a plain gain lands it on the target.
    check_sound(mp4, tolerance=0.5)


@pytest.mark.skipif(espeak.binary() is None, reason="espeak-ng not installed")
def test_scenes_follow_the_voice_over(tmp_path: Path) -> None:
    speech = EspeakSpeech().speak([HOOK, *BEATS, END], tmp_path, language="en")
    soundtrack = audio.Soundtrack(speech.path, voiced=True, durations=speech.slots)
    rendered = clip.video_clip(brand(), HOOK, BEATS, END, tmp_path, soundtrack=soundtrack)
    mp4 = rendered[0].path
    assert rendered[0].duration_ms == pytest.approx(speech.seconds * 1000, abs=34)
    check_sound(mp4)
    # The hook card stays up exactly while the hook is spoken, then the first beat comes.
    cut = speech.slots[0]
    assert speech.segments[0].end < cut
    inside = frame_at(mp4, cut - 0.15)
    assert same_picture(frame_at(mp4, 0.3), inside)
    after = frame_at(mp4, cut + 0.15)
    assert drawing_differs(inside, after)
    # And the end card comes when the call to action is spoken.
    end_cut = sum(speech.slots[:-1])
    assert drawing_differs(frame_at(mp4, end_cut - 0.15), frame_at(mp4, end_cut + 0.15))
    assert same_picture(frame_at(mp4, end_cut + 0.15), frame_at(mp4, speech.seconds - 0.2))


def changed_share(a: Image.Image, b: Image.Image) -> float:
    """The share of pixels that differ by more than encoding noise."""
    diff = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > 40 else 0)
    return diff.histogram()[255] / (a.width * a.height)


def drawing_differs(a: Image.Image, b: Image.Image) -> bool:
    return changed_share(a, b) > 0.2


def same_picture(a: Image.Image, b: Image.Image) -> bool:
    return changed_share(a, b) < 0.002


def source_with_caption(tmp_path: Path) -> Path:
    """A source video with its own caption burned in (magenta letters, lower third)."""
    card = Image.new("RGBA", (540, 960), (0, 0, 0, 0))
    draw = ImageDraw.Draw(card)
    face = drawing.font(46)
    for row, line in enumerate(["MOVE FOR TEN", "MINUTES DAILY"]):
        width = draw.textlength(line, font=face)
        draw.text(((540 - width) / 2, 640 + row * 62), line, font=face, fill=(*MAGENTA, 255))
    overlay = tmp_path / "caption.png"
    card.save(overlay)
    out = tmp_path / "source.mp4"
    video.synthetic_clip(out, seconds=4, colors=("#1d3557", "#0b1320", "#457b9d"), overlay=overlay)
    return out


def magenta_pixels(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    data = image.crop(box).tobytes()
    return sum(
        1
        for i in range(0, len(data), 3)
        if data[i] > 190 and data[i + 2] > 190 and data[i + 1] < 90
    )


def test_the_sources_caption_band_is_found(tmp_path: Path) -> None:
    source = source_with_caption(tmp_path)
    bands = textbands.detect(source)
    assert bands, "the burned-in caption is found"
    # The letters sit at 640-764 of 960 (0.667-0.796): one band covers them, and no more
    # than a little around them.
    assert any(b.top <= 0.667 and b.bottom >= 0.79 for b in bands), bands
    assert sum(b.bottom - b.top for b in bands) < 0.3
    plain = tmp_path / "plain.mp4"
    video.synthetic_clip(plain, seconds=4, colors=("#1d3557", "#0b1320", "#457b9d"))
    assert textbands.detect(plain) == []


def test_a_remix_never_shows_the_sources_caption_under_ours(tmp_path: Path) -> None:
    source = source_with_caption(tmp_path)
    visuals = brand()
    visuals.base_video = source
    band = (0, int(0.64 * 1920), 1080, int(0.82 * 1920))
    shown = {}
    for covered in (False, True):
        out = tmp_path / f"covered-{covered}"
        out.mkdir()
        rendered = clip.video_clip(
            visuals, HOOK, BEATS, END, out, footage_is_source=covered, seed="prj_1"
        )
        frame = frame_at(rendered[0].path, 3.0)  # the first beat
        frame.save(tmp_path / f"beat-{covered}.png")
        shown[covered] = magenta_pixels(frame, band)
        check_sound(rendered[0].path)
    assert shown[False] > 2000, "the test source's caption shows when nothing covers it"
    assert shown[True] == 0, "covered: not one magenta letter pixel left in the band"
