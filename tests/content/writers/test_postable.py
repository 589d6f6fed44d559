"""Text a social manager would post (issue 18, "the text is not yet postable"): the offline
writer on the three briefs the project shows — Acme Coffee and Penny Pal (the must-show
test's brands) and Sprout (the contact sheets' plant-care app) — read for what made the old
text unpostable:

* a topic slot filled with a fragment of a sentence ("The small plant alive habit…", "The
  small leaves turn yellow habit…"): every topic in a hook, a topic line or a caption opener
  is one of the brief's noun phrases, from a list written here by hand;
* captions that open with a label ("Filed under: fewer leaves turn.");
* a shortened point that ends on a fragment ("Why it works: Sprout tells you."): no
  sentence ends on a function word or a verb that needs its object (lists below);
* a clause missing its subject ("What you get: identifies a plant from one photo.");
* the same tie-in line under every slide, even under a slide that names the brand;
* a thin hashtag bank: each brand's posts carry at least 3 tags, all at or above the
  curation floor, all words or tags the platform knows.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from layers.content.text import hashtags_for
from layers.content.writers import phrasebook as book
from layers.content.writers.base import Brief, CaptionContext
from layers.content.writers.copykit import points, sentences, shorter, topics
from layers.content.writers.offline import OfflineWriter
from layers.projects.keywords import research
from layers.projects.keywords.stats.sandbox import SandboxHashtagStats
from tests.content.writers import briefs

WRITER = OfflineWriter()
ACME = briefs.acme()
PENNY = Brief(
    app_name="Penny Pal",
    app_description=(
        "A budgeting app for students that sorts every card payment into categories "
        "automatically. Set a weekly allowance, get a nudge before you overspend, and see "
        "exactly where your money went at the end of the month — so rent day stops being "
        "scary."
    ),
    tagline="Know where every penny goes.",
    brand_voice="casual",
)
SPROUT = Brief(  # scripts/contact_sheets.py's brief
    app_name="Sprout",
    app_description=(
        "Sprout tells you when each of your houseplants actually needs water, measures the "
        "light on a windowsill with the phone camera, and identifies a plant from one photo. "
        "Care plans follow the season and the humidity of your home, so fewer leaves turn "
        "yellow and nothing drowns."
    ),
    tagline="Keep every plant alive, without guessing.",
    brand_voice="warm",
)
BRIEFS = {"acme": ACME, "penny": PENNY, "sprout": SPROUT}

# The noun phrases of each brief a person would accept as "what this post is about", in the
# form they take before a noun ("the houseplant crowd"): written by hand, not by the
# writer's grammar.
NOUN_PHRASES = {
    "acme": {
        "coffee", "coffee subscription", "ritual coffee subscription", "runner",
        "night-shift worker", "worker", "single-origin bean", "bean", "named farm", "farm",
        "hard workout", "workout", "cadence", "bag", "subscription", "ritual",
    },
    "penny": {
        "budgeting app", "budgeting", "app", "student", "card payment", "card", "payment",
        "category", "weekly allowance", "allowance", "nudge", "money", "month", "rent day",
        "rent", "day", "end",
    },
    "sprout": {
        "houseplant", "plant", "water", "light", "windowsill", "phone camera", "phone",
        "camera", "photo", "care plan", "care", "season", "humidity", "home",
    },
}  # fmt: skip
# What the issue quotes as topics that are no noun phrase.
FRAGMENTS = ("plant alive", "leaves turn", "fewer leaves", "care plans follow", "plans follow",
             "students that", "roasted weekly", "measures the", "set a weekly")  # fmt: skip
# A sentence must not end on one of these: they promise what follows.
FUNCTION_WORDS = frozenset(
    {"a", "an", "the", "to", "of", "for", "with", "from", "on", "in", "at", "by", "into",
     "you", "your", "each", "every", "that", "which", "who", "when", "where", "how", "and",
     "or", "but", "so", "before", "after", "until", "actually", "really", "just", "than"}
)  # fmt: skip
TRANSITIVE_VERBS = frozenset(
    {"tells", "tell", "sorts", "sort", "measures", "identifies", "follow", "follows",
     "matches", "shows", "needs", "need", "get", "gets", "set", "sets", "see", "know",
     "keep", "keeps", "lets", "helps", "makes", "gives", "sends", "tracks"}
)  # fmt: skip
# A sentence (or what follows its frame, "Why it works: …") must not open with a verb whose
# subject was left behind in the brief.
THIRD_PERSON_OPENERS = frozenset({"identifies", "measures", "tells", "sorts", "matches"})


def _pattern(template: str, **values: str) -> re.Pattern[str]:
    """A regex for `template` with ``{topic}`` captured and everything else literal."""
    parts = re.split(r"(\{topic\}|\{app\}|\{br\}|\{n\})", template)
    out = []
    for part in parts:
        if part == "{topic}":
            out.append(r"(?P<topic>.+?)")
        elif part in ("{app}", "{br}", "{n}"):
            out.append(re.escape(values[part[1:-1]]))
        else:
            out.append(re.escape(part))
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE)


def topics_in(text: str, templates: list[str], brief: Brief, n: str = "") -> list[str]:
    found = []
    for template in templates:
        if "{topic}" not in template:
            continue
        match = _pattern(template, app=brief.name, br="\\n", n=n).match(text)
        if match:
            found.append(match.group("topic").lower())
    return found


def containers(brief: Brief, runs: int = 12) -> list[dict[str, Any]]:
    """Builders and both kinds of remix, captions in feed order."""
    made: list[dict[str, Any]] = []
    recent: list[str] = []
    listed = ["5 sleep habits", "1. Dim the lights", "2. No phone in bed", "3. Same bedtime",
              "4. Cool room", "5. Read a little", "save this"]  # fmt: skip
    story = ["day in my life", "this part surprised me",
             "I was doing it wrong for years and it took a friend to point it out",
             "five minutes", "try it tomorrow"]  # fmt: skip
    for n in range(runs):
        seed = f"post{n}"
        if n % 3 == 0:
            hook = WRITER.hooks(brief, 1, seed)[0]
            slides = [hook, *WRITER.build_slides(brief, hook, 6, seed)]
        else:
            source = listed if n % 3 == 1 else story
            slides = WRITER.adapt_slides(brief, source, "sleep", seed)
        caption = WRITER.caption(
            brief, slides[0], seed, slides=slides[1:], context=CaptionContext(n, recent[::-1])
        )
        recent.append(caption)
        made.append({"slides": slides, "caption": caption})
    return made


@pytest.mark.parametrize("name", BRIEFS)
def test_topics_are_noun_phrases_of_the_brief(name: str) -> None:
    from layers.projects.keywords.grammar import attributive

    found = topics(BRIEFS[name])
    assert found
    for topic in found:
        assert attributive(topic) in NOUN_PHRASES[name], topic
        assert not any(fragment in topic for fragment in FRAGMENTS), topic


@pytest.mark.parametrize("name", BRIEFS)
def test_hooks_and_caption_openers_put_only_noun_phrases_in_the_topic_slot(name: str) -> None:
    brief = BRIEFS[name]
    hooks = WRITER.hooks(brief, 12, "bank")
    checked = 0
    for container in containers(brief):
        hooks.append(container["slides"][0])
        opener = sentences(container["caption"])[0]
        assert not opener.lower().startswith("filed under"), opener
        found = topics_in(opener, book.CAPTION_OPENERS, brief)
        assert found, f"the caption opens with no opener of the phrasebook: {opener!r}"
        assert found[0] in NOUN_PHRASES[name], opener
        checked += 1
        for slide in container["slides"][1:-1]:
            line = re.sub(r"^\d+\. ", "", slide.split("\n")[0])
            for topic in topics_in(line, book.TOPIC_SHAPES, brief):
                assert topic in NOUN_PHRASES[name], slide
    templates = [*book.HOOKS[brief.brand_voice], *book.LIST_HOOKS]
    for hook in hooks:
        lines = [hook, hook.split("\\n")[0]]
        counts = [str(n) for n in range(1, 10)]
        found = [t for line in lines for n in counts for t in topics_in(line, templates, brief, n)]
        for topic in found:
            assert topic in NOUN_PHRASES[name], hook
        assert not any(fragment in hook.lower() for fragment in FRAGMENTS), hook
    assert checked


def point_said(sentence: str, brief: Brief) -> str | None:
    """The part of `sentence` that is a point of the brief, whole or shortened (what follows
    its frame: "Why it works: …", "With Penny Pal, you can …", "It even …"), or None when
    the sentence is the phrasebook's own ("here's where Sprout comes in")."""
    said = re.split(r"[:?]\s+", sentence.rstrip("."))[-1]
    said = re.sub(r"^\d+\.\s+", "", said)
    leads = [
        f"with {brief.name.lower()}, you can ",
        f"{brief.name.lower()} is ",
        f"{brief.name.lower()} ",
        "it even ",
        "it ",
        "which means ",
        "that's how ",
    ]
    for lead in leads:
        if said.lower().startswith(lead):
            said = said[len(lead) :]
            break
    texts = [p.text.lower() for p in points(brief)]
    return said if said and any(t.startswith(said.lower()) for t in texts) else None


