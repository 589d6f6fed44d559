"""Sound for rendered videos: the music bed, WAV assembly, and loudness normalisation.

Every video leaves the renderer with an AAC track normalised to the social-media loudness
target (`TARGET_I` LUFS integrated, true peak at most `TARGET_TP` dBTP): `measure` reads the
track with ffmpeg's ``loudnorm`` (cheap: seconds of audio), and `normalise_filter` lands it on
the target (music: a gain; speech: gain and a limiter, then loudnorm's linear second pass: see
there why).

The music bed is synthesised here (numpy), offline and deterministically from a seed: soft sine
chords (root, third, fifth and a bass note, each with a slightly detuned twin and a quiet
octave) swelling in and out once a bar, low-passed, with a short echo for room.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from layers.render.video import RenderError, ffmpeg_exe, run_ffmpeg

TARGET_I = -14.0  # LUFS: what TikTok, Instagram and YouTube normalise short videos towards
TARGET_TP = -1.5  # dBTP: headroom for the platforms' own AAC re-encode
TARGET_LRA = 11.0  # LU
SAMPLE_RATE = 48000
BITRATE = "128k"

# Speech gets a clean-up before normalisation: no rumble below 70 Hz, and a compressor
# that evens the syllables out (the limiter then only catches what is left).
VOICE_CHAIN = "highpass=f=70,acompressor=threshold=0.063:ratio=4:attack=3:release=100:makeup=2"


@dataclass(frozen=True)
class Soundtrack:
    """The audio of a video and, when it is a voice-over, how long each scene lasts.

    `durations` has one entry per scene (hook, each beat, end card) and sums to the length of
    `path`; None: the scenes keep their default lengths and the audio (a music bed) is cut
    or padded to the video. `voiced` tells a voice-over (compressed before normalisation) from
    music.
    """

    path: Path
    voiced: bool
    durations: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Loudness:
    """loudnorm's first-pass measurement of a track."""

    integrated: float
    true_peak: float
    lra: float
    threshold: float
    offset: float


def _ffmpeg_log(args: list[str], timeout: float = 120) -> str:
    """Run ffmpeg at the info log level and return what it printed (its measurements)."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "info", *args]
    try:
        done = subprocess.run(  # noqa: S603 (a fixed binary, arguments we built)
            command, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError("ffmpeg timed out") from exc
    log = done.stderr.decode(errors="replace")
    if done.returncode != 0:
        raise RenderError("ffmpeg failed: " + " | ".join(log.strip().splitlines()[-3:]))
    return log


def _loudnorm(extra: str = "") -> str:
    return f"loudnorm=I={TARGET_I}:TP={TARGET_TP}:LRA={TARGET_LRA}{extra}"


def measure(path: Path, chain: str = "anull") -> Loudness:
    """loudnorm's first pass over `path` after the filters `chain`."""
    log = _ffmpeg_log(
        ["-i", str(path), "-af", f"{chain},{_loudnorm(':print_format=json')}", "-f", "null", "-"]
    )
    start = log.rfind("{")
    end = log.rfind("}")
    try:
        values = json.loads(log[start : end + 1])
        numbers = {key: float(values[key]) for key in values if key.startswith(("input", "target"))}
    except (ValueError, KeyError) as exc:
        raise RenderError("loudness measurement unreadable") from exc
    integrated = numbers["input_i"]
    if integrated == float("-inf") or integrated < -70:
        raise RenderError("the soundtrack is silent")
    return Loudness(
        integrated=integrated,
        true_peak=numbers["input_tp"],
        lra=numbers["input_lra"],
        threshold=numbers["input_thresh"],
        offset=numbers["target_offset"],
    )


def _limit(gain_db: float) -> str:
    # A sample-peak limiter 1 dB under the true-peak ceiling: inter-sample peaks stay under it.
    ceiling = 10 ** ((TARGET_TP - 1.0) / 20)
    return f"volume={gain_db:.2f}dB,alimiter=limit={ceiling:.4f}:level=false:attack=3:release=60"


