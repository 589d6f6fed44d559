"""The sandbox generator: no network, the caller's own drawing (deterministic)."""

from __future__ import annotations

from PIL import Image

from layers.render import drawing
from layers.render.images.base import SANDBOX, ImageRequest


class SandboxImages:
    """Answers every request with its `sketch`, fitted to the size asked for."""

    name = SANDBOX

    def generate(self, request: ImageRequest) -> Image.Image:
        image = request.sketch()
        if image.size == request.size and image.mode == "RGB":
            return image
        return drawing.cover(image, request.size)
