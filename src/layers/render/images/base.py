"""The `ImageGenerator` Protocol and what it is asked for (`ImageRequest`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from PIL import Image

Purpose = Literal["portrait", "background"]

SANDBOX = "sandbox"


@dataclass(frozen=True)
class ImageRequest:
    """One picture to make.

    `sketch` draws the local stand-in (the persona's stylised portrait, the brand gradient):
    what the sandbox answers, and what Layers drew before image generation existed.
    """

    prompt: str
    purpose: Purpose
    size: tuple[int, int]  # the pixels wanted (width, height); the answer has exactly this size
    seed: str
    sketch: Callable[[], Image.Image]


class ImageGenerator(Protocol):
    """Makes one picture per request.

    The contract every implementation keeps:

    * The answer is an RGB image of exactly `request.size` (a provider's nearest supported
      size is centre-cropped and scaled to it), or the call raises.
    * A provider failure or an unusable answer raises `PlatformError` (502).
    * `name` says who made the picture (``sandbox``, ``openai:<model>``); containers record
      it as ``providers["images"]``.
    * Nothing is sent but the prompt: no customer data beyond what the prompt says.
    """

    name: str

    def generate(self, request: ImageRequest) -> Image.Image:
        """The picture `request` asks for."""
        ...
