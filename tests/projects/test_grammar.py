"""The grammar keyword research and the offline writer lean on: noun phrases, not fragments
of sentences; shortened text that does not end on a word needing what was cut."""

from __future__ import annotations

import pytest

from layers.projects.keywords import grammar, research

SPROUT = (
    "Sprout tells you when each of your houseplants actually needs water, measures the light "
    "on a windowsill with the phone camera, and identifies a plant from one photo. Care plans "
    "follow the season and the humidity of your home, so fewer leaves turn yellow and nothing "
    "drowns. Keep every plant alive, without guessing."
)


@pytest.mark.parametrize(
    "phrase",
    ["phone camera", "care plans", "houseplants", "plant", "windowsill", "night-shift workers",
     "weekly allowance", "budgeting"],
)  # fmt: skip
def test_noun_phrases(phrase: str) -> None:
    assert grammar.is_noun_phrase(phrase)


@pytest.mark.parametrize(
    "phrase",
    ["plant alive", "leaves turn yellow", "fewer leaves turn", "care plans follow",
     "plans follow", "measures the light", "students that sorts", "roasted weekly",
     "categories automatically", "identifies"],
)  # fmt: skip
def test_fragments_of_sentences_are_not(phrase: str) -> None:
    assert not grammar.is_noun_phrase(phrase)


def test_where_a_phrase_stands_decides_what_it_is() -> None:
    text = "Shipped on a cadence that matches how you actually drink coffee. Coffee subscriptions."
    assert not grammar.is_noun_phrase("drink coffee", text)  # after "actually": a verb
    assert not grammar.is_noun_phrase("turn yellow", SPROUT)  # after "leaves": their verb
    assert not grammar.is_noun_phrase("measures", SPROUT)  # before "the": a verb
    assert grammar.is_noun_phrase("light", SPROUT) and grammar.is_noun_phrase("water", SPROUT)
    text = "Daily ritual coffee subscriptions for runners."
    assert not grammar.is_noun_phrase("ritual coffee", text)  # the front of a longer one
    assert grammar.is_noun_phrase("coffee subscriptions", text)


def test_a_phrase_before_a_noun_takes_the_singular() -> None:
    assert grammar.attributive("houseplants") == "houseplant"
    assert grammar.attributive("night-shift workers") == "night-shift worker"
    assert grammar.attributive("coffee") == "coffee"
    assert grammar.attributive("leaves") == "leaves"  # leaf or leave: left as it is


@pytest.mark.parametrize(
    ("text", "dangles"),
    [
        ("Sprout tells you", True),
        ("Sprout tells you when each", True),
        ("Sprout tells you when each of your houseplants actually", True),
        ("A budgeting app for students that sorts", True),
        ("Single-origin beans from named farms and the", True),
        ("A budgeting app for students", False),
        ("Care plans follow the season", False),
        ("Shipped on a cadence", False),
        ("Get a nudge", False),
    ],
)
def test_dangling(text: str, dangles: bool) -> None:
    assert grammar.dangling(text) is dangles


@pytest.mark.parametrize(
    ("clause", "form"),
    [
        ("Sprout tells you when each of your houseplants actually needs water", "clause"),
        ("Care plans follow the season", "clause"),
        ("measures the light on a windowsill", "predicate"),
        ("identifies a plant from one photo", "predicate"),
        ("Set a weekly allowance", "imperative"),
        ("see exactly where your money went", "imperative"),
        ("shipped on a cadence that matches how you drink coffee", "participle"),
        ("A budgeting app for students that sorts every card payment", "identity"),
        ("Daily ritual coffee subscriptions for runners", "np"),
        ("Single-origin beans from named farms, roasted weekly", "np"),
    ],
)
def test_form(clause: str, form: str) -> None:
    assert grammar.form(clause, frozenset({"sprout"})) == form


def test_research_keeps_noun_phrases_only_and_ranks_them() -> None:
    text = research.brief_text("Sprout", SPROUT, None)
    phrases = [p for p, _ in research.extract_phrases(text, "en", "Sprout")]
    assert {"plant", "houseplants", "phone camera", "care plans"} <= set(phrases)
    assert not {"care plans follow", "plant alive", "leaves turn yellow"} & set(phrases)


def test_another_language_is_left_to_yake() -> None:
    assert grammar.is_noun_phrase("tome el café", language="es")
