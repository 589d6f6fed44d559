"""Keyword research, the pure part: brief → candidate hashtags → ranked bank.

1. YAKE extracts 1–3 word key phrases from the app name, description and tagline; a phrase's
   relevance is its YAKE rank mapped onto (0, 1].
2. Expansion turns phrases into hashtags (``night shift workers`` → ``nightshiftworkers``) and
   the strongest single words into the community tags TikTok users actually follow
   (``coffeetok``, ``runnersoftiktok``, ``coffeetips`` …), at a discount.
3. Ranking blends relevance with measured popularity (log views) when a stats source
   measured the tag, and keeps the best `BANK_SIZE`.
4. Curation (`curate`, before ranking) keeps a tag only when it is a word of the project's
   language (wordfreq's list, at `WORD_ZIPF` or more), a tag the platform knows (the stats
   source found at least `KNOWN_USES` posts carrying it), or the brand's own name: no
   made-up compounds (``tasteandships``, ``skiptips``). Posts use only tags scored at or
   above `CURATION_FLOOR`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

import yake
from wordfreq import zipf_frequency

from layers.projects.keywords import grammar
from layers.projects.keywords.stats.base import HashtagStat

BANK_SIZE = 30
CURATION_FLOOR = 70  # the fact sheet's curation floor: a post uses tags scored this or more
WORD_ZIPF = 2.5  # wordfreq's Zipf scale: 2.5 ≈ once per 300 million words, still a word
KNOWN_USES = 5  # posts carrying a tag before the platform "knows" it
MAX_PHRASES = 24
YAKE_TOP = 60  # n-grams asked of YAKE; those that name something are kept, MAX_PHRASES of them

# TikTok community-tag patterns and how much of the word's relevance each keeps.
COMMUNITY_PATTERNS: tuple[tuple[str, float], ...] = (
    ("{w}tok", 0.85),
    ("{w}oftiktok", 0.8),
    ("{w}tiktok", 0.75),
    ("{w}tips", 0.75),
    ("{w}life", 0.7),
    ("{w}lover", 0.65),
    ("{w}hacks", 0.65),
    ("{w}routine", 0.6),
    ("{w}care", 0.6),
)
COMMUNITY_WORDS = 4
PART_KEEP = 0.9  # a word of a compound phrase, as a community stem: this much of its relevance
YAKE_LANGUAGES = frozenset(
    {
        "ar", "bg", "br", "cz", "da", "de", "el", "en", "es", "et", "fa", "fi",
        "fr", "hi", "hr", "hu", "hy", "id", "it", "ja", "lt", "lv", "nl", "no",
        "pl", "pt", "ro", "ru", "sk", "sl", "sv", "tr", "uk", "zh",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Candidate:
    hashtag: str
    phrase: str
    relevance: float


@dataclass(frozen=True)
class RankedHashtag:
    hashtag: str
    phrase: str
    score: int
    view_count: int | None
    use_count: int | None


def brief_text(app_name: str | None, description: str | None, tagline: str | None) -> str:
    return ". ".join(part.strip() for part in (app_name, description, tagline) if part)


def to_hashtag(phrase: str) -> str:
    """Lower-case letters and digits only, accents folded: what TikTok matches on."""
    folded = unicodedata.normalize("NFKD", phrase.lower())
    return "".join(ch for ch in folded if ch.isalnum() and not unicodedata.combining(ch))[:100]


def is_word(token: str, language: str = "en") -> bool:
    """Whether `token` is a word of `language` (or of English, which TikTok tags mix in)."""
    if len(token) < 3 or not token.isalpha():
        return False
    lan = language.split("-")[0].lower() or "en"
    return any(zipf_frequency(token, code) >= WORD_ZIPF for code in dict.fromkeys((lan, "en")))


def known(stat: HashtagStat | None) -> bool:
    """Whether the platform knows a tag: its stats source found posts carrying it."""
    return stat is not None and stat.use_count >= KNOWN_USES


def brand_only_words(app_name: str | None, text: str) -> set[str]:
    """The words of the brand's name that the brief uses nowhere else ("acme" of Acme Coffee,
    not "coffee"): no topic, no community."""
    if not app_name:
        return set()
    rest = re.sub(re.escape(app_name), " ", text, flags=re.IGNORECASE).lower()
    return {w for w in app_name.lower().split() if not re.search(rf"\b{re.escape(w)}\b", rest)}


def curate(
    candidates: list[Candidate],
    stats: dict[str, HashtagStat | None],
    app_name: str | None,
    language: str,
    text: str = "",
) -> list[Candidate]:
    """The candidates that are words, known tags, or the brand's own tag. A candidate made
    only of words that the brief uses nowhere but in the brand's name (``acme``, ``acmetok``
    for Acme Coffee) is no topic, and goes."""
    own = to_hashtag(app_name) if app_name else ""
    brand_only = brand_only_words(app_name, text)
    kept = []
    for candidate in candidates:
        tag = candidate.hashtag
        words = candidate.phrase.lower().split()
        if tag == own:
            kept.append(candidate)
        elif words and all(w in brand_only for w in words):
            continue
        elif is_word(tag, language) or known(stats.get(tag)):
            kept.append(candidate)
    return kept


def extract_phrases(
    text: str, language: str, app_name: str | None = None
) -> list[tuple[str, float]]:
    """(phrase, relevance) pairs, best first; relevance in (0, 1].

    Only phrases that name something: YAKE's n-grams include pieces of sentences ("care
    plans follow", "measures the light", "students that sorts") that are no topic and no
    hashtag. Ranked among the phrases, they took the top relevance and left the real topics
    ("houseplants", "weekly allowance") low; curation then dropped them, and the bank was
    left with a couple of tags at the curation floor. So they go before relevance is given
    (`grammar.is_noun_phrase`; in English, the language of its lexicon), and so do pieces of
    the brand's name alone ("pal" of Penny Pal; given `app_name`): the name itself stays."""
    lan = language.split("-")[0].lower()
    extractor = yake.KeywordExtractor(
        lan=lan if lan in YAKE_LANGUAGES else "en", n=3, top=YAKE_TOP, dedupLim=0.8
    )
    found: list[tuple[str, float]] = extractor.extract_keywords(text)
    phrases: list[str] = []
    brand = brand_only_words(app_name, text)
    for phrase, _score in found:
        clean = re.sub(r"\s+", " ", phrase).strip(" -—.,").lower()
        if len(to_hashtag(clean)) < 3 or clean in phrases:
            continue
        if set(clean.split()) <= brand and clean != (app_name or "").lower():
            continue
        if grammar.is_noun_phrase(clean, text, lan):
            phrases.append(clean)
    phrases = phrases[:MAX_PHRASES]
    total = len(phrases)
    return [(p, 1.0 - i / (total + 1)) for i, p in enumerate(phrases)]


