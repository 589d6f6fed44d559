"""Just enough English grammar to tell a topic from a fragment of a sentence.

Keyword research and the offline writer take phrases out of a brief (YAKE n-grams, clauses
cut short to fit a slide). Some of what comes out is not something a person would name:
"care plans follow" (a subject and its verb), "plant alive" (a noun and the adjective after
it), "Sprout tells you" (a verb without what it tells). This module answers the questions
that keep those out, from the word classes a word can have (`lemminflect`'s lexicon, built
from the SPECIALIST lexicon: pure Python, MIT, pinned in pyproject.toml) and from where the
phrase stands in the brief:

* `is_noun_phrase` — "phone camera", "night-shift workers", "weekly allowance": modifiers
  (adjectives, nouns, participles) before a noun, no function word, used in the brief where a
  noun phrase goes (not straight after "you" or "actually", not straight before "the");
* `attributive` — the form a topic takes before another noun ("houseplant habit", not
  "houseplants habit");
* `dangling` — whether a shortened text ends on a word that needs what was cut ("you",
  "the", "tells", "actually");
* `form` — what kind of clause a point of the brief is (a noun phrase, a clause with its
  subject, an imperative, a predicate whose subject was left in the sentence before, a
  participle), so that it is put only into shapes where it reads as a sentence.

English only: for another language every check answers as if the phrase were fine, and the
callers keep what they did before.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lemminflect import getAllLemmas, getInflection
from wordfreq import zipf_frequency

NOUN, VERB, ADJ, ADV = "NOUN", "VERB", "ADJ", "ADV"

DETERMINERS = frozenset(
    {
        "a", "an", "the", "this", "that", "these", "those", "every", "each", "your", "our",
        "my", "their", "its", "his", "her", "some", "any", "no", "all", "both", "either",
        "neither", "one", "another", "which", "what", "whose",
    }
)  # fmt: skip
PRONOUNS = frozenset(
    {
        "i", "you", "he", "she", "it", "we", "they", "me", "him", "us", "them", "yourself",
        "itself", "themselves", "myself", "ourselves", "someone", "anyone", "everyone",
    }
)  # fmt: skip
SUBJECTS = frozenset({"i", "you", "he", "she", "it", "we", "they"})
# Words that stand before a verb, so what follows them is no noun phrase ("you drink coffee",
# "to drink coffee", "actually needs water").
BEFORE_VERBS = frozenset(
    {
        *SUBJECTS, "to", "can", "could", "will", "would", "should", "must", "may", "might",
        "do", "does", "did", "don't", "never", "always", "actually", "really", "just", "also",
        "finally", "still", "even", "often", "usually", "then",
    }
)  # fmt: skip
PREPOSITIONS = frozenset(
    {
        "of", "to", "in", "on", "at", "by", "for", "with", "from", "into", "onto", "about",
        "over", "under", "before", "after", "until", "without", "through", "across", "per",
        "via", "like", "than", "between", "during", "within", "around", "up", "out", "off",
    }
)  # fmt: skip
CONJUNCTIONS = frozenset(
    {
        "and", "or", "but", "nor", "so", "yet", "because", "when", "while", "where", "how",
        "why", "who", "whom", "if", "unless", "though", "although", "whether", "as", "once",
    }
)  # fmt: skip
AUXILIARIES = frozenset(
    {
        "is", "are", "was", "were", "be", "being", "been", "am", "has", "have", "had", "do",
        "does", "did", "can", "could", "will", "would", "shall", "should", "may", "might",
        "must", "not",
    }
)  # fmt: skip
# Quantities and degrees: they qualify a noun phrase but do not name a topic ("fewer
# leaves", "more time").
QUANTIFIERS = frozenset(
    {"fewer", "less", "more", "most", "many", "much", "few", "several", "enough", "other",
     "same", "such", "own", "very", "too", "exactly", "actually", "really", "just"}
)  # fmt: skip
FUNCTION_WORDS = DETERMINERS | PRONOUNS | PREPOSITIONS | CONJUNCTIONS | AUXILIARIES | QUANTIFIERS
# A shortened text must not end on one of these: they promise what was cut ("the", "you",
# "to", "each", "actually"…).
DANGLING_WORDS = FUNCTION_WORDS | BEFORE_VERBS
# Verbs that need an object or a complement: a shortened text that ends on one of them
# ("Sprout tells", "students that sorts") says nothing, whatever else the word can be.
TRANSITIVE_VERBS = frozenset(
    {
        "tell", "show", "let", "help", "make", "get", "keep", "give", "send", "sort",
        "measure", "identify", "match", "follow", "set", "see", "know", "find", "bring",
        "put", "take", "need", "want", "use", "track", "save", "pay", "spend", "buy",
        "remind", "turn", "become", "stop", "start", "mean", "like", "love", "offer",
        "include", "cover", "plan", "build", "create", "connect", "handle", "manage",
    }
)  # fmt: skip

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_BOUNDARY = re.compile(r"[.!?;:,—–()]|\s-\s")


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased (hyphenated words stay whole)."""
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


