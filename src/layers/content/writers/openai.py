"""The live writer: any OpenAI-compatible ``POST /chat/completions`` endpoint
(``LAYERS_TEXTWRITER_URL``, ``…_API_KEY``, ``…_MODEL``), asked for one JSON object
(``response_format: json_object``). Errors and unusable answers are ``PLATFORM_ERROR``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from layers.content.writers.base import HOOK_BREAK, MAX_CAPTION, MAX_HOOK, Brief
from layers.kit.errors import PlatformError


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
        return value.strip()[:MAX_CAPTION]
