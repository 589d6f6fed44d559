"""Test-mode hashtag stats: deterministic, plausible numbers for the tags of a small
made-up TikTok: every word (of the project's language or English), and the community tags in
`KNOWN_TAGS`. Like the real platform, it knows nothing of a made-up compound
(``tasteandships``): that tag is not measured (``None``)."""

from __future__ import annotations

import hashlib
import time

from layers.projects.keywords.research import is_word
from layers.projects.keywords.stats.base import HashtagStat

# Community tags the sandbox's TikTok knows (real, long-lived tags).
KNOWN_TAGS = frozenset(
    {
        "booktok", "cleantok", "coffeetok", "coffeelover", "coffeetime", "coffeeaddict",
        "fittok", "foodtok", "gymtok", "momtok", "studytok", "moneytok", "runtok",
        "morningroutine", "nightroutine", "selfcare", "productivity", "studywithme",
        "nightshift", "nightshiftnurse", "runnersoftiktok", "runningmotivation",
        "personalfinance", "budgeting", "languagelearning", "learnspanish", "healthyhabits",
        "mealprep", "skincareroutine", "wellness", "mindfulness", "lifehacks", "dayinmylife",
        "smallbusiness", "dailyroutine", "coffeetips", "specialtycoffee", "singleorigin",
        "fyp", "foryou", "foryoupage", "tiktokmademebuyit",
        "planttok", "plantsoftiktok", "plantcare", "plantlover", "plantlife", "planttips",
        "houseplants", "houseplanttok", "plantmom", "urbanjungle", "budgetingtips",
        "moneytips", "savingmoney", "studentlife", "financetips",
    }
)  # fmt: skip


class SandboxHashtagStats:
    """Deterministic, plausible numbers: a community's tag is big, and among words the
    short generic ones are the big ones."""

    def __init__(self, latency_ms: int = 0) -> None:
        self.latency_ms = latency_ms

    def measure(self, hashtags: list[str]) -> dict[str, HashtagStat | None]:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        out: dict[str, HashtagStat | None] = {}
        for tag in hashtags:
            if tag not in KNOWN_TAGS and not is_word(tag):
                out[tag] = None
                continue
            digest = hashlib.sha256(tag.encode()).digest()
            noise = int.from_bytes(digest[:4], "big") / 2**32
            if tag in KNOWN_TAGS:
                # A community's own tag is a big one: 100 million to 10 billion views, as
                # #coffeetok or #planttok have on the real platform.
                exponent = 8.0 + 2.0 * noise
            else:
                shortness = 1 - min(len(tag), 24) / 24
                exponent = 3.5 + 6.0 * (0.55 * shortness + 0.45 * noise)
            views = int(10**exponent)
            per_post = 800 + int.from_bytes(digest[4:6], "big") % 12000
            out[tag] = HashtagStat(view_count=views, use_count=max(1, views // per_post))
        return out
