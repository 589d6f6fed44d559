"""The offline writer's toolkit: what a brief says, the shapes a line can take, and the
bookkeeping that keeps a container from saying anything twice.

* `points` splits the app description and tagline into *claims* (what the product is or
  does) and *benefits* (what follows for the user: the clauses after "so", "which means"…),
  keeping the brief's own words: nothing is invented about the product.
  Each point knows its grammatical form (a noun phrase, a clause, an imperative…), so it is
  only put into shapes where it reads as a sentence.
* `topics` are the brief's and the keyword bank's noun phrases, never the brand's own name,
  the ones the brief comes back to most first.
* `shorter` rewrites a clause that is over a budget into a shorter clause of the same text
  (up to a comma, an "and", a relative clause) that still says something, and never cuts it
  with an ellipsis.
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
from layers.projects.keywords import grammar, research


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

_CLAUSE_BREAKS = re.compile(
    r"\s+[—–]\s+|;\s+|,\s+and\s+|,\s+but\s+|:\s+|\s+-\s+|,\s+(?=so\s|which means\s)"
)
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
    """One thing the brief says: ``kind`` is ``claim``, ``benefit`` or ``tagline``; ``form``
    is what kind of text it is (`grammar.form`: ``np``, ``clause``, ``imperative``,
    ``participle``), which decides the shapes it may take."""

    text: str  # capitalised, without a final stop
    kind: str
    form: str = "clause"


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


def _series(pieces: list[str], brand: frozenset[str]) -> list[str]:
    """`pieces` with a series of actions split at its commas: "Sprout tells you …, measures
    the light …" and "Set a weekly allowance, get a nudge …" are two things each; a comma
    before anything else ("…from named farms, roasted weekly") stays."""
    out: list[str] = []
    for piece in pieces:
        parts = re.split(r",\s+", piece)
        current = parts[0]
        for part in parts[1:]:
            if grammar.form(part, brand) in ("predicate", "imperative") and len(part) >= MIN_CLAIM:
                out.append(current)
                current = part
            else:
                current = f"{current}, {part}"
        out.append(current)
    return out


def points(brief: Brief) -> list[Point]:
    """Claims and benefits from the description, then the tagline, in the brief's order.

    A clause whose subject was left in the sentence ("…, and identifies a plant from one
    photo") is a ``predicate``: its shapes give it a subject back, the brand or "it" (a
    description's subject is the product). Benefits (after "so", "which means"…) are
    clauses."""
    found: list[Point] = []
    seen: set[str] = set()
    brand = frozenset(grammar.words(brief.app_name or ""))

    def add(text: str, kind: str) -> None:
        key = norm(text)
        if not (MIN_CLAIM <= len(text) <= MAX_CLAIM and key and key not in seen):
            return
        form = "clause" if kind == "benefit" else grammar.form(text, brand)
        seen.add(key)
        found.append(Point(cap(text), kind, form))

    for sentence in re.split(r"(?<=[.!?])\s+", brief.app_description or ""):
        for piece in _series(_CLAUSE_BREAKS.split(sentence), brand):
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


@lru_cache(maxsize=64)
def _brief_phrases(text: str, language: str, app_name: str | None) -> tuple[str, ...]:
    return tuple(p for p, _ in research.extract_phrases(text, language, app_name))


def _salience(topic: str, brief_words: list[str]) -> int:
    """How often the brief comes back to `topic`: the brief's words that are one of its
    words or a compound ending in one, in either direction ("plant" in "plant", "plant",
    "houseplants"; not "plan" in "plant")."""
    stems = [grammar.attributive(w) for w in topic.replace("-", " ").split()]
    found = [grammar.attributive(b) for b in brief_words]
    return max(
        (sum(1 for b in found if b.endswith(s) or s.endswith(b)) for s in stems if len(s) >= 4),
        default=0,
    )


def topics(brief: Brief) -> list[str]:
    """What the brand's posts are about, best first: the brief's key phrases that are noun
    phrases (`grammar.is_noun_phrase`: "weekly allowance", "night-shift workers", never
    "care plans follow" or "plant alive"), then the keyword bank's; never the brand's own
    name. The phrases the brief comes back to most ("plant", "houseplants" for a plant-care
    app) come first, the brief's order breaking ties."""
    brand = (brief.app_name or "").lower()
    text = research.brief_text(None, brief.app_description, brief.tagline)
    # A word of the name is a topic when the brief uses it too ("coffee" of Acme Coffee).
    brand_words = research.brand_only_words(brief.app_name, text)
    phrases = _brief_phrases(text, brief.language, brief.app_name) if text else ()
    multi = [p for p in phrases if " " in p]
    singles = [p for p in phrases if " " not in p]
    bank = [p.strip().lower() for p in brief.phrases]
    # The bank's words ("month", "card") make poor topics: only when the brief has too few
    # phrases of its own. The brief's single words stay, behind its phrases: the salient
    # ones ("plant", "coffee") come first below.
    ordered = multi + singles + (bank if len(multi) < 3 else [])
    good: list[str] = []
    for clean in ordered:
        if clean in good or not grammar.is_noun_phrase(clean, text, brief.language):
            continue
        if brand and (brand in clean or set(clean.split()) <= brand_words):
            continue
        good.append(clean)
    brief_words = [w for w in grammar.words(text) if len(w) >= 4 and w not in brand_words]
    # Most salient first; among equals, a phrase of one or two words before a longer one
    # ("ritual coffee" reads better in "the ___ crowd" than "ritual coffee subscriptions").
    good.sort(key=lambda t: (-_salience(t, brief_words), len(t.split()) > 2))
    return good[:8] or [(brief.app_name or "your routine").lower()]


def main_topics(brief: Brief) -> list[str]:
    """The topics a post leads with: those the brief comes back to most (of one or two
    words, when there are two such), when it comes back to them twice or more ("plant",
    "houseplants"), else the first three."""
    found = topics(brief)
    text = research.brief_text(None, brief.app_description, brief.tagline)
    brand_words = research.brand_only_words(brief.app_name, text)
    brief_words = [w for w in grammar.words(text) if len(w) >= 4 and w not in brand_words]
    top = _salience(found[0], brief_words)
    best = [t for t in found if _salience(t, brief_words) == top]
    short = [t for t in best if len(t.split()) <= 2]  # "coffee subscriptions", not longer
    best = short if len(short) >= 2 else best
    return best[:3] if len(best) >= 2 and top >= 2 else found[:3]


def topic_for(brief: Brief, wanted: str | None, pick: random.Random) -> str:
    """`wanted` (a source's keyword) when it is a noun phrase about the brand's world, else
    one of the brief's main topics."""
    options = topics(brief)
    if wanted:
        key = wanted.strip().lower()
        about = any(key == t or key in t.split() or t in key for t in options)
        if about and grammar.is_noun_phrase(key, language=brief.language):
            return key
    return pick.choice(main_topics(brief))


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
    preposition) and still says something: it does not end on a word that needs what was
    cut (`grammar.dangling`: "Sprout tells you", "…that sorts", "…of the"). Else None: the
    caller uses another point or another shape. Never an ellipsis."""
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
                and not grammar.dangling(head)
                and (best is None or len(head) > len(best))
            ):
                best = head
        if best is not None:
            return best
    return None
