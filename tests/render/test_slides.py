"""Slideshow rendering: the speed work keeps the pictures (same pixels where it can, the same
look where it cannot), the memo is scoped to one slideshow, and the output stays 1080×1920
JPEG at the same quality."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

from layers.render import compose, drawing
from layers.render.drawing import HEIGHT, WIDTH

PALETTE = drawing.palette_for("warm", "tests")


def full_frame_text_panel(
    canvas: Image.Image,
    text: str,
    box: tuple[int, int, int, int],
    *,
    palette: drawing.Palette,
    max_size: int = 92,
) -> None:
    """The text panel as it was drawn before: a translucent layer the size of the canvas."""
    left, top, right, bottom = box
    pad = 44
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    face, lines, line_height = drawing.fit_text(
        draw, text, (right - left - 2 * pad, bottom - top - 2 * pad), max_size=max_size
    )
    block_h = len(lines) * line_height
    widest = max((draw.textlength(line, font=face) for line in lines), default=0)
    y0 = top + (bottom - top - block_h) // 2
    cx = (left + right) // 2
    draw.rounded_rectangle(
        (cx - widest / 2 - pad, y0 - pad * 0.8, cx + widest / 2 + pad, y0 + block_h + pad * 0.6),
        radius=36,
        fill=(0, 0, 0, 150),
    )
    for index, line in enumerate(lines):
        line_w = draw.textlength(line, font=face)
        x = left + (right - left - line_w) / 2
        y = y0 + index * line_height
        draw.text((x + 3, y + 3), line, font=face, fill=(0, 0, 0, 140))
        draw.text((x, y), line, font=face, fill=(*palette.ink, 255))
    canvas.alpha_composite(layer) if canvas.mode == "RGBA" else canvas.paste(layer, (0, 0), layer)


def photo(size: tuple[int, int] = (720, 1280)) -> Image.Image:
    image = Image.effect_noise(size, 70).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((80, 240, 560, 760), fill=(210, 90, 40))
    draw.rectangle((0, size[1] - 300, size[0], size[1]), fill=(30, 60, 140))
    return image


@pytest.mark.parametrize(
    ("text", "box", "max_size"),
    [
        ("The ritual I wish I'd started sooner\nlet me show you", (70, 480, 1010, 1500), 92),
        ("Short", (70, 120, 1010, 720), 76),
        ("Ünïcödé “quotes” — antidisestablishmentarianism", (90, 900, 990, 1780), 64),
        ("one two three four five six seven eight nine ten " * 7, (70, 1180, 1010, 1720), 72),
    ],
)  # fmt: skip
def test_text_panel_draws_the_same_pixels_as_a_full_frame_layer(
    text: str, box: tuple[int, int, int, int], max_size: int
) -> None:
    base = drawing.backdrop(photo())
    ours, reference = base.copy(), base.copy()
    drawing.text_panel(ours, text, box, palette=PALETTE, max_size=max_size)
    full_frame_text_panel(reference, text, box, palette=PALETTE, max_size=max_size)
    assert ImageChops.difference(ours, reference).getbbox() is None
    assert ImageChops.difference(ours, base).getbbox() is not None  # something was drawn


def test_text_panel_on_a_transparent_card_matches_too() -> None:
    """Video overlays draw the panel on a transparent card (RGBA): same pixels there too."""
    ours = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 0))
    reference = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 0))
    drawing.text_panel(ours, "Beat one\nof three", (70, 1180, 1010, 1720), palette=PALETTE)
    full_frame_text_panel(reference, "Beat one\nof three", (70, 1180, 1010, 1720), palette=PALETTE)
    assert ImageChops.difference(ours, reference).getbbox() is None
    assert ours.getbbox() is not None


def test_backdrop_looks_like_the_full_size_one() -> None:
    """Shrinking with a reducing gap, darkening before the upscale and a bilinear upscale give
    the same picture as the straightforward pipeline, within a couple of levels."""
    source = photo()
    small = ImageOps.fit(source, (WIDTH // 8, HEIGHT // 8), Image.Resampling.LANCZOS)
    big = small.filter(ImageFilter.GaussianBlur(6)).resize(
        (WIDTH, HEIGHT), Image.Resampling.BICUBIC
    )
    reference = Image.blend(big, Image.new("RGB", big.size, (0, 0, 0)), 0.45)
    ours = drawing.backdrop(source)
    assert ours.size == (WIDTH, HEIGHT) and ours.mode == "RGB"
    histogram = ImageChops.difference(ours, reference).convert("L").histogram()
    assert sum(histogram[13:]) == 0  # never more than 12 levels apart
    assert sum(histogram[4:]) / sum(histogram) < 0.01  # and within 3 almost everywhere


def bench_visuals(**changes: object) -> compose.Visuals:
    shot = Image.new("RGB", (590, 1278), (240, 236, 230))
    ImageDraw.Draw(shot).rectangle((0, 0, 590, 150), fill=(120, 60, 30))
    values: dict[str, object] = {
        "palette": PALETTE,
        "app_name": "Acme Coffee",
        "tagline": "Coffee that shows up before you run out.",
        "logo": Image.new("RGBA", (512, 512), (200, 120, 60, 255)),
        "screenshots": [shot],
        "avatar": drawing.gradient((512, 512), (230, 190, 160), (120, 80, 60)),
        "persona_name": "Maya P.",
        "backgrounds": [photo()],
    }
    values.update(changes)
    return compose.Visuals(**values)  # type: ignore[arg-type]


TEXTS = [
    "The morning ritual I wish I'd started sooner\nlet me show you",
    "1. Prep everything the night before",
    "2. Hydrate before anything else",
    "3. Move for ten minutes",
    "4. Protect a slow start",
    "Give Acme Coffee a try",
]


def reference_quantization() -> dict[int, list[int]]:
    probe = Image.open(__import__("io").BytesIO(drawing.encode_jpeg(photo((64, 64)))))
    return dict(probe.quantization)  # type: ignore[attr-defined]


def test_slideshow_output_is_1080x1920_jpeg_at_the_same_quality(tmp_path: Path) -> None:
    rendered = compose.slideshow(bench_visuals(), TEXTS, tmp_path)
    assert [r.role for r in rendered] == ["slide"] * 6 + ["thumbnail"]
    quantization = reference_quantization()
    for item in rendered:
        with Image.open(item.path) as image:
            assert image.format == "JPEG"
            expected = (WIDTH, HEIGHT) if item.role == "slide" else drawing.THUMB_SIZE
            assert image.size == expected == (item.width, item.height)
            if item.role == "slide":
                assert dict(image.quantization) == quantization  # type: ignore[attr-defined]
                assert image.info.get("progressive") or image.info.get("progression")


def test_a_shared_backdrop_is_made_once_and_never_drawn_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One source picture behind five slides: blurred once, and every slide starts from a
    clean copy (a slide's text never shows through on the next)."""
    calls: list[int] = []
    real = drawing.backdrop

    def counting(image: Image.Image, darken: float = 0.45) -> Image.Image:
        calls.append(1)
        return real(image, darken)

    monkeypatch.setattr(drawing, "backdrop", counting)
    visuals = bench_visuals(screenshots=[], logo=None, avatar=None, persona_name=None)
    compose.slideshow(visuals, TEXTS, tmp_path)
    assert len(calls) == 1
    clean = real(visuals.backgrounds[0])
    for index in (1, 2, 3, 4):
        with Image.open(tmp_path / f"slide-{index + 1}.jpg") as slide:
            # The top band holds nothing but the backdrop on body slides without a phone.
            band = (0, 0, WIDTH, 300)
            diff = ImageChops.difference(slide.convert("RGB").crop(band), clean.crop(band))
            assert max(diff.convert("L").getextrema()) <= 8  # JPEG noise, no leftover text

    compose.slideshow(visuals, TEXTS, tmp_path)
    assert len(calls) == 2  # a new slideshow makes its own (nothing kept across renders)