@pytest.mark.parametrize("name", BRIEFS)
def test_no_point_ends_on_a_dangling_word_or_opens_without_its_subject(name: str) -> None:
    brief = BRIEFS[name]
    checked = 0
    for container in containers(brief):
        for text in [*container["slides"], container["caption"]]:
            for sentence in sentences(text.replace("\\n", "\n")):
                body = re.findall(r"[a-z'-]+", re.split(r"[:?]\s+", sentence)[-1].lower())
                if not body:
                    continue  # "1." of "1. Set a weekly allowance."
                assert body[0] not in THIRD_PERSON_OPENERS, sentence
                said = point_said(sentence, brief)
                if said is None:
                    continue
                checked += 1
                last = re.findall(r"[a-z'-]+", said.lower())[-1]
                assert last not in FUNCTION_WORDS | TRANSITIVE_VERBS, sentence
    assert checked >= 30


@pytest.mark.parametrize("name", BRIEFS)
def test_a_shortened_point_still_says_something(name: str) -> None:
    for point in points(BRIEFS[name]):
        for limit in range(10, len(point.text) + 1, 3):
            short = shorter(point.text, limit)
            if short is None:
                continue
            last = re.findall(r"[a-z'-]+", short.lower())[-1]
            assert last not in FUNCTION_WORDS | TRANSITIVE_VERBS, (point.text, limit, short)
    # The example: no short form of it exists, so it is not offered.
    text = "Sprout tells you when each of your houseplants actually needs water"
    assert shorter(text, 40) is None


