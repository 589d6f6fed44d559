"""Which image generator serves a mode: a plain dict; test mode → the sandbox.

Live mode generates with the configured OpenAI-compatible endpoint
(``LAYERS_IMAGEGEN_URL``), and draws locally (the sandbox) when none is set.
"""

from __future__ import annotations

from collections.abc import Callable

from layers.kit.settings import Settings, get_settings
from layers.render.images.base import ImageGenerator
from layers.render.images.openai import OpenAIImages
from layers.render.images.sandbox import SandboxImages

LIVE, TEST = "live", "test"

_clients: dict[tuple[str, str | None, str, str, str], OpenAIImages] = {}


def _live(settings: Settings) -> ImageGenerator:
    """One client per endpoint, key, model and sizes, so its connection pool is reused."""
    if not settings.imagegen_url:
        return SandboxImages()
    key = (
        settings.imagegen_url,
        settings.imagegen_api_key,
        settings.imagegen_model,
        settings.imagegen_portrait_size,
        settings.imagegen_background_size,
    )
    if key not in _clients:
        url, api_key, model, portrait, background = key
        _clients[key] = OpenAIImages(
            url, api_key, model, sizes={"portrait": portrait, "background": background}
        )
    return _clients[key]


GENERATORS: dict[str, Callable[[Settings], ImageGenerator]] = {
    LIVE: _live,
    TEST: lambda settings: SandboxImages(),
}


def image_generator(livemode: bool, settings: Settings | None = None) -> ImageGenerator:
    return GENERATORS[LIVE if livemode else TEST](settings or get_settings())
