"""No voice: a soft music bed for the whole video (the fallback when no voice suits: no
engine installed, or none for the script's language).

There are no words to follow, so every part gets the default slot and the segments are
the slots themselves (``timing == "estimated"``).
"""

from __future__ import annotations

from pathlib import Path

from layers.content.speech.base import DEFAULT_SLOT_SECONDS, Segment, Speech
from layers.render import audio


class MusicBed:
    """A chord bed seeded by the project, so one brand keeps its sound."""

    provider = "music-bed"

    def __init__(self, seed: str = "") -> None:
        self.seed = seed

    def speak(self, parts: list[str], out_dir: Path, *, language: str) -> Speech:
        slots = tuple(DEFAULT_SLOT_SECONDS for _ in parts)
        out = out_dir / "bed.wav"
        audio.music_bed(out, sum(slots), self.seed or "layers")
        segments = []
        start = 0.0
        for text, slot in zip(parts, slots, strict=True):
            segments.append(Segment(text, start, start + slot))
            start += slot
        return Speech(
            path=out,
            provider=self.provider,
            voiced=False,
            slots=slots,
            segments=tuple(segments),
            timing="estimated",
        )