@lru_cache(maxsize=4096)
def classes(word: str) -> frozenset[str]:
    """The word classes `word` can have (``NOUN``, ``VERB``, ``ADJ``, ``ADV``…). A word the
    lexicon does not hold but the word list knows ("app", "windowsill") is taken for a
    noun, as new words mostly are; a hyphenated word ("night-shift", "single-origin") is a
    modifier or a noun."""
    word = word.lower()
    if word in FUNCTION_WORDS:
        return frozenset()
    if "-" in word.strip("-"):
        return frozenset({NOUN, ADJ})
    found = frozenset(getAllLemmas(word))
    if found:
        return found
    if zipf_frequency(word, "en") > 0 and not word.endswith("ly"):
        return frozenset({NOUN})
    return frozenset()


def _verb_lemma(word: str) -> str | None:
    lemmas = getAllLemmas(word.lower()).get(VERB)
    return lemmas[0] if lemmas else None


def _only(word: str, *kinds: str) -> bool:
    found = classes(word)
    return bool(found) and found <= set(kinds)


def _plural_noun(word: str) -> bool:
    """A noun in the plural ("leaves", "plans"): its noun lemmas differ from it."""
    lemmas = getAllLemmas(word).get(NOUN)
    return bool(lemmas) and word not in lemmas and word.endswith("s")


def _modifier(word: str) -> bool:
    """A word that can stand before the head of a noun phrase."""
    found = classes(word)
    if NOUN in found or ADJ in found:
        return True
    return VERB in found and (word.endswith("ing") or word.endswith("ed"))


def _contexts(phrase: str, text: str) -> list[tuple[str, str]]:
    """(word before, word after) for each place `phrase` stands in `text`."""
    out = []
    pattern = r"\b" + r"[\s-]+".join(re.escape(w) for w in phrase.split()) + r"\b"
    for match in re.finditer(pattern, text, flags=re.IGNORECASE):
        # Only within the clause: a stop or a comma ends what the phrase is part of.
        before = words(_BOUNDARY.split(text[: match.start()])[-1])
        after = words(_BOUNDARY.split(text[match.end() :])[0])
        out.append((before[-1] if before else "", after[0] if after else ""))
    return out


def is_noun_phrase(phrase: str, text: str = "", language: str = "en") -> bool:
    """Whether `phrase` names something: modifiers then a noun, no function word, and (given
    the brief `text` it came from) standing somewhere in it as a noun phrase does — not
    straight after a subject or an adverb that wants a verb ("you drink coffee"), not
    straight before a determiner or a pronoun, the object of a verb ("measures the light")."""
    if not language.lower().startswith("en"):
        return True
    found = words(phrase)
    if not found or len(found) > 4 or len(phrase.strip()) < 3:
        return False
    if any(w in FUNCTION_WORDS for w in found):
        return False
    *mods, head = found
    head_classes = classes(head)
    gerund = head.endswith("ing") and VERB in head_classes  # "budgeting", "journaling"
    if not (NOUN in head_classes or gerund) or (head.endswith("ly") and ADV in head_classes):
        return False
    # A plural noun followed by another word is a subject and its verb ("leaves turn").
    if any(not _modifier(m) or _plural_noun(m) for m in mods):
        return False
    if text:
        places = _contexts(phrase, text)
        return not places or any(_noun_place(found, before, after) for before, after in places)
    return True


