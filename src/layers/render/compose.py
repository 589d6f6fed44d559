"""Composing a container's media from its words and the brand's visuals.

Slideshows: a hook slide (the influencer's portrait and name as the author), body slides (on
the source slide's blurred image, or with a product screenshot in a phone frame), and an end
slide (the logo, app name and tagline, or the partner's own end-card). All 1080×1920 JPEG —
the photo format both TikTok and Instagram take.

Videos: a hook card with the influencer, beats of the base footage (the demo video when the
project has one, else the source clip, else animated brand colours) under the adapted text,
and the end card. H.264 MP4, 30 fps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

from layers.render import drawing, video
from layers.render.drawing import HEIGHT, WIDTH, Palette


@dataclass
class Visuals:
    palette: Palette
    app_name: str
    tagline: str | None = None
    logo: Image.Image | None = None
    end_card: Image.Image | None = None
    screenshots: list[Image.Image] = field(default_factory=list)
    avatar: Image.Image | None = None
    persona_name: str | None = None
    backgrounds: list[Image.Image] = field(default_factory=list)  # the source's slides
    base_video: Path | None = None


@dataclass(frozen=True)
class Rendered:
    path: Path
    role: str  # slide | video | thumbnail
    position: int
    mime_type: str
    width: int
    height: int
    duration_ms: int | None = None


Progress = Callable[[float], None]


def _background(visuals: Visuals, index: int) -> Image.Image:
    if visuals.backgrounds:
        return drawing.backdrop(visuals.backgrounds[index % len(visuals.backgrounds)])
    shade = 0.85 + 0.15 * ((index % 3) / 2)
    top = tuple(int(c * shade) for c in visuals.palette.top)
    return drawing.gradient((WIDTH, HEIGHT), top, visuals.palette.bottom)  # type: ignore[arg-type]


def _author_badge(canvas: Image.Image, visuals: Visuals, top: int = 150) -> None:
    """The influencer's portrait and name: who is talking."""
    if visuals.avatar is None and not visuals.persona_name:
        return
    draw = ImageDraw.Draw(canvas)
    left = 90
    if visuals.avatar is not None:
        face = drawing.circle(visuals.avatar, 150, ring=visuals.palette.accent)
        canvas.paste(face, (left, top), face)
        left += face.width + 30
    if visuals.persona_name:
        name = drawing.drawable(visuals.persona_name)
        draw.text((left, top + 28), name, font=drawing.font(50), fill=(255, 255, 255))
        handle = "@" + "".join(ch for ch in name.lower() if ch.isalnum())
        draw.text((left, top + 92), handle, font=drawing.font(34, bold=False), fill=(230, 230, 230))


def _brand_mark(canvas: Image.Image, visuals: Visuals) -> None:
    """A small logo (or the app name) in the bottom corner of body slides."""
    draw = ImageDraw.Draw(canvas)
    if visuals.logo is not None:
        mark = drawing.contain(visuals.logo.convert("RGBA"), (110, 110))
        canvas.paste(mark, (WIDTH - mark.width - 60, HEIGHT - mark.height - 90), mark)
        return
    face = drawing.font(36)
    text = drawing.drawable(visuals.app_name)
    width = draw.textlength(text, font=face)
    draw.text((WIDTH - width - 60, HEIGHT - 140), text, font=face, fill=(255, 255, 255))


def _phone(screenshot: Image.Image, height: int) -> Image.Image:
    """A screenshot in a simple phone frame."""
    inner_h = height - 40
    shot = drawing.contain(screenshot.convert("RGB"), (int(inner_h * 0.5), inner_h))
    frame = Image.new("RGBA", (shot.width + 40, shot.height + 40), (0, 0, 0, 0))
    draw = ImageDraw.Draw(frame)
    draw.rounded_rectangle((0, 0, frame.width - 1, frame.height - 1), radius=56, fill=(18, 18, 18))
    mask = Image.new("L", shot.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, shot.width - 1, shot.height - 1), 40, fill=255)
    frame.paste(shot, (20, 20), mask)
    return frame


def text_of(text: str) -> str:
    return drawing.drawable(text.replace("\\n", "\n"))


def hook_slide(visuals: Visuals, text: str) -> Image.Image:
    canvas = _background(visuals, 0).convert("RGB")
    _author_badge(canvas, visuals)
    drawing.text_panel(canvas, text_of(text), (70, 480, 1010, 1500), palette=visuals.palette)
    _brand_mark(canvas, visuals)
    return canvas


