"""Composing a container's media from its words and the brand's visuals.

Slideshows: a hook slide (the influencer's portrait and name as the author), body slides (on
the source slide's blurred image, a generated background, or the brand's gradient; every
other one with a product screenshot in a phone frame), and an end slide (the logo, app name
and tagline, or the partner's own end-card). All 1080×1920 JPEG — the photo format both
TikTok and Instagram take.

Videos (`layers.render.clip`) use the hook and end slides drawn here as their first and last
scenes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

from layers.render import drawing
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
    # A generated picture for slides without a source picture (shown sharp, darkened).
    scene: Image.Image | None = None


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

Make = Callable[[], Image.Image]


class Memo:
    """Images one slideshow computes once and reuses across its slides: backdrops, gradients,
    the brand mark, phone frames.

    Scoped to one `slideshow` call, never kept across renders (a render must not get faster
    because an earlier one drew the same thing). `shared` images are read-only: nobody draws
    on them. `canvas` hands out an image the caller owns, copying a cached one only while a
    later slide still needs it (`uses` counts how many slides will ask for each key).
    """

    def __init__(self, uses: Counter[Hashable] | None = None) -> None:
        self.images: dict[Hashable, Image.Image] = {}
        self.uses: Counter[Hashable] = uses if uses is not None else Counter()

    def shared(self, key: Hashable, make: Make) -> Image.Image:
        if key not in self.images:
            self.images[key] = make()
        return self.images[key]

    def canvas(self, key: Hashable, make: Make) -> Image.Image:
        self.uses[key] -= 1
        wanted_again = self.uses[key] > 0
        image = self.images.pop(key) if key in self.images else make()
        if wanted_again:
            self.images[key] = image
            return image.copy()
        return image


def _shared(memo: Memo | None, key: Hashable, make: Make) -> Image.Image:
    return make() if memo is None else memo.shared(key, make)


def _backdrop_spec(visuals: Visuals, index: int) -> tuple[Hashable, Make]:
    """What slide `index` is drawn on: a key naming it and how to make it."""
    if visuals.backgrounds:
        which = index % len(visuals.backgrounds)
        source = visuals.backgrounds[which]
        return ("backdrop", which), lambda: drawing.backdrop(source)
    if visuals.scene is not None:
        scene = visuals.scene
        return ("scene",), lambda: drawing.scene(scene)
    shade = 0.85 + 0.15 * ((index % 3) / 2)
    r, g, b = (int(c * shade) for c in visuals.palette.top)
    return _gradient_spec((r, g, b), visuals.palette.bottom)


def _gradient_spec(top: drawing.RGB, bottom: drawing.RGB) -> tuple[Hashable, Make]:
    return ("gradient", top, bottom), lambda: drawing.gradient((WIDTH, HEIGHT), top, bottom)


def _canvas(spec: tuple[Hashable, Make], memo: Memo | None) -> Image.Image:
    """A full-frame RGB image of `spec` that the caller may draw on."""
    key, make = spec
    return make() if memo is None else memo.canvas(key, make)


def _end_spec(visuals: Visuals) -> tuple[Hashable, Make]:
    return _gradient_spec(visuals.palette.top, visuals.palette.bottom)


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


def _brand_mark(canvas: Image.Image, visuals: Visuals, memo: Memo | None = None) -> None:
    """A small logo (or the app name) in the bottom corner of body slides."""
    draw = ImageDraw.Draw(canvas)
    if visuals.logo is not None:
        logo = visuals.logo
        mark = _shared(memo, "mark", lambda: drawing.contain(logo.convert("RGBA"), (110, 110)))
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


def hook_slide(visuals: Visuals, text: str, *, memo: Memo | None = None) -> Image.Image:
    canvas = _canvas(_backdrop_spec(visuals, 0), memo)
    _author_badge(canvas, visuals)
    drawing.text_panel(canvas, text_of(text), (70, 480, 1010, 1500), palette=visuals.palette)
    _brand_mark(canvas, visuals, memo)
    return canvas


def body_slide(visuals: Visuals, text: str, index: int, *, memo: Memo | None = None) -> Image.Image:
    canvas = _canvas(_backdrop_spec(visuals, index), memo)
    screenshots = visuals.screenshots
    if screenshots and index % 2 == 1:
        which = (index // 2) % len(screenshots)
        phone = _shared(memo, ("phone", which), lambda: _phone(screenshots[which], 1040))
        canvas.paste(phone, ((WIDTH - phone.width) // 2, 760), phone)
        drawing.text_panel(
            canvas, text_of(text), (70, 120, 1010, 720), palette=visuals.palette, max_size=76
        )
    else:
        drawing.text_panel(canvas, text_of(text), (70, 420, 1010, 1500), palette=visuals.palette)
    _brand_mark(canvas, visuals, memo)
    return canvas


def end_slide(visuals: Visuals, text: str, *, memo: Memo | None = None) -> Image.Image:
    if visuals.end_card is not None:
        return drawing.cover(visuals.end_card, (WIDTH, HEIGHT))
    canvas = _canvas(_end_spec(visuals), memo)
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
    uses = Counter(_backdrop_spec(visuals, index)[0] for index in range(count - 1))
    if count > 1 and visuals.end_card is None:
        uses[_end_spec(visuals)[0]] += 1
    memo = Memo(uses)
    # Each slide is saved on another thread (without the GIL) while the next one is drawn.
    with ThreadPoolExecutor(max_workers=2) as savers:
        saved = []
        for index, text in enumerate(texts):
            if index == 0:
                image = hook_slide(visuals, text, memo=memo)
                first = image
            elif index == count - 1:
                image = end_slide(visuals, text, memo=memo)
            else:
                image = body_slide(visuals, text, index, memo=memo)
            path = out_dir / f"slide-{index + 1}.jpg"
            saved.append(savers.submit(drawing.save_jpeg, image, path))
            rendered.append(Rendered(path, "slide", index, "image/jpeg", WIDTH, HEIGHT))
            if progress:
                progress((index + 1) / count)
        for saving in saved:
            saving.result()
    assert first is not None
    thumb = out_dir / "thumbnail.jpg"
    thumb.write_bytes(drawing.thumbnail(first))
    rendered.append(Rendered(thumb, "thumbnail", 0, "image/jpeg", *drawing.THUMB_SIZE))
    return rendered