def _noun_place(found: list[str], before: str, after: str) -> bool:
    """Whether `found` (a phrase's words) stands as a noun phrase between `before` and
    `after`: not where a verb goes ("you drink coffee", "leaves turn yellow"), not as a verb
    before its object ("measures the light") or its complement ("day stops being…"), not as
    the front of a longer noun phrase ("ritual coffee" before "subscriptions")."""
    first, head = found[0], found[-1]
    if before in BEFORE_VERBS or after in DETERMINERS | PRONOUNS:
        return False
    if before in {"that", "which", "who"} and VERB in classes(first):
        return False  # "a cadence that matches", "coffee that shows up"
    if before and _plural_noun(before) and VERB in classes(first):
        return False
    if len(found) > 1 and after and classes(after) == {NOUN}:
        return False  # the front of a longer one: "ritual coffee" of "…coffee subscriptions"
    third_person = head.endswith("s") and _verb_lemma(head) not in (None, head)
    return not (third_person and (after in AUXILIARIES or after.endswith("ing")))


def attributive(phrase: str) -> str:
    """`phrase` as it stands before another noun: its head in the singular when the lexicon
    has exactly one singular for it ("houseplants" → "houseplant", "night-shift workers" →
    "night-shift worker"); an ambiguous plural ("leaves") stays as it is."""
    *mods, head = phrase.split(" ")
    lemmas: tuple[str, ...] = tuple(getAllLemmas(head.lower()).get(NOUN) or ())
    if head.lower().endswith("s") and len(lemmas) == 1 and lemmas[0] != head.lower():
        head = lemmas[0]
    return " ".join([*mods, head])


def plural(noun: str) -> str:
    """The plural of a noun ("plant" → "plants"), or the noun itself."""
    found = getInflection(noun.lower(), tag="NNS")
    return found[0] if found else noun


def dangling(text: str) -> bool:
    """Whether `text` ends on a word that needs what follows it: a function word or a
    pronoun ("…of the", "Sprout tells you"), an adverb that leads into a verb ("…houseplants
    actually"), a verb that takes an object ("students that sorts") or any word that can
    only be a verb."""
    found = words(text)
    if not found:
        return True
    last = found[-1]
    if last in DANGLING_WORDS:
        return True
    lemma = _verb_lemma(last)
    if lemma in TRANSITIVE_VERBS and (NOUN not in classes(last) or len(found) < 2):
        return True
    if lemma in TRANSITIVE_VERBS and found[-2] in {"that", "which", "who", *SUBJECTS}:
        return True
    return _only(last, VERB) and not last.endswith("ed")


def form(clause: str, subject_words: frozenset[str] = frozenset()) -> str:
    """What kind of text `clause` is, so it goes only into shapes it reads right in:

    * ``imperative`` — opens with a verb in its base form ("Set a weekly allowance");
    * ``predicate`` — opens with a verb in the third person, its subject left in the
      sentence before ("measures the light…", "identifies a plant…");
    * ``participle`` — opens with a past participle ("shipped on a cadence…");
    * ``clause`` — a subject and its verb ("Sprout tells you…", "Care plans follow…");
    * ``identity`` — a noun phrase with "a" or "an": what the product is ("A budgeting app
      for students…");
    * ``np`` — another noun phrase ("Single-origin beans from named farms").

    `subject_words` are words that open a clause as its subject (the brand's name)."""
    found = words(clause)
    if not found:
        return "np"
    first, second = found[0], (found[1] if len(found) > 1 else "")
    if first in ("a", "an"):
        return "identity"
    kinds = classes(first)
    object_next = second in DETERMINERS | PRONOUNS | CONJUNCTIONS or _only(second, ADV)
    lemma = _verb_lemma(first)
    if first in SUBJECTS or (first in subject_words and second and VERB in classes(second)):
        return "clause"
    if lemma is not None:
        if first.endswith("ed") and lemma != first and NOUN not in kinds:
            return "participle"
        if lemma == first and (NOUN not in kinds or object_next):
            return "imperative"
        if first.endswith("s") and lemma != first and (NOUN not in kinds or object_next):
            return "predicate"
    # A verb among the words before the first preposition or relative: a clause.
    for index, word in enumerate(found[:6]):
        if word in PREPOSITIONS or word in {"that", "which", "who"}:
            break
        if index and _only(word, VERB) and not word.endswith(("ing", "ed")):
            return "clause"
        if (
            index
            and VERB in classes(word)
            and word.endswith("s")
            and _verb_lemma(word) != word
            and found[index - 1] not in DETERMINERS
            and (index + 1 >= len(found) or found[index + 1] in DETERMINERS | PRONOUNS)
        ):
            return "clause"
    return "np"
