"""Which speech writer voices a video: a plain dict by mode, then what can speak the script.

* Live mode with ``LAYERS_SPEECH_URL`` set: the OpenAI-compatible client.
* Otherwise (test mode always; live without an endpoint): espeak-ng when it is installed and
  has a voice for the script's language, else the music bed.

`fallback` is what the render step uses when the chosen writer fails: the offline choice.
"""

from __future__ import annotations

from collections.abc import Callable

from layers.content.speech.base import SpeechWriter
from layers.content.speech.espeak import EspeakSpeech
from layers.content.speech.music import MusicBed
from layers.content.speech.openai import OpenAISpeech
from layers.kit.settings import Settings, get_settings

LIVE, TEST = "live", "test"

_clients: dict[tuple[str, str | None, str, str], OpenAISpeech] = {}


def offline(language: str, seed: str) -> SpeechWriter:
    """espeak-ng when it can speak `language`, else the music bed."""
    engine = EspeakSpeech()
    if engine.available(language):
        return engine
    return MusicBed(seed)


def fallback(failed: SpeechWriter, language: str, seed: str) -> SpeechWriter:
    """What speaks when `failed` could not: the offline choice, or the music bed when the
    offline choice is what failed."""
    choice = offline(language, seed)
    return MusicBed(seed) if choice.provider == failed.provider else choice


def _live(settings: Settings, language: str, seed: str) -> SpeechWriter:
    """One client per endpoint, key, model and voice, so its connection pool is reused."""
    if not settings.speech_url:
        return offline(language, seed)
    key = (settings.speech_url, settings.speech_api_key, settings.speech_model,
           settings.speech_voice)  # fmt: skip
    if key not in _clients:
        _clients[key] = OpenAISpeech(*key)
    return _clients[key]


WRITERS: dict[str, Callable[[Settings, str, str], SpeechWriter]] = {
    LIVE: _live,
    TEST: lambda settings, language, seed: offline(language, seed),
}


def speech_writer(
    livemode: bool, language: str, seed: str, settings: Settings | None = None
) -> SpeechWriter:
    """The writer for a video in `language` (`seed`: the music bed's, when it comes to that)."""
    return WRITERS[LIVE if livemode else TEST](settings or get_settings(), language, seed)
