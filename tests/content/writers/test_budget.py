"""The slide budget (`MAX_SLIDE_CHARS`) against the renderer's real text layout: a slide
text within the budget renders at a size a phone reads without zooming, in every text box
the renderers use, whatever its words."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from layers.content.writers.base import HOOK_BREAK, MAX_SLIDE_CHARS, fits
from layers.render import drawing

LEGIBLE_PX = 48  # on a 1080-wide slide; TikTok's own caption text is about 42 px
PAD = 44  # `drawing.text_panel`'s padding on each side
# (box, max_size) of each renderer's text panel (`layers.render.compose`): hook slide, body
# slide beside a screenshot, end card, a video beat's caption card.
BOXES = [
    ((70, 480, 1010, 1500), 92),
    ((70, 120, 1010, 720), 76),
    ((90, 800, 990, 1780), 64),
    ((70, 1180, 1010, 1720), 72),
]
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12)  # prose, not caps


def rendered_size(text: str, box: tuple[int, int, int, int], max_size: int) -> int:
    left, top, right, bottom = box
    draw = ImageDraw.Draw(Image.new("RGB", (8, 8)))
    face, _lines, _height = drawing.fit_text(
        draw, text, (right - left - 2 * PAD, bottom - top - 2 * PAD), max_size=max_size
    )
    return int(face.size)


def test_fits_counts_a_hook_break_as_one_line_break() -> None:
    assert fits("a" * MAX_SLIDE_CHARS) and not fits("a" * (MAX_SLIDE_CHARS + 1))
    assert fits("a" * 50 + HOOK_BREAK + "b" * 59) and not fits("")


@settings(max_examples=30, deadline=None)
@given(words=st.lists(WORDS, min_size=8, max_size=40), breaks=st.integers(0, 2))
def test_a_slide_within_budget_renders_legibly_in_every_box(words: list[str], breaks: int) -> None:
    text = ""
    for word in words:
        if len(text) + len(word) + 1 > MAX_SLIDE_CHARS:
            break
        text = f"{text} {word}".strip()
    if breaks:
        cut = text.split(" ")
        step = max(1, len(cut) // (breaks + 1))
        text = "\n".join(" ".join(cut[i : i + step]) for i in range(0, len(cut), step))
    assert fits(text)
    for box, max_size in BOXES:
        assert rendered_size(text, box, max_size) >= LEGIBLE_PX, (text, box)


def test_the_budget_binds_where_the_text_box_is_tightest() -> None:
    """Twice the budget no longer reads in the video's caption card: the budget is not slack."""
    text = " ".join(["coffee", "beans", "roasted", "weekly"] * 12)[: 2 * MAX_SLIDE_CHARS]
    assert min(rendered_size(text, box, size) for box, size in BOXES) < LEGIBLE_PX