def normalise_filter(soundtrack: Soundtrack, *, seconds: float) -> str:
    """The audio filter of the final encode: loudness normalised to the target, 48 kHz
    mono, exactly `seconds` long (padded or cut, a short fade-out at the end). Every
    soundtrack is one voice or the bed, both mono: a stereo track would carry the same
    channel twice and cost the AAC encoder twice the work.

    Music whose peaks stay under the ceiling once it is brought to the target needs nothing
    but that gain: integrated loudness moves with the gain exactly (the gates move with it),
    so one measurement lands it. Speech's peaks sit 15 dB and more above its loudness, more
    than a -14 LUFS track with a -1.5 dBTP ceiling can hold, so loudnorm alone would fall
    back to its dynamic mode and land short of the target. For speech (or music too peaky
    for a plain gain): clean-up (voice: compressor), a gain to the target and a limiter
    (measured once), then loudnorm's linear second pass (measured again), which only trims
    the last fraction of a dB and stays linear.
    """
    chain = VOICE_CHAIN if soundtrack.voiced else "anull"
    first = loudness(soundtrack.path, chain)  # a meter is a quarter of loudnorm's cost
    if first.integrated == float("-inf") or first.integrated < -70:
        raise RenderError("the soundtrack is silent")
    gain = TARGET_I - first.integrated
    if not soundtrack.voiced and first.true_peak + gain <= TARGET_TP:
        chain = f"volume={gain:.2f}dB"
    else:
        chain = f"{chain},{_limit(gain)}"
        second = measure(soundtrack.path, chain)
        chain += "," + _loudnorm(
            f":measured_I={second.integrated:.2f}:measured_TP={second.true_peak:.2f}"
            f":measured_LRA={second.lra:.2f}:measured_thresh={second.threshold:.2f}"
            f":offset={second.offset:.2f}:linear=true:print_format=none"
        )
    fade = min(0.6, seconds / 4)
    return (
        f"{chain},aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=mono,"
        f"apad=whole_dur={seconds:.3f},atrim=0:{seconds:.3f},"
        f"afade=t=out:st={seconds - fade:.3f}:d={fade:.3f}"
    )


@dataclass(frozen=True)
class LoudnessReport:
    """What an EBU R128 meter says about a finished file."""

    integrated: float  # LUFS
    true_peak: float  # dBTP


_SUMMARY_I = re.compile(r"^\s*I:\s+(-?[\d.]+|-inf) LUFS", re.MULTILINE)
_SUMMARY_PEAK = re.compile(r"^\s*Peak:\s+(-?[\d.]+|-inf) dBFS", re.MULTILINE)


def loudness(path: Path, chain: str = "anull") -> LoudnessReport:
    """Integrated loudness and true peak of the first audio stream of `path` (ebur128), after
    the filters `chain`."""
    meter = f"{chain},ebur128=peak=true:framelog=quiet"
    log = _ffmpeg_log(["-i", str(path), "-map", "0:a:0", "-af", meter, "-f", "null", "-"])
    found_i = _SUMMARY_I.findall(log)
    found_peak = _SUMMARY_PEAK.findall(log)
    if not found_i or not found_peak:
        raise RenderError("no loudness summary (is there an audio stream?)")
    return LoudnessReport(float(found_i[-1]), float(found_peak[-1]))


# The music bed ---------------------------------------------------------------------------

_BAR = 2.0  # seconds per chord
_BED_RATE = 16000  # a pad has nothing above 2 kHz
# Chord progressions as (root, third, fifth, bass) in semitones from the key's root.
_PROGRESSIONS: tuple[tuple[tuple[int, int, int, int], ...], ...] = (
    ((0, 4, 7, -12), (-5, -1, 2, -17), (-3, 0, 4, -15), (-7, -3, 0, -19)),  # I V vi IV
    ((-3, 0, 4, -15), (-7, -3, 0, -19), (0, 4, 7, -12), (-5, -1, 2, -17)),  # vi IV I V
    ((0, 4, 7, -12), (-3, 0, 4, -15), (-7, -3, 0, -19), (-5, -1, 2, -17)),  # I vi IV V
    ((-7, -3, 0, -19), (0, 4, 7, -12), (-5, -1, 2, -17), (-3, 0, 4, -15)),  # IV I V vi
)
_KEYS = (261.63, 293.66, 246.94, 220.0, 277.18)  # C4, D4, B3, A3, C#4: the key's root
_ECHOES = ((0.070, 0.25), (0.130, 0.15))  # (delay s, decay): a little room
_LOWPASS_HZ = 1800.0
_KNEE = 2.5  # times the RMS


