"""The offline writer: what it promises a social manager, on briefs of different shapes."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layers.content.writers.base import MAX_SLIDE_CHARS, Brief, CaptionContext, fits
from layers.content.writers.copykit import norm, points, sentences, shorter, topics
from layers.content.writers.offline import OfflineWriter
from layers.content.writers.phrasebook import CAPTION_ENDINGS, VOICES
from tests.content.writers import briefs

ACME = briefs.acme(phrases=["acme coffee", "coffee", "daily ritual", "acme"])
SPARSE = Brief(app_name="Tally", app_description="Habit tracker.", tagline=None, phrases=[])
WRITER = OfflineWriter()


def all_sentences(*texts: str) -> list[str]:
    return [norm(s) for text in texts for s in sentences(text) if norm(s)]


def test_the_brief_splits_into_claims_and_benefits_in_its_own_words() -> None:
    found = {p.text: p.kind for p in points(ACME)}
    assert found["Single-origin beans from named farms, roasted weekly"] == "claim"
    assert found["The bag never goes stale"] == "benefit"
    assert found["You never run out before a hard workout"] == "benefit"
    assert found["Coffee that shows up before you run out"] == "tagline"


def test_topics_are_phrases_of_the_brief_never_the_brand() -> None:
    found = topics(ACME)
    assert "coffee subscriptions" in found and "night-shift workers" in found
    assert not any(t in ("acme", "acme coffee") for t in found)
    assert "roasted weekly" not in found  # a fragment, not a topic
    assert "daily ritual coffee" not in found  # the front of "…coffee subscriptions"
    assert found[:2] == ["coffee subscriptions", "coffee"]  # what the brief comes back to


def test_shorter_rewrites_at_a_clause_boundary_and_never_cuts() -> None:
    text = "Shipped on a cadence that matches how you actually drink coffee"
    assert shorter(text, 100) == text
    assert shorter(text, 40) == "Shipped on a cadence"
    assert shorter("Short", 3) is None


@pytest.mark.parametrize("voice", VOICES)
def test_a_builder_slideshow_says_each_thing_once_and_fits(voice: str) -> None:
    brief = Brief(**{**ACME.__dict__, "brand_voice": voice})
    for n in range(10):
        hook = WRITER.hooks(brief, 1, f"s{n}")[0]
        slides = WRITER.build_slides(brief, hook, 6, f"s{n}")
        caption = WRITER.caption(brief, hook, f"s{n}", slides=slides)
        said = all_sentences(hook, *slides, caption)
        assert len(slides) == 5 and len(said) == len(set(said)), (slides, caption)
        assert all(fits(s) and "…" not in s for s in [hook, *slides])
        assert "Acme Coffee" in slides[-1]


def test_the_body_draws_one_distinct_point_of_the_brief_per_slide() -> None:
    slides = WRITER.build_slides(ACME, "Hook", 6, "x")
    claims = [norm(p.text) for p in points(ACME)]
    used = [next(c for c in claims if c in norm(s)) for s in slides[:-1]]
    assert len(used) == len(set(used)) == 4


def test_a_sparse_brief_still_gives_distinct_slides() -> None:
    slides = WRITER.build_slides(SPARSE, "Hook", 6, "x")
    said = all_sentences(*slides)
    assert len(slides) == 5 and len(said) == len(set(said))


def test_a_remix_keeps_the_structure_and_replaces_the_topic() -> None:
    listed = ["5 sleep habits", "1. Dim the lights", "2. No phone in bed", "3. Same bedtime",
              "4. Cool room", "5. Read a little", "save this"]  # fmt: skip
    slides = WRITER.adapt_slides(ACME, listed, "sleep", "r")
    assert len(slides) == len(listed)
    assert [s[:3] for s in slides[1:-1]] == ["1. ", "2. ", "3. ", "4. ", "5. "]
    assert "sleep" not in " ".join(slides).lower()  # off-topic keyword replaced
    assert not set(all_sentences(*listed[1:-1])) & set(all_sentences(*slides))
    # A story keeps its rhythm: short beats stay one line, long ones get a second line.
    story = ["day in my life", "this part surprised me",
             "I was doing it wrong for years and it took a friend to point it out",
             "five minutes", "try it tomorrow"]  # fmt: skip
    told = WRITER.adapt_slides(ACME, story, "coffee", "r")
    assert len(told) == 5 and not any(s[:1].isdigit() for s in told[1:-1])
    assert "\n" in told[2] and "\n" not in told[1] and "\n" not in told[3]


def test_captions_of_a_project_end_differently_in_any_run_of_ten() -> None:
    recent: list[str] = []
    endings = []
    for position in range(40):
        caption = WRITER.caption(
            ACME, "Hook", f"cnt{position}", context=CaptionContext(position, recent[::-1][:9])
        )
        recent.append(caption)
        endings.append(norm(sentences(caption)[-1]))
    for start in range(len(endings) - 9):
        assert max(Counter(endings[start : start + 10]).values()) == 1
    assert len(set(endings)) >= len(CAPTION_ENDINGS)


def test_hashtags_come_from_the_bank_and_lead_with_the_brand() -> None:
    bank = ["acmecoffee", "coffee", "coffeetok", "run", "coffeetips", "coffeelover"]
    for n in range(10):
        tags = WRITER.hashtags(ACME, bank, "Hook", f"s{n}")
        assert tags[0] == "acmecoffee" and set(tags) <= set(bank) and len(tags) <= 5
    assert WRITER.hashtags(ACME, [], "Hook", "s") == []


@settings(max_examples=40, deadline=None)
@given(
    description=st.text(
        alphabet=st.sampled_from("abcdefghij klmnop,.—;"), min_size=0, max_size=300
    ),
    voice=st.sampled_from([*VOICES, "unknown"]),
    count=st.integers(min_value=3, max_value=8),
)
def test_any_brief_gives_the_asked_count_without_repeats(
    description: str, voice: str, count: int
) -> None:
    brief = Brief("App", description, None, brand_voice=voice, phrases=["x"])
    slides = WRITER.build_slides(brief, "Hook", count, "seed")
    assert len(slides) == count - 1
    assert all(0 < len(s) <= MAX_SLIDE_CHARS for s in slides)
    said = all_sentences("Hook", *slides)
    assert len(said) == len(set(said))