def test_memo_hands_out_copies_while_a_later_slide_still_needs_the_image() -> None:
    made: list[Image.Image] = []

    def make() -> Image.Image:
        made.append(Image.new("RGB", (4, 4), (10, 20, 30)))
        return made[-1]

    memo = compose.Memo(__import__("collections").Counter({"k": 2, "once": 1}))
    first = memo.canvas("k", make)
    first.putpixel((0, 0), (255, 255, 255))
    second = memo.canvas("k", make)
    assert len(made) == 1
    assert second.getpixel((0, 0)) == (10, 20, 30)  # drawing on the first did not leak
    assert "k" not in memo.images  # released after its last use
    single = memo.canvas("once", make)
    assert single is made[-1]  # used once: no copy at all


def test_builder_slides_without_pictures_are_unchanged_gradients(tmp_path: Path) -> None:
    visuals = bench_visuals(
        backgrounds=[], screenshots=[], logo=None, avatar=None, persona_name=None
    )
    compose.slideshow(visuals, TEXTS, tmp_path)
    for index in (1, 2, 3):
        shade = 0.85 + 0.15 * ((index % 3) / 2)
        top = tuple(int(c * shade) for c in PALETTE.top)
        expected = drawing.gradient((WIDTH, HEIGHT), top, PALETTE.bottom)  # type: ignore[arg-type]
        with Image.open(tmp_path / f"slide-{index + 1}.jpg") as slide:
            corner = (0, 0, WIDTH, 200)
            diff = ImageChops.difference(slide.convert("RGB").crop(corner), expected.crop(corner))
            assert max(diff.convert("L").getextrema()) <= 6


