"""Text writers: the `TextWriter` Protocol and what it is given (`Brief`).

Hooks separate setup and payoff with the two characters ``\\n`` (backslash, n), as the
reference API does; renderers turn them into a line break.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

HOOK_BREAK = "\\n"
MAX_HOOK = 2000
MAX_CAPTION = 2000
# What one slide may say: every renderer's text box holds this many characters at a size a
# phone reads without zooming (tests/content/writers/test_budget.py measures it with the real
# fonts). A writer rewrites longer text shorter; nothing is ever cut with "…".
MAX_SLIDE_CHARS = 110
MAX_HASHTAGS = 5


def fits(text: str, limit: int = MAX_SLIDE_CHARS) -> bool:
    """Whether `text` (one slide's, line breaks included) fits the slide budget."""
    return 0 < len(text.replace(HOOK_BREAK, "\n").strip()) <= limit


@dataclass(frozen=True)
class Brief:
    """What a writer knows about the brand."""

    app_name: str | None
    app_description: str | None
    tagline: str | None
    brand_voice: str = "authentic"
    language: str = "en"  # BCP-47
    phrases: list[str] = field(default_factory=list)  # keyword-bank phrases, best first
    persona_name: str | None = None

    @property
    def name(self) -> str:
        return self.app_name or "this app"


@dataclass(frozen=True)
class CaptionContext:
    """Where a caption sits in its project's feed, so that captions vary from post to post."""

    position: int = 0  # how many of the project's containers were created before this one
    recent: Sequence[str] = ()  # the captions of the containers just before it, newest first


class TextWriter(Protocol):
    """Writes every piece of text in generated content.

    The contract every implementation keeps:

    * Answers are non-empty strings in the number asked for (slides exactly; hooks at most
      `count`, fewer only when the brief cannot yield that many distinct ones), or the call
      raises.
    * A provider failure or an unusable answer raises `PlatformError` (502), so a workflow
      step that writes can be retried.
    * `seed` names the piece being written (project, container and generation); a
      deterministic writer gives the same text for the same seed and brief.
    * Nothing is invented about the product beyond the brief.
    * `provider` names the writer in the container's ``providers`` record (``offline-en``,
      ``openai:<model>``).
    """

    provider: str

    def hooks(self, brief: Brief, count: int, seed: str) -> list[str]:
        """Up to `count` distinct hooks, setup and payoff joined by ``\\n``, each at most
        `MAX_HOOK` characters."""
        ...

    def adapt_slides(self, brief: Brief, source: list[str], topic: str, seed: str) -> list[str]:
        """The source's slide texts rewritten for this brand: as many slides as the source
        (at least 3), the first a hook, the last a call to action."""
        ...

    def build_slides(self, brief: Brief, hook: str, count: int, seed: str) -> list[str]:
        """The `count - 1` slides that follow `hook` (body slides, then a call to action)."""
        ...

    def caption(
        self,
        brief: Brief,
        hook: str,
        seed: str,
        *,
        slides: Sequence[str] = (),
        context: CaptionContext | None = None,
    ) -> str:
        """A post caption (without hashtags), at most `MAX_CAPTION` characters, that repeats
        no sentence of `slides` and, given `context`, ends differently from the recent
        captions of the project."""
        ...

    def hashtags(self, brief: Brief, bank: list[str], hook: str, seed: str) -> list[str]:
        """At most `MAX_HASHTAGS` tags for the post, every one taken from `bank` (the
        project's curated tags, best first, without ``#``)."""
        ...
