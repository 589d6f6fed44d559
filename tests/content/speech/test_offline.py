"""The offline engines: espeak-ng's voice and the music bed, measured with ffmpeg's meters."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from layers.content.speech import espeak
from layers.content.speech.base import MIN_SLOT_SECONDS, SpeechUnavailable, spoken
from layers.content.speech.espeak import EspeakSpeech, voice_for
from layers.content.speech.music import MusicBed
from layers.content.speech.openai import OpenAISpeech
from layers.content.speech.registry import fallback, offline, speech_writer
from layers.kit.settings import Settings
from layers.render import audio
from layers.render.video import ffmpeg_exe

needs_espeak = pytest.mark.skipif(espeak.binary() is None, reason="espeak-ng not installed")

PARTS = [
    "The morning ritual I wish I'd started sooner\\nlet me show you",
    "Beans arrive before you run out",
    "Skip, swap or pause any time",
    "Try Acme Coffee today",
]


def volume(path: Path) -> tuple[float, float]:
    """(mean, max) volume in dB, as ffmpeg's volumedetect reports them."""
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(path), "-af", "volumedetect", "-f",
         "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    mean = float(done.stderr.split("mean_volume:")[1].split("dB")[0])
    peak = float(done.stderr.split("max_volume:")[1].split("dB")[0])
    return mean, peak


def test_spoken_text_reads_like_speech() -> None:
    assert spoken("Hook line\\nthe payoff") == "Hook line. the payoff."
    assert spoken("Try it 🚀 #coffee @acme now!") == "Try it now!"
    assert spoken("  \n ") == ""


@needs_espeak
def test_espeak_speaks_each_part_into_a_slot_of_the_right_length(tmp_path: Path) -> None:
    speech = EspeakSpeech().speak(PARTS, tmp_path, language="en-US")
    assert speech.provider == "espeak-ng" and speech.voiced and speech.timing == "measured"
    assert len(speech.slots) == len(speech.segments) == len(PARTS)
    assert audio.wav_seconds(speech.path) == pytest.approx(speech.seconds, abs=0.01)
    # Intelligible pace: roughly 2-4 words a second of speech, every part audible.
    for part, segment, slot in zip(PARTS, speech.segments, speech.slots, strict=True):
        words = len(spoken(part).split())
        assert 1.5 <= words / (segment.end - segment.start) <= 4.0, (part, segment)
        assert slot >= MIN_SLOT_SECONDS
    mean, peak = volume(speech.path)
    assert mean > -35 and peak > -12, "a voice, not silence"
    assert peak < 0, "no clipping"


@needs_espeak
def test_espeak_voices_by_language() -> None:
    assert voice_for("en") == "en-us"
    assert voice_for("en-GB") == "en-gb"
    assert voice_for("fr") == "fr-fr"
    assert voice_for("pt-BR") == "pt-br"
    assert voice_for("tlh") is None  # Klingon: no voice
    with pytest.raises(SpeechUnavailable):
        EspeakSpeech().speak(["Qapla"], Path("."), language="tlh")


def test_music_bed_is_a_soft_chord_bed_of_the_script_length(tmp_path: Path) -> None:
    bed = MusicBed("prj_1").speak(PARTS, tmp_path, language="en")
    assert bed.provider == "music-bed" and not bed.voiced
    assert bed.slots == (2.0, 2.0, 2.0, 2.0)
    assert audio.wav_seconds(bed.path) == pytest.approx(8.0, abs=0.01)
    mean, peak = volume(bed.path)
    assert -35 < mean < -12 and peak < -1, "audible, soft, not clipping"
    # Not a test tone: the loudness moves (chords swell) but stays in a narrow range.
    report = audio.loudness(bed.path)
    assert -30 < report.integrated < -12
    again = MusicBed("prj_1").speak(PARTS, tmp_path / "..", language="en")
    assert again.path.read_bytes() == bed.path.read_bytes(), "deterministic per seed"


def test_offline_choice_and_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(speech_url=None)
    if espeak.binary() is not None:
        assert isinstance(speech_writer(False, "en", "s", settings), EspeakSpeech)
        assert isinstance(speech_writer(True, "en", "s", settings), EspeakSpeech)
        assert isinstance(offline("tlh", "s"), MusicBed)
        assert isinstance(fallback(EspeakSpeech(), "en", "s"), MusicBed)
    live = Settings(speech_url="https://speech.example.com/v1", speech_voice="nova")
    writer = speech_writer(True, "en", "s", live)
    assert isinstance(writer, OpenAISpeech) and writer.voice == "nova"
    assert not isinstance(speech_writer(False, "en", "s", live), OpenAISpeech), "test mode"
    # No espeak-ng on the machine: the music bed.
    monkeypatch.setattr(espeak, "binary", lambda: None)
    assert isinstance(offline("en", "s"), MusicBed)
    assert isinstance(fallback(writer, "en", "s"), MusicBed)
