"""The offline writer: a copywriter with a small toolkit (`copykit`, `phrasebook`), writing
from the brief, deterministic from the seed. No network. Test mode always uses it; live mode
uses it when no text model is configured. It writes English (``provider = "offline-en"``),
whatever the project's language: the container says so rather than pretend.

What it guarantees (docs/content.md, tests/content/test_content_quality.py):

* a hook, one distinct point per body slide drawn from the brief (claims and benefits of the
  description, the tagline, then keyword topics), a call to action;
* no sentence twice in a container, caption included;
* captions of a project end differently within any run of `len(CAPTION_ENDINGS)` posts;
* a remix keeps the source's structure (slide count, list or story, short or long lines) and
  none of its words: the topic becomes the brand's;
* every slide within `MAX_SLIDE_CHARS`, by choosing shorter shapes and shorter clauses of the
  brief, never by cutting.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from layers.content.writers import phrasebook as book
from layers.content.writers.base import (
    HOOK_BREAK,
    MAX_CAPTION,
    MAX_HASHTAGS,
    MAX_SLIDE_CHARS,
    Brief,
    CaptionContext,
    fits,
)
from layers.content.writers.copykit import (
    Point,
    Sheet,
    cap,
    low,
    main_topics,
    norm,
    points,
    rng,
    sentences,
    shorter,
    topic_for,
    topics,
)
from layers.projects.keywords import grammar

SHORT_LINE = 48  # a source line up to this long is a "short" beat of its rhythm
_NUMBERED = re.compile(r"^\s*\d+[.)]\s*")
RECENT_ENDINGS = 9  # a caption's ending differs from the endings of this many before it
PLAIN = frozenset({"{P}."})  # the plain statement: a frame that may come back
LONG_POINT = 72  # a long slide's point, leaving room for a tie-in line within the budget


def _voice(brief: Brief) -> str:
    return brief.brand_voice if brief.brand_voice in book.VOICES else "authentic"


def _fill(template: str, brief: Brief, **values: str) -> str:
    """`template` filled in; a topic goes in the form it takes before a noun ("the
    houseplant crowd", `grammar.attributive`)."""
    if "topic" in values:
        values["topic"] = grammar.attributive(values["topic"])
    text = template.format(app=brief.name, **values)
    return re.sub(r"\b(\w+) \1\b", r"\1", text, flags=re.IGNORECASE)


def _names(text: str, brief: Brief) -> bool:
    """Whether `text` already names the brand."""
    return bool(brief.app_name) and brief.name.lower() in text.lower()


def _echoes(text: str) -> bool:
    """Whether a word of four letters or more comes twice ("a little ritual coffee ritual")."""
    words = [w for w in re.findall(r"[a-z']+", text.lower()) if len(w) >= 4]
    return len(words) != len(set(words))


class _Writer:
    """One container's text in the making: the brief, its points in a seeded order, the
    sentences said so far."""

    def __init__(self, brief: Brief, seed: str, sheet: Sheet | None = None) -> None:
        self.brief = brief
        self.voice = _voice(brief)
        self.rng = rng("offline", seed)
        self.sheet = sheet or Sheet()
        found = points(brief)
        claims = [p for p in found if p.kind != "tagline"]
        self.rng.shuffle(claims)
        self.points = claims + [p for p in found if p.kind == "tagline"]
        self.topic = topic_for(brief, None, self.rng)
        self.frames: set[str] = set()
        self.frame_of: dict[str, str] = {}
        self.ties = 0  # tie-in lines in this container (at most `book.MAX_TIES`)
        # Whether the line just said names the brand, so that the next may call it "it".
        self.named = False
        # Whether the line just said is a claim, so that the next may follow on from it
        # ("Which means…", "The result?"): not after a hook, an opener or a benefit.
        self.follows = False

    # -- lines ---------------------------------------------------------------------------

    def _shapes(self, point: Point, prefer_plain: bool = True) -> list[str]:
        """The shapes `point` reads right in (by its grammatical form): the plain statement
        first (or last, unless `prefer_plain`), the others in a seeded order, and after all
        of them the frames this container used already."""
        table = {
            "claim": book.CLAIM_SHAPES,
            "benefit": book.BENEFIT_SHAPES,
            "tagline": book.TAGLINE_SHAPES,
        }[point.kind]
        shapes = [
            shape
            for shape, forms in table
            if point.form in forms
            and (self.named or shape not in book.IT_SHAPES)
            and (self.follows or shape not in book.CONNECTIVES)
        ]
        first, rest = shapes[:1], list(shapes[1:])
        self.rng.shuffle(rest)
        # A frame already used in this container goes last: two "The result?" lines read
        # like a template even when what follows differs.
        ordered = first + rest if prefer_plain else rest + first
        return sorted(ordered, key=lambda shape: shape in self.frames)

    def _point_lines(self, point: Point, limit: int, prefer_plain: bool) -> list[str]:
        """`point` in every shape, each rewritten to fit `limit` (shorter clauses of the
        brief, never a cut), plain statement first when `prefer_plain`."""
        shapes = self._shapes(point, prefer_plain)
        whole: list[str] = []
        shortened: list[str] = []
        for shape in shapes:
            frame = len(_fill(shape, self.brief, p="", P=""))
            text = shorter(point.text, limit - frame)
            if text is None:
                continue
            line = _fill(shape, self.brief, p=low(text, self.brief), P=cap(text))
            self.frame_of[line] = shape
            (whole if text == point.text else shortened).append(line)
        # The whole point in any shape before a shortened point.
        return whole + shortened

    def said(self, line: str | None) -> str | None:
        """Remember the frame of a point line once it is on the sheet."""
        if line is not None and line in self.frame_of and self.frame_of[line] not in PLAIN:
            self.frames.add(self.frame_of[line])
        return line

    def _topic_lines(self) -> list[str]:
        shapes = list(book.TOPIC_SHAPES)
        self.rng.shuffle(shapes)
        return [cap(_fill(s, self.brief, topic=t)) for t in topics(self.brief)[:4] for s in shapes]

    def _tie(self, limit: int) -> str | None:
        ties = list(book.TIES[self.voice])
        self.rng.shuffle(ties)
        return self.sheet.first(t for t in (_fill(t, self.brief) for t in ties) if len(t) <= limit)

    def body(self, count: int, numbered: bool, rhythm: Sequence[bool]) -> list[str]:
        """`count` body slides, each one point of the brief (or a topic line when the brief
        runs out); ``rhythm[i]`` true → a long slide: the point and a tie-in line, when the
        point is something the product does for you (`book.TIE_FORMS`: "A budgeting app for
        students. / Penny Pal does this for me." says nothing), does not name the brand
        already, and the container has fewer than `book.MAX_TIES`."""
        slides: list[str] = []
        queue = list(self.points)
        for index in range(count):
            long = rhythm[index % len(rhythm)] if rhythm else index % 2 == 0
            prefix = f"{len(slides) + 1}. " if numbered else ""
            budget = (LONG_POINT if long else MAX_SLIDE_CHARS) - len(prefix)
            line: str | None = None
            form = kind = ""
            while queue and line is None:
                point = queue.pop(0)
                line = self.said(
                    self.sheet.first(self._point_lines(point, budget, prefer_plain=numbered))
                )
                form, kind = point.form, point.kind
            if line is None:
                line = self.sheet.first(t for t in self._topic_lines() if len(t) <= budget)
            if line is None:
                line = self.sheet.first(book.FILLERS) or self.sheet.say(
                    f"{self.brief.name}, part {index + 1}."
                )
            text = prefix + line
            if (
                long
                and form in book.TIE_FORMS
                and self.ties < book.MAX_TIES
                and not _names(text, self.brief)
            ):
                tie = self._tie(MAX_SLIDE_CHARS - len(text) - 1)
                if tie:
                    self.ties += 1
                    text = f"{text}\n{tie}"
            slides.append(text)
            self.named = _names(text, self.brief)
            self.follows = kind == "claim"
        return slides

    def hook(self, lines: int = 2, count: int | None = None, topic: str | None = None) -> str:
        topic = topic or self.topic
        if count is not None:
            templates = list(book.LIST_HOOKS)
            self.rng.shuffle(templates)
            candidates = [cap(_fill(t, self.brief, topic=topic, n=str(count))) for t in templates]
        else:
            templates = list(book.HOOKS[self.voice])
            self.rng.shuffle(templates)
            candidates = [_fill(t, self.brief, topic=topic, br=HOOK_BREAK) for t in templates]
            if lines < 2:
                candidates = [c.split(HOOK_BREAK)[0] for c in candidates]
            if self.voice != "casual":
                candidates = [cap(c) for c in candidates]
        found = self.sheet.first(c for c in candidates if fits(c) and not _echoes(c))
        return found or self.sheet.say(cap(f"{topic}, the {self.brief.name} way"))

    def end(self) -> str:
        ctas = [_fill(c, self.brief) for c in book.CTAS[self.voice]]
        self.rng.shuffle(ctas)
        cta = self.sheet.first(ctas) or self.sheet.say(f"{self.brief.name}.")
        tagline = next((p for p in self.points if p.kind == "tagline"), None)
        if tagline is not None:
            line = shorter(tagline.text, MAX_SLIDE_CHARS - len(cta) - 1)
            # Not under the call to action when a slide said it already, in any shape.
            told = any(norm(line or "") in said for said in self.sheet.said)
            if line and not told and self.sheet.fresh(line + "."):
                return f"{cta}\n{self.sheet.say(line + '.')}"
        return cta


class OfflineWriter:
    """Deterministic copy from the brief; see the module docstring for what it keeps."""

    provider = "offline-en"

    def hooks(self, brief: Brief, count: int, seed: str) -> list[str]:
        writer = _Writer(brief, f"hooks:{seed}")
        found: list[str] = []
        main = main_topics(brief)
        rest = [t for t in topics(brief) if t not in main]
        candidates: list[str] = []
        # The main topics' hooks first, then the other topics' (seeded order within each).
        for group in (main, rest):
            filled = [
                _fill(t, brief, topic=topic, br=HOOK_BREAK)
                for t in book.HOOKS[writer.voice]
                for topic in group
            ]
            writer.rng.shuffle(filled)
            candidates += filled
        usable = [
            h if writer.voice == "casual" else cap(h)
            for h in candidates
            if fits(h) and not _echoes(h)
        ]
        # A bank of hooks to choose from: first one per template (no two share a sentence),
        # then the same templates on other topics.
        for hook in usable:
            if len(found) < count and writer.sheet.fresh(hook):
                found.append(writer.sheet.say(hook))
        for hook in usable:
            if len(found) < count and hook not in found:
                found.append(hook)
        return found

    def adapt_slides(self, brief: Brief, source: list[str], topic: str, seed: str) -> list[str]:
        """The source's structure with the brand's topic: as many slides, numbered when the
        source's body is, each body slide short or long as the source's was."""
        writer = _Writer(brief, f"adapt:{seed}")
        count = max(3, len(source))
        body = source[1:-1] if len(source) >= 3 else []
        numbered = bool(body) and sum(bool(_NUMBERED.match(t)) for t in body) * 2 > len(body)
        rhythm = [len(t) > SHORT_LINE or "\n" in t.strip() for t in body] or [True]
        subject = topic_for(brief, topic, writer.rng)
        first = source[0] if source else ""
        if numbered:
            hook = writer.hook(count=count - 2, topic=subject)
        else:
            two_lines = "\n" in first.strip() or HOOK_BREAK in first or len(first) > SHORT_LINE
            hook = writer.hook(lines=2 if two_lines else 1, topic=subject)
        writer.named = _names(hook, brief)
        slides = writer.body(count - 2, numbered, rhythm)
        return [hook, *slides, writer.end()]

    def build_slides(self, brief: Brief, hook: str, count: int, seed: str) -> list[str]:
        writer = _Writer(brief, f"build:{seed}")
        writer.sheet.say(hook)
        writer.named = _names(hook, brief)
        numbered = writer.rng.random() < 0.5
        start = writer.rng.random() < 0.5
        rhythm = [(i % 2 == 0) == start for i in range(max(1, count - 2))]
        return [*writer.body(max(1, count - 2), numbered, rhythm), writer.end()]

    def caption(
        self,
        brief: Brief,
        hook: str,
        seed: str,
        *,
        slides: Sequence[str] = (),
        context: CaptionContext | None = None,
    ) -> str:
        """An opener about the topic (rotated through the project's posts), one or two points
        the slides did not say, an ending rotated through the project's posts and unlike its
        recent captions' endings."""
        context = context or CaptionContext()
        sheet = Sheet()
        for text in [hook, *slides]:
            sheet.say(text)
        writer = _Writer(brief, f"caption:{seed}", sheet)
        # Openers rotate through the project's feed like endings do, so that posts next to
        # each other open differently.
        count = len(book.CAPTION_OPENERS)
        openers = [book.CAPTION_OPENERS[(context.position + k) % count] for k in range(count)]
        parts = [
            sheet.first(cap(_fill(o, brief, topic=writer.topic)) for o in openers)
            or sheet.say(cap(writer.topic) + ".")
        ]
        shown = " | ".join(norm(text) for text in [hook, *slides])
        # Points the slides did not make (even shortened) first.
        fresh = sorted(writer.points, key=lambda p: " ".join(norm(p.text).split()[:4]) in shown)
        for point in fresh[:4]:
            writer.named = _names(parts[-1], brief)
            line = writer.said(sheet.first(writer._point_lines(point, 160, prefer_plain=False)))
            if line:
                parts.append(line)
                writer.follows = point.kind == "claim"
            if len(parts) == 3:
                break
        parts.append(self._ending(brief, writer, sheet, context))
        return " ".join(parts)[:MAX_CAPTION]

    def _ending(self, brief: Brief, writer: _Writer, sheet: Sheet, context: CaptionContext) -> str:
        recent = {
            norm(sentences(c)[-1]) for c in list(context.recent)[:RECENT_ENDINGS] if sentences(c)
        }
        endings = book.CAPTION_ENDINGS
        start = context.position % len(endings)
        rotated = [endings[(start + k) % len(endings)] for k in range(len(endings))]
        filled = [_fill(e, brief, topic=writer.topic) for e in rotated]
        unused = [e for e in filled if norm(e) not in recent]
        return sheet.first(unused) or sheet.first(filled) or sheet.say(f"{brief.name}.")

    def hashtags(self, brief: Brief, bank: list[str], hook: str, seed: str) -> list[str]:
        """The brand's own tag when the bank has it, then a seeded pick of the bank's best,
        in the bank's order."""
        if not bank:
            return []
        own = "".join(ch for ch in (brief.app_name or "").lower() if ch.isalnum())
        chosen = [own] if own and own in bank else []
        pool = [t for t in bank[:8] if t not in chosen]
        pick = random.Random(rng("hashtags", seed).random())
        chosen += pick.sample(pool, min(len(pool), MAX_HASHTAGS - len(chosen)))
        return [t for t in bank if t in chosen][:MAX_HASHTAGS]
