"""Which text writer serves a mode: a plain dict, test mode → the offline writer.

Live mode writes with the configured OpenAI-compatible endpoint, and offline when none is set
(generation still works, in English, from templates).
"""

from __future__ import annotations

from collections.abc import Callable

from layers.content.writers.base import TextWriter
from layers.content.writers.offline import OfflineWriter
from layers.content.writers.openai import OpenAIWriter
from layers.kit.settings import Settings, get_settings

LIVE, TEST = "live", "test"

_clients: dict[tuple[str, str | None, str], OpenAIWriter] = {}


def _live(settings: Settings) -> TextWriter:
    """One client per endpoint, key and model, so its connection pool is reused."""
    if not settings.textwriter_url:
        return OfflineWriter()
    key = (settings.textwriter_url, settings.textwriter_api_key, settings.textwriter_model)
    if key not in _clients:
        _clients[key] = OpenAIWriter(*key)
    return _clients[key]


WRITERS: dict[str, Callable[[Settings], TextWriter]] = {
    LIVE: _live,
    TEST: lambda settings: OfflineWriter(),
}


def text_writer(livemode: bool, settings: Settings | None = None) -> TextWriter:
    return WRITERS[LIVE if livemode else TEST](settings or get_settings())
