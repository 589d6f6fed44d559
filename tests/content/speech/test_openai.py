"""The OpenAI-compatible speech client against a local fake of ``POST /audio/speech``."""

from __future__ import annotations

import io
import json
import math
import struct
import wave
from pathlib import Path

import httpx
import pytest
import respx

from layers.content.speech.base import (
    LEAD_SECONDS,
    MIN_SLOT_SECONDS,
    PAUSE_SECONDS,
    SpeechUnavailable,
)
from layers.content.speech.openai import INSTRUCTIONS, OpenAISpeech
from layers.render import audio

BASE = "https://speech.example.com/v1"


def tone_wav(seconds: float, rate: int = 24000, hz: float = 220.0) -> bytes:
    """A WAV as the API sends it (24 kHz mono 16-bit): a tone standing in for a voice."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate)))
        for i in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return buffer.getvalue()


def answer_by_length(request: httpx.Request) -> httpx.Response:
    """Audio as long as the words: 0.06 s a character (a short part, a short answer)."""
    text = json.loads(request.content)["input"]
    return httpx.Response(200, content=tone_wav(0.06 * len(text)))


@respx.mock
def test_each_part_is_one_request_and_the_slots_follow_the_audio(tmp_path: Path) -> None:
    route = respx.post(f"{BASE}/audio/speech").mock(side_effect=answer_by_length)
    client = OpenAISpeech(BASE + "/", "sk-test", "gpt-4o-mini-tts", "coral")
    parts = [
        "Three mornings that changed my week\\nlet me show you",
        "Beans arrive before you run out",
        "Pause any time",
        "Try Acme Coffee #coffee",
    ]
    speech = client.speak(parts, tmp_path, language="en")
    assert route.call_count == 4
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert sorted(b["input"] for b in bodies) == sorted(
        [
            "Three mornings that changed my week. let me show you.",
            "Beans arrive before you run out.",
            "Pause any time.",
            "Try Acme Coffee.",
        ]
    )
    for body in bodies:
        assert body["model"] == "gpt-4o-mini-tts" and body["voice"] == "coral"
        assert body["response_format"] == "wav" and body["instructions"] == INSTRUCTIONS
    assert route.calls.last.request.headers["Authorization"] == "Bearer sk-test"
    assert speech.provider == "openai:gpt-4o-mini-tts" and speech.voiced
    # Each slot: lead-in + the part's audio + pause (or the minimum), and the file is their sum.
    lengths = [
        0.06 * len(body["input"]) for body in sorted(bodies, key=lambda b: parts_index(parts, b))
    ]
    expected = [max(MIN_SLOT_SECONDS, LEAD_SECONDS + n + PAUSE_SECONDS) for n in lengths]
    assert list(speech.slots) == pytest.approx(expected, abs=0.01)
    assert audio.wav_seconds(speech.path) == pytest.approx(sum(expected), abs=0.01)
    first = speech.segments[0]
    assert first.start == pytest.approx(LEAD_SECONDS) and first.end == pytest.approx(
        LEAD_SECONDS + lengths[0], abs=0.01
    )
    assert speech.segments[1].start == pytest.approx(speech.slots[0] + LEAD_SECONDS, abs=0.01)


def parts_index(parts: list[str], body: dict[str, str]) -> int:
    words = body["input"].split()[0]
    return next(i for i, part in enumerate(parts) if part.startswith(words))


@respx.mock
def test_tts1_gets_no_instructions_and_no_key_means_no_header(tmp_path: Path) -> None:
    route = respx.post(f"{BASE}/audio/speech").mock(side_effect=answer_by_length)
    OpenAISpeech(BASE, None, "tts-1", "alloy").speak(["Hello there"], tmp_path, language="en")
    sent = route.calls.last.request
    assert "instructions" not in json.loads(sent.content)
    assert "Authorization" not in sent.headers


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(500, json={"error": {"message": "boom"}}), "HTTP 500"),
        (httpx.Response(401, json={"error": {"message": "bad key"}}), "HTTP 401"),
        (httpx.Response(200, content=b"not audio at all"), "cannot be decoded"),
        (httpx.Response(200, content=b""), "no audio"),
    ],
)
@respx.mock
def test_failures_are_speech_unavailable(
    tmp_path: Path, response: httpx.Response, message: str
) -> None:
    respx.post(f"{BASE}/audio/speech").mock(return_value=response)
    client = OpenAISpeech(BASE, "sk", "tts-1", "alloy")
    with pytest.raises(SpeechUnavailable, match=message) as caught:
        client.speak(["One line"], tmp_path, language="en")
    assert caught.value.code == "PLATFORM_ERROR"


@respx.mock
def test_unreachable_is_speech_unavailable(tmp_path: Path) -> None:
    respx.post(f"{BASE}/audio/speech").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(SpeechUnavailable, match="unreachable"):
        OpenAISpeech(BASE, "sk", "tts-1", "alloy").speak(["One"], tmp_path, language="en")