def test_a_generated_scene_sits_sharp_and_dimmed_behind_the_slides(tmp_path: Path) -> None:
    scene = photo((1024, 1536))
    visuals = bench_visuals(backgrounds=[], scene=scene, screenshots=[], logo=None)
    compose.slideshow(visuals, TEXTS, tmp_path)
    expected = drawing.scene(scene)
    with Image.open(tmp_path / "slide-3.jpg") as slide:
        band = (0, 0, WIDTH, 300)
        diff = ImageChops.difference(slide.convert("RGB").crop(band), expected.crop(band))
        assert sum(diff.convert("L").histogram()[24:]) / (WIDTH * 300) < 0.01
    # Dimmed: darker than the picture itself, but not blurred (edges survive).
    assert sum(expected.convert("L").get_flattened_data()) < sum(
        drawing.cover(scene, (WIDTH, HEIGHT)).convert("L").get_flattened_data()
    )
    edges = expected.convert("L").filter(ImageFilter.FIND_EDGES)
    assert max(edges.get_flattened_data()) > 40
    # A source slide still wins over a scene (remixes keep their source).
    with_source = bench_visuals(scene=scene)
    assert compose._backdrop_spec(with_source, 0)[0] == ("backdrop", 0)


def test_backdrop_sources_decode_at_a_reduced_scale_with_the_same_look() -> None:
    """A source slide only feeds a blurred eighth-size backdrop: a JPEG decodes at the
    smallest DCT scale that still covers twice that, and the backdrop does not change."""
    source = drawing.cover(photo(), (WIDTH, HEIGHT))
    jpeg = drawing.encode_jpeg(source)
    reduced = drawing.open_image(jpeg, at_least=drawing.BACKDROP_SOURCE)
    full = drawing.open_image(jpeg)
    assert reduced is not None and full is not None
    assert full.size == (WIDTH, HEIGHT) and reduced.size == drawing.BACKDROP_SOURCE
    diff = ImageChops.difference(drawing.backdrop(reduced), drawing.backdrop(full))
    assert max(diff.convert("L").getextrema()) <= 6
    png = drawing.encode_png(source)
    whole = drawing.open_image(png, at_least=drawing.BACKDROP_SOURCE)
    assert whole is not None and whole.size == (WIDTH, HEIGHT)  # only JPEG has scaled decoding