def _brand_only(phrases: list[tuple[str, float]], app_name: str | None) -> set[str]:
    """The words of the brand's name that no other phrase of the brief uses ("acme", not
    "coffee", for Acme Coffee): no community grows around them."""
    name = (app_name or "").lower()
    others = {w for p, _ in phrases if name not in p for w in p.split()}
    return {w for w in name.split() if w not in others}


def expand(
    phrases: list[tuple[str, float]], app_name: str | None, language: str = "en"
) -> list[Candidate]:
    """Candidate tags from the phrases: each phrase run together; the community tags of the
    strongest words that are not only the brand's name (``planttok``, ``plantsoftiktok``,
    ``coffeetips``), a word of a compound phrase counting at `PART_KEEP` of the phrase's
    relevance ("budgeting" of "budgeting app"); the brand's own tag. Whether a candidate is
    a word or a tag the platform knows is `curate`'s question, after measuring."""
    best: dict[str, Candidate] = {}

    def offer(tag: str, phrase: str, relevance: float) -> None:
        if len(tag) < 3 or tag.isdigit():
            return
        current = best.get(tag)
        if current is None or relevance > current.relevance:
            best[tag] = Candidate(tag, phrase, round(relevance, 4))

    english = language.split("-")[0].lower() in ("en", "")
    brand = _brand_only(phrases, app_name)
    singles: dict[str, float] = {}
    for phrase, relevance in phrases:
        offer(to_hashtag(phrase), phrase, relevance)
        parts = phrase.split()
        if len(parts) == 1:
            singles[phrase] = max(singles.get(phrase, 0.0), relevance)
        elif english:
            # The words of a compound that name something ("budgeting" of "budgeting app")
            # lead to its community's tags ("budgetingtips"), not to tags of their own.
            for part in parts:
                if grammar.is_noun_phrase(part):
                    singles[part] = max(singles.get(part, 0.0), relevance * PART_KEEP)
    stems = sorted(
        (w for w in singles if len(to_hashtag(w)) >= 4 and w not in brand),
        key=lambda w: (-singles[w], w),
    )
    for word in stems[:COMMUNITY_WORDS]:
        stem = to_hashtag(word)
        for pattern, keep in COMMUNITY_PATTERNS:
            offer(pattern.format(w=stem), word, singles[word] * keep)
        if english:
            # "plantsoftiktok", the form the community uses, beside "plantoftiktok".
            offer(f"{to_hashtag(grammar.plural(word))}oftiktok", word, singles[word] * 0.8)
    if app_name:
        offer(to_hashtag(app_name), app_name.lower(), 0.9)
    return sorted(best.values(), key=lambda c: (-c.relevance, c.hashtag))


def rank(candidates: list[Candidate], stats: dict[str, HashtagStat | None]) -> list[RankedHashtag]:
    """Score 0–100: relevance alone, or 55% relevance + 45% log-popularity when measured."""
    ranked = []
    for candidate in candidates:
        stat = stats.get(candidate.hashtag)
        if stat is None:
            score = 100 * candidate.relevance
        else:
            popularity = min(1.0, math.log10(stat.view_count + 1) / 10)
            score = 100 * (0.55 * candidate.relevance + 0.45 * popularity)
        ranked.append(
            RankedHashtag(
                hashtag=candidate.hashtag,
                phrase=candidate.phrase,
                score=max(0, min(100, round(score))),
                view_count=stat.view_count if stat else None,
                use_count=stat.use_count if stat else None,
            )
        )
    ranked.sort(key=lambda h: (-h.score, -(h.view_count or 0), h.hashtag))
    return ranked[:BANK_SIZE]