@pytest.mark.parametrize("name", BRIEFS)
def test_a_line_that_follows_on_never_follows_a_hook_or_an_opener(name: str) -> None:
    follow_ons = ("which means", "that's how", "the result?", "end result:",
                  "and the best part:", "it even", "bonus: it")  # fmt: skip
    for container in containers(BRIEFS[name]):
        first_body = re.sub(r"^\d+\. ", "", container["slides"][1]).lower()
        after_opener = sentences(container["caption"])[1].lower()
        for text in (first_body, after_opener):
            assert not text.startswith(follow_ons), container


def test_posts_next_to_each_other_open_their_captions_differently() -> None:
    openers = []
    for container in containers(SPROUT):
        opener = sentences(container["caption"])[0]
        template = [t for t in book.CAPTION_OPENERS if topics_in(opener, [t], SPROUT)]
        openers.append(template[0])
    window = len(book.CAPTION_OPENERS)
    for start in range(len(openers) - window + 1):
        assert len(set(openers[start : start + window])) == window, openers


@pytest.mark.parametrize("name", BRIEFS)
def test_tie_ins_are_few_and_never_under_a_slide_that_names_the_brand(name: str) -> None:
    brief = BRIEFS[name]
    ties = {t.format(app=brief.name) for t in book.TIES[brief.brand_voice]}
    for container in containers(brief):
        tied = 0
        for slide in container["slides"][1:-1]:
            first, *rest = slide.split("\n")
            if rest and rest[0] in ties:
                tied += 1
                assert brief.name.lower() not in first.lower(), slide
        assert tied <= book.MAX_TIES, container["slides"]


def bank_for(brief: Brief) -> dict[str, int]:
    """The hashtag bank keyword research makes from `brief` with the sandbox's stats."""
    text = research.brief_text(brief.app_name, brief.app_description, brief.tagline)
    phrases = research.extract_phrases(text, "en", brief.app_name)
    candidates = research.expand(phrases, brief.app_name, "en")
    stats = SandboxHashtagStats().measure([c.hashtag for c in candidates])
    curated = research.curate(candidates, stats, brief.app_name, "en", text)
    ranked = research.rank(curated, stats)
    for tag in ranked:
        assert (
            tag.hashtag == research.to_hashtag(brief.name)
            or research.is_word(tag.hashtag)
            or (research.known(stats[tag.hashtag]))
        ), tag
    return {h.hashtag: h.score for h in ranked}


@pytest.mark.parametrize("name", BRIEFS)
def test_each_brand_posts_three_to_five_curated_hashtags(name: str) -> None:
    brief = BRIEFS[name]
    bank = bank_for(brief)
    best = [t for t, score in bank.items() if score >= research.CURATION_FLOOR][:8]
    offered = hashtags_for(best, brief.app_name)
    for n in range(10):
        tags = WRITER.hashtags(brief, offered, "hook", f"post{n}")
        assert 3 <= len(tags) <= 5, (tags, bank)
        assert all(bank[t] >= research.CURATION_FLOOR for t in tags), (tags, bank)


def test_the_plant_bank_holds_the_plant_community_tags() -> None:
    bank = bank_for(SPROUT)
    assert {"plant", "planttok", "houseplants"} <= set(bank)
    assert not set(bank) & {"plantalive", "leavesturnyellow", "careplansfollow", "measures"}
