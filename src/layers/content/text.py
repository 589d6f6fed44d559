"""Words: hooks, slide text adapted to the brand voice, captions. One `TextWriter` Protocol.

* `OpenAIWriter`: any OpenAI-compatible ``/chat/completions`` endpoint
  (``LAYERS_TEXTWRITER_URL``, ``…_API_KEY``, ``…_MODEL``), asked for JSON.
* `OfflineWriter`: deterministic, built from the project's brief, brand voice and keyword
  bank; no network. Test mode always uses it; live mode uses it when no endpoint is set.

Hooks separate setup and payoff with the two characters ``\\n`` (backslash, n), as the
reference API does; renderers turn them into a line break.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from layers.kit.errors import PlatformError
from layers.kit.settings import Settings
from layers.projects.keywords.research import to_hashtag

HOOK_BREAK = "\\n"
MAX_HOOK = 2000


@dataclass(frozen=True)
class Brief:
    """What a writer knows about the brand."""

    app_name: str | None
    app_description: str | None
    tagline: str | None
    brand_voice: str = "authentic"
    language: str = "en"
    phrases: list[str] = field(default_factory=list)  # keyword-bank phrases, best first
    persona_name: str | None = None

    @property
    def name(self) -> str:
        return self.app_name or "this app"


class TextWriter(Protocol):
    """Writes every piece of text in generated content."""

    def hooks(self, brief: Brief, count: int, seed: str) -> list[str]:
        """`count` distinct hooks, setup and payoff joined by ``\\n``."""
        ...

    def adapt_slides(self, brief: Brief, source: list[str], topic: str, seed: str) -> list[str]:
        """The source's slide texts rewritten for this brand: as many slides as the source,
        the first a hook, the last a call to action."""
        ...

    def build_slides(self, brief: Brief, hook: str, count: int, seed: str) -> list[str]:
        """The `count - 1` slides that follow `hook` (body slides, then a call to action)."""
        ...

    def caption(self, brief: Brief, hook: str, seed: str) -> str:
        """A post caption (without hashtags), at most 2,000 characters."""
        ...


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


# ---- the offline writer ------------------------------------------------------------------

_HOOKS: dict[str, list[str]] = {
    "authentic": [
        "I didn't expect {topic} to change my week{br}but here's what actually happened",
        "Real talk about {topic}{br}nobody tells you this part",
        "I tried {app} for 30 days{br}this is my honest take",
        "The {topic} mistake I kept making{br}and the fix that finally stuck",
        "What my {topic} looks like now{br}versus a month ago",
    ],
    "witty": [
        "POV: your {topic} finally has a plot{br}and the main character is {app}",
        "Me pretending I have {topic} figured out{br}(I found {app})",
        "{topic} but make it effortless{br}you're welcome",
        "Things that live rent-free in my head{br}{topic} edition",
        "Nobody: {br}me explaining {app} to everyone I meet",
    ],
    "professional": [
        "3 {topic} principles that actually scale{br}save this for later",
        "The data on {topic} is clear{br}here is what works",
        "How high performers approach {topic}{br}a quick framework",
        "Stop losing time on {topic}{br}a better system in 3 steps",
        "{topic}, simplified{br}what {app} gets right",
    ],
    "warm": [
        "A little {topic} ritual for you{br}because you deserve easier mornings",
        "If {topic} has felt heavy lately{br}this one's for you",
        "The small {topic} habit that made my days softer{br}let me show you",
        "For everyone juggling too much{br}here's how {app} helps with {topic}",
        "Your gentle reminder about {topic}{br}you don't have to do it alone",
    ],
    "casual": [
        "ok but why did nobody tell me about {topic}{br}game changer",
        "my {topic} setup rn{br}it's so easy",
        "trying {app} so you don't have to{br}ok I'm obsessed",
        "quick {topic} tip{br}you'll thank me later",
        "the {topic} hack I use every single day{br}here it is",
    ],
    "educational": [
        "Why {topic} matters more than you think{br}a 60-second explainer",
        "3 things to know about {topic}{br}number 2 surprised me",
        "The science behind better {topic}{br}explained simply",
        "{topic} myths, busted{br}what actually works",
        "A beginner's guide to {topic}{br}start here",
    ],
}

_TIE_INS: dict[str, list[str]] = {
    "authentic": ["{app} made this part easy", "that's where {app} comes in", "honestly? {app}"],
    "witty": ["{app} said: leave it to me", "plot twist: {app}", "{app} carried, not gonna lie"],
    "professional": ["{app} handles this step", "automate it with {app}", "{app} does it for you"],
    "warm": ["{app} takes care of this", "let {app} carry this one", "{app} has your back"],
    "casual": ["{app} does this for me", "lowkey thanks to {app}", "{app} = sorted"],
    "educational": ["{app} applies this for you", "this is what {app} is built on", "{app} helps"],
}

_CTAS: dict[str, str] = {
    "authentic": "Try {app} and see for yourself",
    "witty": "Go get {app}. Future you says thanks",
    "professional": "Start with {app} today",
    "warm": "Give {app} a try. You deserve it",
    "casual": "{app}. link in bio",
    "educational": "Learn more with {app}",
}


def _benefits(brief: Brief) -> list[str]:
    """Short benefit clauses taken from the description and tagline."""
    text = " ".join(part for part in (brief.tagline, brief.app_description) if part)
    clauses = []
    for piece in re.split(r"[.!?;—–]|, and |, so ", text):
        clause = piece.strip(" ,-")
        if 12 <= len(clause) <= 90:
            clauses.append(clause[0].upper() + clause[1:])
    return clauses or [f"{brief.name} keeps it simple"]


def _topics(brief: Brief) -> list[str]:
    """Keyword phrases worth talking about: not the brand's own name, not tiny words."""
    app = (brief.app_name or "").lower()
    good = [
        p
        for p in brief.phrases
        if len(p) >= 5 and p.lower() not in app and not (app and app in p.lower())
    ]
    return good or brief.phrases or [(brief.app_name or "your routine").lower()]