def bed_samples(seconds: float, seed: str) -> npt.NDArray[np.float64]:
    """The bed's samples at `_BED_RATE` (floats, peak well under 1): soft sine chords (root,
    third, fifth and a bass note, each with a slightly detuned twin and a quiet octave), one
    chord a bar, swelling in and out within the bar (silent at the bar line, so the change of
    chord never clicks), low-passed, with a short echo, faded in and out."""
    digest = hashlib.sha256(seed.encode()).digest()
    progression = _PROGRESSIONS[digest[0] % len(_PROGRESSIONS)]
    root = _KEYS[digest[1] % len(_KEYS)]
    count = round(seconds * _BED_RATE)
    t = np.arange(count) / _BED_RATE
    bar = (t // _BAR).astype(np.int64) % len(progression)
    in_bar = np.mod(t, _BAR)
    envelope = np.minimum(1.0, in_bar / 0.35) * np.minimum(1.0, (_BAR - in_bar) / 0.9)
    chord = np.zeros(count)
    for voice in range(4):
        hz = np.array([root * 2 ** (notes[voice] / 12) for notes in progression])[bar]
        amp = 0.15 if voice < 3 else 0.21
        phase = 2 * np.pi * t * hz
        chord += amp * np.sin(phase) + amp * 0.5 * np.sin(phase * 1.004)
        chord += amp * 0.12 * np.sin(2 * phase)
    signal = envelope * chord
    # Round off the peaks where the voices line up (a soft saturation, a few times the RMS):
    # the bed can then be brought to the loudness target by a plain gain without touching
    # the true-peak ceiling (`normalise_filter`).
    knee = _KNEE * float(np.sqrt(np.mean(signal**2)))
    signal = knee * np.tanh(signal / knee)
    # Low-pass (a second-order Butterworth's magnitude, applied in the frequency domain).
    spectrum = np.fft.rfft(signal, n=2 * count)
    freqs = np.fft.rfftfreq(2 * count, 1 / _BED_RATE)
    spectrum /= np.sqrt(1 + (freqs / _LOWPASS_HZ) ** 4)
    signal = np.fft.irfft(spectrum)[:count]
    wet = signal * 0.8
    for delay, decay in _ECHOES:
        shift = round(delay * _BED_RATE)
        wet[shift:] += signal[: count - shift] * 0.8 * decay
    signal = wet * 0.6
    fade_in, fade_out = min(0.8, seconds / 4), min(1.2, seconds / 3)
    signal *= np.clip(t / fade_in, 0.0, 1.0) * np.clip((seconds - t) / fade_out, 0.0, 1.0)
    return signal


def music_bed(out: Path, seconds: float, seed: str) -> None:
    """A soft chord bed of `seconds`, deterministic from `seed` (WAV, 16-bit mono, 16 kHz)."""
    seconds = max(1.0, seconds)
    pcm = np.clip(bed_samples(seconds, seed) * 32767, -32768, 32767).astype("<i2")
    with wave.open(str(out), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(_BED_RATE)
        writer.writeframes(pcm.tobytes())


# WAV assembly ----------------------------------------------------------------------------


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as reader:
        return reader.getnframes() / float(reader.getframerate())


def to_wav(source: Path, out: Path) -> None:
    """Any audio file ffmpeg reads → 16-bit mono WAV at `SAMPLE_RATE`."""
    run_ffmpeg(["-i", str(source), "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le",
                str(out)])  # fmt: skip


def silence(out: Path, seconds: float) -> None:
    """`seconds` of silence in the format `to_wav` writes."""
    with wave.open(str(out), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes(b"\0" * (2 * round(seconds * SAMPLE_RATE)))


def join_wavs(parts: list[tuple[Path, float, float]], out: Path) -> None:
    """Concatenate WAV `parts` (path, lead-in seconds, slot seconds): each part starts after its
    lead-in of silence and is padded with silence to fill its slot. All parts must share one
    format (channels, width, rate), as the output of one engine does."""
    if not parts:
        raise RenderError("nothing to join")
    params = None
    with wave.open(str(out), "wb") as writer:
        for path, lead, slot in parts:
            with wave.open(str(path), "rb") as reader:
                if params is None:
                    params = (reader.getnchannels(), reader.getsampwidth(), reader.getframerate())
                    writer.setnchannels(params[0])
                    writer.setsampwidth(params[1])
                    writer.setframerate(params[2])
                elif (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) != (
                    params
                ):
                    raise RenderError("speech parts differ in format")
                frames = reader.readframes(reader.getnframes())
            channels, width, rate = params
            frame_size = channels * width
            lead_frames = round(lead * rate)
            total = max(round(slot * rate), lead_frames + len(frames) // frame_size)
            writer.writeframes(b"\0" * (lead_frames * frame_size))
            writer.writeframes(frames)
            writer.writeframes(b"\0" * ((total - lead_frames) * frame_size - len(frames)))