def body_slide(visuals: Visuals, text: str, index: int) -> Image.Image:
    canvas = _background(visuals, index).convert("RGB")
    screenshots = visuals.screenshots
    if screenshots and index % 2 == 1:
        phone = _phone(screenshots[(index // 2) % len(screenshots)], 1040)
        canvas.paste(phone, ((WIDTH - phone.width) // 2, 760), phone)
        drawing.text_panel(
            canvas, text_of(text), (70, 120, 1010, 720), palette=visuals.palette, max_size=76
        )
    else:
        drawing.text_panel(canvas, text_of(text), (70, 420, 1010, 1500), palette=visuals.palette)
    _brand_mark(canvas, visuals)
    return canvas


def end_slide(visuals: Visuals, text: str) -> Image.Image:
    if visuals.end_card is not None:
        return drawing.cover(visuals.end_card, (WIDTH, HEIGHT))
    canvas = drawing.gradient((WIDTH, HEIGHT), visuals.palette.top, visuals.palette.bottom)
    draw = ImageDraw.Draw(canvas)
    top = 420
    if visuals.logo is not None:
        logo = drawing.contain(visuals.logo.convert("RGBA"), (360, 360))
        canvas.paste(logo, ((WIDTH - logo.width) // 2, top), logo)
        top += logo.height + 60
    else:
        badge = drawing.font(150)
        letters = drawing.initials(visuals.app_name)
        draw.rounded_rectangle((360, top, 720, top + 360), radius=80, fill=visuals.palette.accent)
        width = draw.textlength(letters, font=badge)
        draw.text(((WIDTH - width) / 2, top + 95), letters, font=badge, fill=visuals.palette.bottom)
        top += 420
    name_font = drawing.font(84)
    name = drawing.drawable(visuals.app_name)
    draw.text(((WIDTH - draw.textlength(name, font=name_font)) / 2, top), name, font=name_font,
              fill=(255, 255, 255))  # fmt: skip
    drawing.text_panel(
        canvas, text_of(text), (90, top + 150, 990, 1780), palette=visuals.palette, max_size=64
    )
    return canvas


def slideshow(
    visuals: Visuals, texts: list[str], out_dir: Path, progress: Progress | None = None
) -> list[Rendered]:
    """Render every slide (first: hook, last: end card) and a thumbnail of the first."""
    rendered: list[Rendered] = []
    count = len(texts)
    first: Image.Image | None = None
    for index, text in enumerate(texts):
        if index == 0:
            image = hook_slide(visuals, text)
            first = image
        elif index == count - 1:
            image = end_slide(visuals, text)
        else:
            image = body_slide(visuals, text, index)
        path = out_dir / f"slide-{index + 1}.jpg"
        path.write_bytes(drawing.encode_jpeg(image))
        rendered.append(Rendered(path, "slide", index, "image/jpeg", WIDTH, HEIGHT))
        if progress:
            progress((index + 1) / count)
    assert first is not None
    thumb = out_dir / "thumbnail.jpg"
    thumb.write_bytes(drawing.thumbnail(first))
    rendered.append(Rendered(thumb, "thumbnail", 0, "image/jpeg", *drawing.THUMB_SIZE))
    return rendered


def _overlay(visuals: Visuals, text: str) -> Image.Image:
    card = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 0))
    drawing.text_panel(card, text_of(text), (70, 1180, 1010, 1720), palette=visuals.palette,
                       max_size=72)  # fmt: skip
    _brand_mark(card, visuals)
    return card


HOOK_SECONDS = 2.0
BEAT_SECONDS = 2.0
END_SECONDS = 2.0


def video_clip(
    visuals: Visuals,
    hook: str,
    beats: list[str],
    end_text: str,
    out_dir: Path,
    *,
    preset: str = video.PRESET,
    progress: Progress | None = None,
) -> list[Rendered]:
    """A hook card, one beat of footage per text, the end card: an MP4 and its thumbnail."""
    hook_image = hook_slide(visuals, hook)
    hook_path = out_dir / "hook.png"
    hook_image.save(hook_path)
    end_path = out_dir / "end.png"
    end_slide(visuals, end_text).save(end_path)
    base = visuals.base_video
    if base is None:
        base = out_dir / "base.mp4"
        top, bottom, accent = (
            "#{:02x}{:02x}{:02x}".format(*c)
            for c in (visuals.palette.top, visuals.palette.bottom, visuals.palette.accent)
        )
        video.synthetic_clip(base, seconds=4, colors=(top, bottom, accent))
    base_seconds = max(0.5, video.probe(base).duration_ms / 1000)
    if progress:
        progress(0.25)
    scenes = [video.Scene(HOOK_SECONDS, still=hook_path)]
    for index, text in enumerate(beats):
        overlay_path = out_dir / f"beat-{index + 1}.png"
        _overlay(visuals, text).save(overlay_path)
        scenes.append(
            video.Scene(
                BEAT_SECONDS,
                clip=base,
                clip_start=(index * BEAT_SECONDS) % base_seconds,
                overlay=overlay_path,
            )
        )
    scenes.append(video.Scene(END_SECONDS, still=end_path))
    out = out_dir / "video.mp4"
    video.encode(scenes, out, preset=preset)
    info = video.probe(out)
    if progress:
        progress(0.9)
    thumb = out_dir / "thumbnail.jpg"
    thumb.write_bytes(drawing.thumbnail(hook_image))
    return [
        Rendered(out, "video", 0, "video/mp4", info.width, info.height, info.duration_ms),
        Rendered(thumb, "thumbnail", 0, "image/jpeg", *drawing.THUMB_SIZE),
    ]
