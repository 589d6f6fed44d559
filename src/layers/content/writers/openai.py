"""The live writer: any OpenAI-compatible ``POST /chat/completions`` endpoint
(``LAYERS_TEXTWRITER_URL``, ``…_API_KEY``, ``…_MODEL``).

Every call asks for one JSON object through ``response_format: {type: "json_schema",
json_schema: {name, strict: true, schema}}`` (structured outputs): hooks, the slides of a
slideshow or a remix, a caption, the choice of hashtags (an ``enum`` of the curated bank, so
the model cannot make one up). The answer is checked against what was asked (count, slide
budget); a slide over `MAX_SLIDE_CHARS` is sent back once to be rewritten shorter, never cut.
Errors and unusable answers are ``PLATFORM_ERROR``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import httpx

from layers.content.writers.base import (
    HOOK_BREAK,
    MAX_CAPTION,
    MAX_HASHTAGS,
    MAX_HOOK,
    MAX_SLIDE_CHARS,
    Brief,
    CaptionContext,
    fits,
)
from layers.kit.errors import PlatformError

_NUMBERED = re.compile(r"^\s*\d+[.)]\s*")


def _schema(key: str, items: dict[str, Any] | None = None, **array: Any) -> dict[str, Any]:
    """A strict JSON schema of one object with one required property `key`: a list of
    `items` (strings unless given), or a string when `items` and `array` are both empty."""
    if items is None and not array:
        value: dict[str, Any] = {"type": "string"}
    else:
        value = {"type": "array", "items": items or {"type": "string"}, **array}
    return {
        "type": "object",
        "properties": {key: value},
        "required": [key],
        "additionalProperties": False,
    }


def _last_sentence(text: str) -> str:
    pieces = [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n", text) if p.strip()]
    return pieces[-1] if pieces else ""


class OpenAIWriter:
    """Chat completions with a JSON-schema answer. Errors and unusable answers are
    PLATFORM_ERROR."""

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
        self.provider = f"openai:{model}"
        self.client = httpx.Client(timeout=timeout, transport=transport)

    def _system(self, brief: Brief) -> str:
        return (
            "You write short-form social copy (TikTok, Instagram) for a brand. "
            f"Brand: {brief.name}. Description: {brief.app_description or '-'}. "
            f"Tagline: {brief.tagline or '-'}. Brand voice: {brief.brand_voice}. "
            f"Write in the language with BCP-47 tag '{brief.language}'. "
            f"Topics the audience follows: {', '.join(brief.phrases[:10]) or '-'}. "
            "Never invent facts about the product beyond the description. Never repeat a "
            "sentence within one post. Answer with one JSON object and nothing else."
        )

    def _complete(self, brief: Brief, instruction: str, name: str, schema: dict[str, Any]) -> Any:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        payload = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": self._system(brief)},
                {"role": "user", "content": instruction},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": name, "strict": True, "schema": schema},
            },
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
        key = next(iter(schema["properties"]))
        try:
            message = response.json()["choices"][0]["message"]
            if message.get("refusal"):
                raise PlatformError("Text model refused the request.", provider="textwriter")
            value = json.loads(message["content"])[key]
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

    def _slides(self, brief: Brief, instruction: str, count: int) -> list[str]:
        """`count` slides; those over the budget go back once to be rewritten shorter."""
        schema = _schema("slides", minItems=count, maxItems=count)
        slides = self._strings(
            self._complete(brief, instruction, "slides", schema), count, "slides"
        )
        long = [i for i, s in enumerate(slides) if not fits(s)]
        if long:
            shorten = (
                f"Rewrite each of these slide texts in at most {MAX_SLIDE_CHARS} characters, "
                "keeping its meaning and the brand voice; do not cut words off, rephrase: "
                f"{json.dumps([slides[i] for i in long], ensure_ascii=False)}"
            )
            fixed = self._strings(
                self._complete(
                    brief,
                    shorten,
                    "slides",
                    _schema("slides", minItems=len(long), maxItems=len(long)),
                ),
                len(long),
                "slides",
            )
            for index, text in zip(long, fixed, strict=True):
                if not fits(text):
                    raise PlatformError(
                        "Text model could not fit a slide in its budget.", provider="textwriter"
                    )
                slides[index] = text
        return slides

    def hooks(self, brief: Brief, count: int, seed: str) -> list[str]:
        value = self._complete(
            brief,
            f"Write {count} distinct scroll-stopping hooks for short videos about this brand. "
            "Each hook has a setup and a payoff separated by the two characters \\n "
            f"(a backslash followed by n), at most {MAX_SLIDE_CHARS} characters in all.",
            "hooks",
            _schema("hooks", minItems=count, maxItems=count),
        )
        hooks = self._strings(value, count, "hooks")
        return [h.replace("\n", HOOK_BREAK)[:MAX_HOOK] for h in hooks]

    def adapt_slides(self, brief: Brief, source: list[str], topic: str, seed: str) -> list[str]:
        count = max(3, len(source))
        body = source[1:-1]
        numbered = bool(body) and sum(bool(_NUMBERED.match(t)) for t in body) * 2 > len(body)
        rhythm = ", ".join("long" if len(t) > 48 else "short" for t in body) or "-"
        return self._slides(
            brief,
            f"Here are the texts of a popular {count}-slide TikTok slideshow about '{topic}': "
            f"{json.dumps(source, ensure_ascii=False)}. Write our brand's version: keep its "
            f"structure — {count} slides, "
            + ("a numbered list" if numbered else "a story, not numbered")
            + f", body slides as short or long as the source's ({rhythm}) — but replace its "
            "topic with ours: keep none of its lines, every body slide one distinct point "
            "about our product from the description. Slide 1 is a hook, the last slide a call "
            f"to action naming the brand. At most {MAX_SLIDE_CHARS} characters per slide.",
            count,
        )

    def build_slides(self, brief: Brief, hook: str, count: int, seed: str) -> list[str]:
        return self._slides(
            brief,
            f"Slide 1 of a {count}-slide TikTok slideshow says: {hook!r}. Write the remaining "
            f"{count - 1} slides: one distinct point from the description per slide paying "
            "off the hook, then a call to action naming the brand. At most "
            f"{MAX_SLIDE_CHARS} characters per slide.",
            count - 1,
        )

    def caption(
        self,
        brief: Brief,
        hook: str,
        seed: str,
        *,
        slides: Sequence[str] = (),
        context: CaptionContext | None = None,
    ) -> str:
        endings = [_last_sentence(c) for c in (context.recent if context else [])][:9]
        avoid = (
            f" Do not end it with any of these sentences (recent posts ended so): "
            f"{json.dumps([e for e in endings if e], ensure_ascii=False)}."
            if any(endings)
            else ""
        )
        value = self._complete(
            brief,
            f"Write the caption for a post whose hook is {hook!r} and whose slides say "
            f"{json.dumps(list(slides), ensure_ascii=False)}: two or three sentences that "
            "repeat no sentence of the slides, no hashtags." + avoid,
            "caption",
            _schema("caption"),
        )
        if not isinstance(value, str) or not value.strip():
            raise PlatformError("Text model gave no caption.", provider="textwriter")
        return value.strip()[:MAX_CAPTION]

    def hashtags(self, brief: Brief, bank: list[str], hook: str, seed: str) -> list[str]:
        if not bank:
            return []
        value = self._complete(
            brief,
            f"Choose up to {MAX_HASHTAGS} hashtags (without #) for a post whose hook is "
            f"{hook!r}, only from this curated list: {json.dumps(bank)}.",
            "hashtags",
            _schema("hashtags", {"type": "string", "enum": bank}, maxItems=MAX_HASHTAGS),
        )
        tags = self._strings(value, None, "hashtags") if value else []
        return [t for t in dict.fromkeys(tags) if t in bank][:MAX_HASHTAGS]
