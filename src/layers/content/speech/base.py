"""The `SpeechWriter` Protocol: the script of a video in, one audio file and its timings out.

A script is a list of *parts*, one per scene of the video (hook, each beat, call to action).
A writer speaks each part into its own *slot* of the audio: a short lead-in of silence, the
words, a pause; `Speech.slots` are those slot lengths, which the renderer uses as the
scenes' durations, so each caption is on screen exactly while its words are heard.
`Speech.segments` say when the words of each part start and end.

Timings are measured when the engine speaks part by part (the length of each part's
audio), or estimated from the audio length when it does not (`estimate_segments`: in
proportion to the syllables of each part).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from layers.kit.errors import PlatformError

LEAD_SECONDS = 0.15  # silence before a part's words
PAUSE_SECONDS = 0.35  # silence after them, before the next scene
MIN_SLOT_SECONDS = 1.6  # no scene shorter than this, however short its words
DEFAULT_SLOT_SECONDS = 2.0  # scenes without words (the music bed)


@dataclass(frozen=True)
class Segment:
    """When the words of one part are heard (seconds from the start of the audio)."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Speech:
    """A spoken script: the audio file, one slot and one segment per part.

    `voiced` is False for a music bed (no words: segments are the slots themselves);
    `provider` names the engine in the container's ``providers["speech"]``; `timing` is
    ``measured`` or ``estimated``.
    """

    path: Path
    provider: str
    voiced: bool
    slots: tuple[float, ...]
    segments: tuple[Segment, ...]
    timing: str = "measured"

    @property
    def seconds(self) -> float:
        return sum(self.slots)


class SpeechWriter(Protocol):
    """Speaks a script. Every implementation keeps these promises:

    * `speak` returns exactly one slot and one segment per part, in order, and an audio
      file (WAV) whose length is the sum of the slots.
    * A provider failure raises `SpeechUnavailable` (a `PlatformError`); the caller decides
      whether to fall back to an offline engine.
    * Nothing but the given text is spoken.
    """

    provider: str

    def speak(self, parts: list[str], out_dir: Path, *, language: str) -> Speech:
        """Speak `parts` (already in `language`, a BCP-47 tag) into a WAV in `out_dir`."""
        ...


class SpeechUnavailable(PlatformError):
    """The speech engine could not speak (unreachable, refused, or gave unusable audio)."""


_HASHTAG = re.compile(r"(^|\s)[#@]\w+")
_SPACES = re.compile(r"\s+")


def spoken(text: str) -> str:
    """`text` as it should be read aloud: line breaks (and the hook's ``\\n``) become pauses,
    hashtags and handles go, emoji and symbols are not read."""
    text = text.replace("\\n", "\n")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    sentences = []
    for line in lines:
        line = _HASHTAG.sub(" ", line).strip()
        line = "".join(ch for ch in line if ch.isalnum() or ch.isspace() or ch in ".,!?'’:;-%$&")
        line = _SPACES.sub(" ", line).strip(" -:;")
        if not line:
            continue
        sentences.append(line if line[-1] in ".!?" else line + ".")
    return " ".join(sentences)


def slot_for(words_seconds: float) -> float:
    """The slot a part's words need: lead-in, words, pause; never under `MIN_SLOT_SECONDS`."""
    return max(MIN_SLOT_SECONDS, LEAD_SECONDS + words_seconds + PAUSE_SECONDS)


def segments_for(parts: list[str], words: list[float], slots: list[float]) -> tuple[Segment, ...]:
    """Segments of parts spoken one per slot, each after the lead-in."""
    segments = []
    start = 0.0
    for text, length, slot in zip(parts, words, slots, strict=True):
        segments.append(Segment(text, start + LEAD_SECONDS, start + LEAD_SECONDS + length))
        start += slot
    return tuple(segments)


def _syllables(text: str) -> int:
    vowels = re.findall(r"[aeiouyàâäéèêëîïôöùûüáíóúãõæøåœ]+", text.lower())
    return max(1, len(vowels))


def estimate_segments(parts: list[str], seconds: float) -> list[float]:
    """How long each part takes when an engine spoke them all in one `seconds`-long take:
    shares of `seconds` in proportion to the parts' syllables."""
    weights = [_syllables(part) for part in parts]
    total = sum(weights)
    return [seconds * weight / total for weight in weights]
