"""The live voice: any OpenAI-compatible ``POST /audio/speech`` endpoint
(``LAYERS_SPEECH_URL``, ``…_API_KEY``, ``…_MODEL``, ``…_VOICE``).

Each part of the script is one request (``model``, ``voice``, ``input``,
``response_format: wav``), so each part's length is measured from its audio rather than
guessed; the answers are decoded with ffmpeg (whatever format a compatible server actually
sends) to one WAV format and joined slot by slot. Models that take ``instructions``
(``gpt-4o-mini-tts``) are asked for a natural social-video read.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from layers.content.speech.base import (
    LEAD_SECONDS,
    Speech,
    SpeechUnavailable,
    segments_for,
    slot_for,
    spoken,
)
from layers.render import audio
from layers.render.video import RenderError

MAX_INPUT = 4096  # characters per request (the API's limit)
INSTRUCTIONS = (
    "Read like a friendly creator talking to camera in a short social video: warm, clear, "
    "natural pace, no announcer voice."
)


class OpenAISpeech:
    """Text to speech over HTTP. Errors and unusable audio are `SpeechUnavailable` (502)."""

    def __init__(
        self,
        url: str,
        api_key: str | None,
        model: str,
        voice: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.model = model
        self.voice = voice
        self.client = httpx.Client(timeout=timeout, transport=transport)
        self.provider = f"openai:{model}"

    def _payload(self, text: str) -> dict[str, object]:
        payload: dict[str, object] = {
            "model": self.model,
            "voice": self.voice,
            "input": text[:MAX_INPUT],
            "response_format": "wav",
        }
        if not self.model.startswith("tts-1"):
            payload["instructions"] = INSTRUCTIONS
        return payload

    def _fetch(self, text: str) -> bytes:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            response = self.client.post(
                f"{self.url}/audio/speech", json=self._payload(text), headers=headers
            )
        except httpx.HTTPError as exc:
            raise SpeechUnavailable(
                f"Speech model unreachable: {type(exc).__name__}.", provider="speech"
            ) from exc
        if response.status_code != 200:
            raise SpeechUnavailable(
                f"Speech model answered HTTP {response.status_code}.",
                provider="speech",
                platformCode=str(response.status_code),
            )
        if not response.content:
            raise SpeechUnavailable("Speech model sent no audio.", provider="speech")
        return response.content

    def speak(self, parts: list[str], out_dir: Path, *, language: str) -> Speech:
        texts = [spoken(part) for part in parts]
        # The parts are independent requests: ask for them at once.
        with ThreadPoolExecutor(max_workers=min(4, len(texts)) or 1) as pool:
            answers = list(pool.map(lambda t: self._fetch(t) if t else b"", texts))
        files: list[Path] = []
        words: list[float] = []
        silence = out_dir / "speech-silence.wav"
        for index, (text, data) in enumerate(zip(texts, answers, strict=True)):
            path = out_dir / f"speech-{index}.wav"
            if not text:
                audio.silence(silence, 0.0)
                files.append(silence)
                words.append(0.0)
                continue
            raw = out_dir / f"speech-{index}.answer"
            raw.write_bytes(data)
            try:
                audio.to_wav(raw, path)
                seconds = audio.wav_seconds(path)
            except (RenderError, OSError, EOFError) as exc:
                raise SpeechUnavailable(
                    "Speech model sent audio that cannot be decoded.", provider="speech"
                ) from exc
            if seconds <= 0.05:
                raise SpeechUnavailable("Speech model sent empty audio.", provider="speech")
            files.append(path)
            words.append(seconds)
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
