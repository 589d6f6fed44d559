"""Composing a container's video: a hook card, beats of footage under captions, an end card,
and a soundtrack under all of it.

Timing follows the soundtrack: with a voice-over, each scene lasts as long as its words
(`Soundtrack.durations`), so every caption is on screen exactly while it is spoken; with
the music bed, scenes keep their default lengths. The audio is normalised to the loudness
target (`audio.TARGET_I`) in two passes.

Footage that is someone else's post (a video-remix's source) carries its own burned-in
caption; our caption must never sit on top of it. `footage_is_source` blurs the band of the
frame our caption occupies (the caption band is assumed there) plus every band where
`textbands.detect` finds static text, before our caption is laid over.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageDraw

from layers.render import audio, drawing, textbands, video
from layers.render.compose import Rendered, Visuals, end_slide, hook_slide, text_of
from layers.render.drawing import HEIGHT, WIDTH

Progress = Callable[[float], None]

HOOK_SECONDS = 2.0
BEAT_SECONDS = 2.0
END_SECONDS = 2.0
# Where beat captions go (l, t, r, b): the lower third, above the platforms' own buttons.
CAPTION_BOX = (70, 1180, 1010, 1720)
# The band of source footage blurred behind our caption (fractions of the frame height).
CAPTION_BAND = video.Cover(CAPTION_BOX[1] / HEIGHT - 0.02, CAPTION_BOX[3] / HEIGHT + 0.02)


def _brand_mark(card: Image.Image, visuals: Visuals) -> None:
    """The logo (or the app name) in the bottom corner, as on body slides."""
    if visuals.logo is not None:
        mark = drawing.contain(visuals.logo.convert("RGBA"), (110, 110))
        card.alpha_composite(mark, (WIDTH - mark.width - 60, HEIGHT - mark.height - 90))
        return
    draw = ImageDraw.Draw(card)
    face = drawing.font(36)
    text = drawing.drawable(visuals.app_name)
    width = draw.textlength(text, font=face)
    draw.text((WIDTH - width - 60, HEIGHT - 140), text, font=face, fill=(255, 255, 255))


def caption_card(visuals: Visuals, text: str) -> tuple[Image.Image, tuple[int, int]]:
    """A beat's caption (and the brand mark) as a transparent image cropped to what it draws,
    and where its top-left corner goes on the frame: ffmpeg blends only those pixels."""
    card = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 0))
    drawing.text_panel(card, text_of(text), CAPTION_BOX, palette=visuals.palette, max_size=72)
    _brand_mark(card, visuals)
    box = card.getchannel("A").getbbox() or (0, 0, 2, 2)
    # Even corners: the overlay is blended in 4:2:0, two pixels to a chroma sample.
    left, top = box[0] // 2 * 2, box[1] // 2 * 2
    right, bottom = min(WIDTH, -(-box[2] // 2) * 2), min(HEIGHT, -(-box[3] // 2) * 2)
    return card.crop((left, top, right, bottom)), (left, top)


def _durations(beats: int, soundtrack: audio.Soundtrack | None) -> list[float]:
    defaults = [HOOK_SECONDS, *([BEAT_SECONDS] * beats), END_SECONDS]
    if soundtrack is None or soundtrack.durations is None:
        return defaults
    if len(soundtrack.durations) != len(defaults):
        raise video.RenderError(
            f"the soundtrack times {len(soundtrack.durations)} scenes, the video has "
            f"{len(defaults)}"
        )
    return list(soundtrack.durations)


def video_clip(
    visuals: Visuals,
    hook: str,
    beats: list[str],
    end_text: str,
    out_dir: Path,
    *,
    soundtrack: audio.Soundtrack | None = None,
    footage_is_source: bool = False,
    seed: str = "",
    preset: str = video.PRESET,
    progress: Progress | None = None,
) -> list[Rendered]:
    """A hook card, one beat of footage per text, the end card, with sound: an MP4 (H.264 +
    AAC) and its thumbnail. No `soundtrack`: a music bed (seeded by `seed`) of the video's
    length."""
    durations = _durations(len(beats), soundtrack)
    total = sum(video.frame_counts(durations)) / video.FPS

    def sound() -> Path:
        track = soundtrack
        if track is None:
            bed = out_dir / "bed.wav"
            audio.music_bed(bed, total, seed or visuals.app_name)
            track = audio.Soundtrack(bed, voiced=False)
        final = video.AudioTrack(track.path, audio.normalise_filter(track, seconds=total))
        return video.encode_audio(final, total, out_dir / "audio.m4a")

    # The soundtrack is made, measured and encoded on one thread (ffmpeg does the work, so
    # the GIL is free); the hook and end cards and the thumbnail are drawn on another while
    # the footage, which needs only the caption cards, encodes.
    helpers = ThreadPoolExecutor(max_workers=2)
    prepared = helpers.submit(sound)
    captions = [caption_card(visuals, text) for text in beats]
    hook_image = helpers.submit(hook_slide, visuals, hook)
    end_image = helpers.submit(end_slide, visuals, end_text)
    thumb = out_dir / "thumbnail.jpg"
    thumbnail = helpers.submit(lambda: thumb.write_bytes(drawing.thumbnail(hook_image.result())))
    helpers.shutdown(wait=False)
    base = visuals.base_video
    if base is None:
        base = out_dir / "base.mp4"
        top, bottom, accent = (
            "#{:02x}{:02x}{:02x}".format(*c)
            for c in (visuals.palette.top, visuals.palette.bottom, visuals.palette.accent)
        )
        video.synthetic_clip(base, seconds=4, colors=(top, bottom, accent))
        footage_is_source = False
    base_seconds = max(0.5, video.probe(base).duration_ms / 1000)
    covers: tuple[video.Cover, ...] = ()
    if footage_is_source:
        covers = tuple(textbands.merged([CAPTION_BAND, *textbands.detect(base)]))
    if progress:
        progress(0.25)
    scenes = [video.Scene(durations[0], still=hook_image.result)]
    start = 0.0
    for index, (card, at) in enumerate(captions):
        seconds = durations[index + 1]
        scenes.append(
            video.Scene(
                seconds,
                clip=base,
                clip_start=start % base_seconds,
                clip_length=base_seconds,
                overlay=card,
                overlay_at=at,
                covers=covers,
            )
        )
        start += seconds
    scenes.append(video.Scene(durations[-1], still=end_image.result))
    out = out_dir / "video.mp4"
    try:
        video.encode(scenes, out, audio=prepared.result, preset=preset)
    finally:
        (out_dir / "audio.m4a").unlink(missing_ok=True)
    thumbnail.result()
    if progress:
        progress(0.9)
    return [
        Rendered(out, "video", 0, "video/mp4", WIDTH, HEIGHT, round(total * 1000)),
        Rendered(thumb, "thumbnail", 0, "image/jpeg", *drawing.THUMB_SIZE),
    ]
