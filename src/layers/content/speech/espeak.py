"""The offline voice: espeak-ng (Debian's ``espeak-ng`` package; the Makefile installs it).

It ships its own voices for about a hundred languages, needs no network, and is
deterministic. Its rate and pitch are set for a clear, unhurried read (``RATE`` words a
minute, a slightly low pitch, a short gap between words); it sounds synthetic, which the
container says (``providers["speech"] == "espeak-ng"``). Each part is spoken on its own, so
the timings are measured, not estimated.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from layers.content.speech.base import (
    LEAD_SECONDS,
    Speech,
    SpeechUnavailable,
    segments_for,
    slot_for,
    spoken,
)
from layers.render import audio

RATE = 165  # words a minute: espeak's default (175) runs words together on a phone speaker
PITCH = 42  # 0-99, default 50
WORD_GAP = 1  # extra pause between words, in units of 10 ms
AMPLITUDE = 120  # 0-200; loudness is normalised later, this only keeps clear of clipping


def binary() -> str | None:
    """The espeak-ng executable, or None when it is not installed."""
    return shutil.which("espeak-ng")


@lru_cache(maxsize=1)
def _voices() -> frozenset[str]:
    exe = binary()
    if exe is None:
        return frozenset()
    done = subprocess.run(  # noqa: S603 (a fixed binary and argument)
        [exe, "--voices"], capture_output=True, timeout=30, check=False
    )
    names = set()
    for line in done.stdout.decode(errors="replace").splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 2:
            names.add(fields[1].lower())
    return frozenset(names)


_PREFERRED = {"en": "en-us", "fr": "fr-fr", "es": "es", "pt": "pt-br", "zh": "cmn"}


def voice_for(language: str) -> str | None:
    """espeak-ng's voice for a BCP-47 tag (``en`` → ``en-us``, ``pt-PT`` → ``pt``), or None
    when it has none for that language."""
    voices = _voices()
    tag = language.strip().lower().replace("_", "-")
    primary = tag.split("-")[0]
    for candidate in (tag, _PREFERRED.get(primary), primary):
        if candidate and candidate in voices:
            return candidate
    regional = sorted(v for v in voices if v.startswith(primary + "-"))
    return regional[0] if regional else None


class EspeakSpeech:
    """Speaks with espeak-ng, part by part."""

    provider = "espeak-ng"

    def available(self, language: str) -> bool:
        return binary() is not None and voice_for(language) is not None

    def speak(self, parts: list[str], out_dir: Path, *, language: str) -> Speech:
        exe = binary()
        voice = voice_for(language) if exe else None
        if exe is None or voice is None:
            raise SpeechUnavailable(f"espeak-ng cannot speak {language!r}.", provider=self.provider)
        files: list[Path] = []
        words: list[float] = []
        texts = [spoken(part) for part in parts]
        for index, text in enumerate(texts):
            path = out_dir / f"speech-{index}.wav"
            command = [
                exe, "-v", voice, "-s", str(RATE), "-p", str(PITCH), "-g", str(WORD_GAP),
                "-a", str(AMPLITUDE), "-w", str(path), "--", text or ".",
            ]  # fmt: skip
            done = subprocess.run(  # noqa: S603 (a fixed binary, arguments we built)
                command, capture_output=True, timeout=60, check=False
            )
            if done.returncode != 0 or not path.exists():
                raise SpeechUnavailable(
                    "espeak-ng failed: " + done.stderr.decode(errors="replace")[-200:],
                    provider=self.provider,
                )
            files.append(path)
            words.append(audio.wav_seconds(path) if text else 0.0)
        slots = [slot_for(length) for length in words]
        out = out_dir / "speech.wav"
        audio.join_wavs(
            [(path, LEAD_SECONDS, slot) for path, slot in zip(files, slots, strict=True)], out
        )
        return Speech(
            path=out,
            provider=self.provider,
            voiced=True,
            slots=tuple(slots),
            segments=segments_for(texts, words, slots),
        )
