"""The offline writer's toolkit: what a brief says, the shapes a line can take, and the
bookkeeping that keeps a container from saying anything twice.

* `points` splits the app description and tagline into *claims* (what the product is or
  does) and *benefits* (what follows for the user: the clauses after "so", "which means"…),
  keeping the brief's own words: nothing is invented about the product.
* `topics` are the keyword bank's phrases that are not the brand's own name.
* `shorter` rewrites a clause that is over a budget into a shorter clause of the same text
  (up to a comma, an "and", a relative clause) and never cuts it with an ellipsis.
* `Sheet` is one container's text in the making: every line offered to it is split into
  sentences, and a line with a sentence already on the sheet is refused.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from layers.content.writers.base import Brief
from layers.projects.keywords import research


def rng(*parts: str) -> random.Random:
    """A generator seeded from `parts` through SHA-256 (stable across processes, unlike
    Python's salted `hash`)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


# ---- sentences -------------------------------------------------------------------------------

_SPLIT = re.compile(r"(?<=[.!?])\s+|\n|\\n")
_NUMBERING = re.compile(r"^\s*(?:\d+[.)]|[-•*])\s*")
_NOT_WORD = re.compile(r"[^\w\s]")


def sentences(text: str) -> list[str]:
    """The sentences of `text`: split at sentence ends and line breaks (either kind)."""
    return [piece.strip() for piece in _SPLIT.split(text) if piece and piece.strip()]


def norm(sentence: str) -> str:
    """A sentence's identity: no numbering, no punctuation, no case, single spaces."""
    bare = _NOT_WORD.sub(" ", _NUMBERING.sub("", sentence).lower())
    return " ".join(bare.split())


@dataclass
class Sheet:
    """One container's text: the sentences said so far (by `norm`)."""

    said: set[str] = field(default_factory=set)

    def fresh(self, line: str) -> bool:
        keys = [norm(s) for s in sentences(line)]
        keys = [k for k in keys if k]
        return bool(keys) and len(set(keys)) == len(keys) and not self.said & set(keys)

    def say(self, line: str) -> str:
        self.said.update(k for k in (norm(s) for s in sentences(line)) if k)
        return line

    def first(self, candidates: Iterable[str]) -> str | None:
        """The first candidate that says nothing already said (and is then said)."""
        for line in candidates:
            if self.fresh(line):
                return self.say(line)
        return None


# ---- what the brief says ---------------------------------------------------------------------

_CLAUSE_BREAKS = re.compile(r"\s+[—–]\s+|;\s+|,\s+and\s+|,\s+but\s+|:\s+|\s+-\s+")
_BENEFIT_LEAD = re.compile(
    r"^(?:so that|so|which means|meaning|that way|and so|so you)\s+", re.IGNORECASE
)
_LEAD = re.compile(r"^(?:and|but|or|plus|then)\s+", re.IGNORECASE)
_BENEFIT_WORDS = re.compile(
    r"^(?:you|your|it|the \w+)\b.*\b(?:never|no more|without|less|faster|easier|saves?|"
    r"finally|stops?)\b",
    re.IGNORECASE,
)
MIN_CLAIM, MAX_CLAIM = 12, 160


@dataclass(frozen=True)
class Point:
    """One thing the brief says: ``kind`` is ``claim``, ``benefit`` or ``tagline``."""

    text: str  # capitalised, without a final stop
    kind: str


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def low(text: str, brief: Brief) -> str:
    """`text` to go mid-sentence: its first letter lowered, unless it starts a name or an
    acronym."""
    first = text.split(" ", 1)[0]
    brand = (brief.app_name or "").lower().split()
    if first.lower().strip(",.") in brand or (len(first) > 1 and first[1].isupper()):
        return text
    return text[:1].lower() + text[1:]


def _clean(clause: str) -> str:
    clause = re.sub(r"\s+", " ", clause).strip(" ,;:-—–.!?\"'")
    clause = _LEAD.sub("", clause)
    return clause


def points(brief: Brief) -> list[Point]:
    """Claims and benefits from the description, then the tagline, in the brief's order."""
    found: list[Point] = []
    seen: set[str] = set()

    def add(text: str, kind: str) -> None:
        key = norm(text)
        if MIN_CLAIM <= len(text) <= MAX_CLAIM and key and key not in seen:
            seen.add(key)
            found.append(Point(cap(text), kind))

    for sentence in re.split(r"(?<=[.!?])\s+", brief.app_description or ""):
        for piece in _CLAUSE_BREAKS.split(sentence):
            clause = _clean(piece)
            match = _BENEFIT_LEAD.match(clause)
            if match:
                rest = clause[match.end() :]
                # "the bag never goes stale and you never run out" → two benefits
                halves = re.split(r"\s+and\s+(?=you\b|your\b|it\b|the\b)", rest)
                for half in halves:
                    add(_clean(half), "benefit")
            else:
                add(clause, "benefit" if _BENEFIT_WORDS.search(clause) else "claim")
    if brief.tagline:
        add(_clean(brief.tagline), "tagline")
    return found


_FUNCTION_WORDS = frozenset(
    {
        "a", "an", "the", "and", "or", "but", "for", "of", "to", "in", "on", "at", "by",
        "with", "from", "into", "onto", "that", "this", "these", "those", "every", "each",
        "your", "our", "my", "their", "its", "is", "are", "be", "being", "been", "was", "were",
        "how", "what", "who", "which", "you", "we", "they", "it", "not", "no", "so", "than",
        "then",
    }
)  # fmt: skip
_VERBISH = frozenset(
    {
        "stops", "sorts", "goes", "shows", "matches", "gets", "makes", "keeps", "helps",
        "lets", "works", "takes", "runs", "set", "get", "see", "know", "drink", "run",
    }
)  # fmt: skip


def _topical(phrase: str) -> bool:
    """A phrase that reads as a topic ("weekly allowance", "night-shift workers"), not a
    fragment of a sentence ("students that sorts", "roasted weekly")."""
    words = phrase.split()
    if not words or any(w in _FUNCTION_WORDS for w in words):
        return False
    last = words[-1]
    return not (last.endswith("ly") or last in _VERBISH or len(phrase) < 4)


@lru_cache(maxsize=64)
def _brief_phrases(text: str, language: str) -> tuple[str, ...]:
    return tuple(p for p, _ in research.extract_phrases(text, language))


def topics(brief: Brief) -> list[str]:
    """What the brand's posts are about: the brief's multi-word key phrases that read as
    topics, then the keyword bank's single words; never the brand's own name."""
    brand = (brief.app_name or "").lower()
    brand_words = set(brand.split())
    text = research.brief_text(None, brief.app_description, brief.tagline)
    phrases = _brief_phrases(text, brief.language) if text else ()
    multi = [p for p in phrases if " " in p and _topical(p)]
    # The bank's single words ("month", "set") make poor topics: only when the brief has
    # too few phrases of its own.
    ordered = multi if len(multi) >= 3 else multi + [p.strip().lower() for p in brief.phrases]
    good: list[str] = []
    for clean in ordered:
        if clean in good or not _topical(clean):
            continue
        if brand and (brand in clean or set(clean.split()) <= brand_words):
            continue
        good.append(clean)
    return good[:8] or [(brief.app_name or "your routine").lower()]


def topic_for(brief: Brief, wanted: str | None, pick: random.Random) -> str:
    """`wanted` (a source's keyword) when it is about the brand's world, else one of the
    brief's topics."""
    options = topics(brief)
    if wanted:
        key = wanted.strip().lower()
        if any(key == t or key in t.split() or t in key for t in options):
            return key
    return pick.choice(options[: max(1, min(5, len(options)))])


# ---- fitting ---------------------------------------------------------------------------------

_TAIL_CUTS = (
    re.compile(r",\s+"),
    re.compile(r"\s+(?:and|but|while)\s+"),
    re.compile(r"\s+(?:that|which|who|so|because|when|before|after|until)\s+"),
    re.compile(r"\s+(?:for|with|from|on|in|at|by)\s+"),
)


def shorter(text: str, limit: int) -> str | None:
    """`text` itself when it is within `limit`, else the longest leading clause of it that
    is (at least three words, cut at a comma, a conjunction, a relative clause or a
    preposition), else None. Never an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    best: str | None = None
    for cut in _TAIL_CUTS:
        for match in cut.finditer(text):
            head = text[: match.start()].strip(" ,;:")
            if (
                len(head) <= limit
                and len(head.split()) >= 3
                and (best is None or len(head) > len(best))
            ):
                best = head
        if best is not None:
            return best
    return None