def _topic(brief: Brief, rng: random.Random) -> str:
    topics = _topics(brief)
    return rng.choice(topics[: max(1, min(6, len(topics)))])


_REPEATED_WORD = re.compile(r"\b(\w+) \1\b", re.IGNORECASE)


def _fill(template: str, brief: Brief, topic: str, br: str) -> str:
    return _REPEATED_WORD.sub(r"\1", template.format(app=brief.name, topic=topic, br=br))


def _clip(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


class OfflineWriter:
    """Deterministic text from templates per brand voice, filled from the brief."""

    def hooks(self, brief: Brief, count: int, seed: str) -> list[str]:
        rng = _rng("hooks", seed)
        templates = list(_HOOKS.get(brief.brand_voice, _HOOKS["authentic"]))
        topics = _topics(brief)[:8]
        candidates = [_fill(t, brief, topic, HOOK_BREAK) for t in templates for topic in topics]
        rng.shuffle(candidates)
        seen: list[str] = []
        for hook in candidates:
            if hook not in seen:
                seen.append(hook)
            if len(seen) == count:
                break
        return seen

    def adapt_slides(self, brief: Brief, source: list[str], topic: str, seed: str) -> list[str]:
        rng = _rng("adapt", seed)
        count = max(3, len(source))
        voice = brief.brand_voice if brief.brand_voice in _HOOKS else "authentic"
        first = _fill(rng.choice(_HOOKS[voice]), brief, topic or _topic(brief, rng), "\n")
        benefits = _benefits(brief)
        ties = _TIE_INS[voice]
        middle: list[str] = []
        body = source[1:-1] if len(source) >= 3 else source
        for index in range(count - 2):
            original = body[index % len(body)] if body else benefits[index % len(benefits)]
            point = _clip(re.sub(r"^\s*\d+[.)]\s*", "", original), 80)
            tie = _fill(ties[index % len(ties)], brief, topic, "")
            benefit = benefits[index % len(benefits)]
            line = f"{index + 1}. {point}"
            middle.append(f"{line}\n{tie}: {benefit[0].lower() + benefit[1:]}"[:220])
        cta = _fill(_CTAS[voice], brief, topic, "")
        last = f"{cta}\n{brief.tagline}" if brief.tagline else cta
        return [first, *middle, last]

    def build_slides(self, brief: Brief, hook: str, count: int, seed: str) -> list[str]:
        rng = _rng("build", seed)
        voice = brief.brand_voice if brief.brand_voice in _HOOKS else "authentic"
        benefits = _benefits(brief)
        rng.shuffle(benefits)
        ties = _TIE_INS[voice]
        slides = []
        for index in range(max(1, count - 2)):
            benefit = benefits[index % len(benefits)]
            tie = _fill(ties[index % len(ties)], brief, _topic(brief, rng), "")
            slides.append(f"{index + 1}. {_clip(benefit, 90)}\n{tie}")
        cta = _fill(_CTAS[voice], brief, "", "")
        slides.append(f"{cta}\n{brief.tagline}" if brief.tagline else cta)
        return slides

    def caption(self, brief: Brief, hook: str, seed: str) -> str:
        rng = _rng("caption", seed)
        opener = hook.replace(HOOK_BREAK, " — ").replace("\n", " — ")
        benefit = rng.choice(_benefits(brief))
        closer = _fill(_CTAS.get(brief.brand_voice, _CTAS["authentic"]), brief, "", "")
        return _clip(f"{opener}. {benefit}. {closer}.", 2000).replace("..", ".")


# ---- the OpenAI-compatible writer --------------------------------------------------------


class OpenAIWriter:
    """Chat completions with a JSON answer. Errors and unusable answers are PLATFORM_ERROR."""

    def __init__(
        self,
        url: str,
        api_key: str | None,
        model: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.model = model
        self.client = httpx.Client(timeout=timeout, transport=transport)

    def _system(self, brief: Brief) -> str:
        return (
            "You write short-form social copy (TikTok, Instagram) for a brand. "
            f"Brand: {brief.name}. Description: {brief.app_description or '-'}. "
            f"Tagline: {brief.tagline or '-'}. Brand voice: {brief.brand_voice}. "
            f"Write in the language with BCP-47 tag '{brief.language}'. "
            f"Topics the audience follows: {', '.join(brief.phrases[:10]) or '-'}. "
            "Never invent facts about the product beyond the description. "
            "Answer with one JSON object and nothing else."
        )

    def _complete(self, brief: Brief, instruction: str, key: str) -> Any:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        payload = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": self._system(brief)},
                {"role": "user", "content": instruction},
            ],
            "response_format": {"type": "json_object"},
            "temperature": 0.8,
        }
        try:
            response = self.client.post(
                f"{self.url}/chat/completions", json=payload, headers=headers
            )
        except httpx.HTTPError as exc:
            raise PlatformError(
                f"Text model unreachable: {type(exc).__name__}.", provider="textwriter"
            ) from exc
        if response.status_code != 200:
            raise PlatformError(
                f"Text model answered HTTP {response.status_code}.",
                provider="textwriter",
                platformCode=str(response.status_code),
            )
        try:
            content = response.json()["choices"][0]["message"]["content"]
            value = json.loads(content)[key]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise PlatformError(
                "Text model gave an unusable answer.", provider="textwriter"
            ) from exc
        return value

    def _strings(self, value: Any, count: int | None, what: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise PlatformError(f"Text model gave no list of {what}.", provider="textwriter")
        items = [v.strip() for v in value]
        if count is not None:
            if len(items) < count:
                raise PlatformError(f"Text model gave too few {what}.", provider="textwriter")
            items = items[:count]
        return items

    def hooks(self, brief: Brief, count: int, seed: str) -> list[str]:
        value = self._complete(
            brief,
            f"Write {count} distinct scroll-stopping hooks for short videos about this brand. "
            "Each hook has a setup and a payoff separated by the two characters \\n "
            '(a backslash followed by n). JSON: {"hooks": ["…"]}',
            "hooks",
        )
        hooks = self._strings(value, count, "hooks")
        return [h.replace("\n", HOOK_BREAK)[:MAX_HOOK] for h in hooks]

    def adapt_slides(self, brief: Brief, source: list[str], topic: str, seed: str) -> list[str]:
        count = max(3, len(source))
        value = self._complete(
            brief,
            f"Here are the texts of a popular {count}-slide TikTok slideshow about '{topic}': "
            f"{json.dumps(source, ensure_ascii=False)}. Rewrite it for our brand: keep the "
            "structure and the number of slides, make slide 1 a hook and the last slide a "
            "call to action naming the brand. At most 160 characters per slide. "
            'JSON: {"slides": ["…"]}',
            "slides",
        )
        return [s[:220] for s in self._strings(value, count, "slides")]

    def build_slides(self, brief: Brief, hook: str, count: int, seed: str) -> list[str]:
        value = self._complete(
            brief,
            f"Slide 1 of a {count}-slide TikTok slideshow says: {hook!r}. Write the remaining "
            f"{count - 1} slides: useful points that pay off the hook, then a call to action "
            'naming the brand. At most 160 characters per slide. JSON: {"slides": ["…"]}',
            "slides",
        )
        return [s[:220] for s in self._strings(value, count - 1, "slides")]

    def caption(self, brief: Brief, hook: str, seed: str) -> str:
        value = self._complete(
            brief,
            f"Write the caption for a post whose hook is {hook!r}: two or three sentences, no "
            'hashtags. JSON: {"caption": "…"}',
            "caption",
        )
        if not isinstance(value, str) or not value.strip():
            raise PlatformError("Text model gave no caption.", provider="textwriter")
        return value.strip()[:2000]


_writers: dict[tuple[str, str | None, str], OpenAIWriter] = {}


def text_writer(settings: Settings, livemode: bool) -> TextWriter:
    """The offline writer in test mode or when no endpoint is configured."""
    if livemode and settings.textwriter_url:
        key = (settings.textwriter_url, settings.textwriter_api_key, settings.textwriter_model)
        if key not in _writers:
            _writers[key] = OpenAIWriter(*key)
        return _writers[key]
    return OfflineWriter()


def hashtags_for(bank: list[str], app_name: str | None, limit: int = 5) -> list[str]:
    """Hashtags for a post: the bank's best, plus the brand's own tag."""

    tags = [t for t in bank[:limit] if t]
    own = to_hashtag(app_name) if app_name else ""
    if own and own not in tags:
        tags.append(own)
    return tags
