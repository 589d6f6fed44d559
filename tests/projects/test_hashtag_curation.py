"""Hashtag curation: a bank of words and tags the platform knows, never made-up compounds."""

from __future__ import annotations

from layers.projects.keywords import research
from layers.projects.keywords.stats.base import HashtagStat
from layers.projects.keywords.stats.sandbox import SandboxHashtagStats
from layers.projects.keywords.stats.tiktok_research import UnmeasuredHashtagStats
from tests.support import ACME

TEXT = research.brief_text(ACME["appName"], ACME["appDescription"], ACME["tagline"])


def candidate(tag: str, phrase: str | None = None) -> research.Candidate:
    return research.Candidate(tag, phrase or tag, 0.9)


def test_words_are_words_and_compounds_are_not() -> None:
    assert research.is_word("coffee") and research.is_word("runners")
    assert research.is_word("café", "fr") and research.is_word("kaffee", "de")
    for junk in ("tasteandships", "skiptips", "dailyritualcoffee", "x1", "ab"):
        assert not research.is_word(junk)


def test_curate_keeps_words_known_tags_and_the_brand() -> None:
    found = [
        candidate("coffee"),
        candidate("acmecoffee", "acme coffee"),
        candidate("acme"),
        candidate("acmetok", "acme"),
        candidate("tasteandships", "taste and ships"),
        candidate("skiptips", "skip"),
        candidate("coffeetok", "coffee"),
        candidate("nightshiftworkers", "night shift workers"),
    ]
    stats: dict[str, HashtagStat | None] = {
        "coffeetok": HashtagStat(9_000_000, 120),
        "skiptips": HashtagStat(40, 2),  # a handful of posts: not a tag people follow
        "nightshiftworkers": None,
    }
    kept = {c.hashtag for c in research.curate(found, stats, "Acme Coffee", "en", TEXT)}
    assert kept == {"coffee", "acmecoffee", "coffeetok"}


def test_a_brand_word_the_brief_also_uses_stays_a_topic() -> None:
    text = "Daily Coffee. The coffee club for early risers."
    kept = research.curate([candidate("coffee")], {}, "Daily Coffee", "en", text)
    assert [c.hashtag for c in kept] == ["coffee"]


def test_the_acme_bank_holds_no_made_up_compound() -> None:
    phrases = research.extract_phrases(TEXT, "en")
    candidates = research.expand(phrases, ACME["appName"])
    for stats in (SandboxHashtagStats(), UnmeasuredHashtagStats()):
        measured = stats.measure([c.hashtag for c in candidates])
        curated = research.curate(candidates, measured, ACME["appName"], "en", TEXT)
        bank = research.rank(curated, measured)
        tags = {h.hashtag for h in bank}
        assert "coffee" in tags and "acmecoffee" in tags
        assert not tags & {"acme", "acmetok", "dailyritualcoffee", "runnersandnightshift"}
        for tag in tags:
            assert tag == "acmecoffee" or research.is_word(tag) or research.known(measured[tag])


def test_sandbox_stats_know_words_and_community_tags_only() -> None:
    found = SandboxHashtagStats().measure(["coffee", "coffeetok", "tasteandships"])
    assert found["coffee"] and found["coffeetok"] and found["tasteandships"] is None
