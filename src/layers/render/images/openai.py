"""The live generator: any OpenAI-compatible ``POST /images/generations`` endpoint
(``LAYERS_IMAGEGEN_URL``, ``…_API_KEY``, ``…_MODEL``).

The answer's ``data[0]`` holds the picture either inline (``b64_json``, what GPT image models
always return) or as a short-lived ``url`` (DALL·E's default): both are accepted, so no
``response_format`` is sent (GPT image models refuse it). A URL is fetched with the same
client and a size cap; it comes from the configured provider, which is trusted like the
endpoint itself. Errors and unusable answers are ``PLATFORM_ERROR``.
"""

from __future__ import annotations

import base64
import binascii

import httpx
from PIL import Image

from layers.kit.errors import PlatformError
from layers.render import drawing
from layers.render.images.base import ImageRequest, Purpose

MAX_BYTES = 32 * 1024 * 1024
PROVIDER = "images"


class OpenAIImages:
    """Image generations with an inline or linked answer, cropped to the size asked for."""

    def __init__(
        self,
        url: str,
        api_key: str | None,
        model: str,
        *,
        sizes: dict[Purpose, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 120.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.model = model
        self.sizes: dict[Purpose, str] = {
            "portrait": "1024x1024",
            "background": "1024x1536",
            **(sizes or {}),
        }
        self.name = f"openai:{model}"
        self.client = httpx.Client(timeout=timeout, transport=transport)

    def generate(self, request: ImageRequest) -> Image.Image:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        payload = {
            "model": self.model,
            "prompt": request.prompt,
            "n": 1,
            "size": self.sizes[request.purpose],
        }
        try:
            response = self.client.post(
                f"{self.url}/images/generations", json=payload, headers=headers
            )
        except httpx.HTTPError as exc:
            raise PlatformError(
                f"Image model unreachable: {type(exc).__name__}.", provider=PROVIDER
            ) from exc
        if response.status_code != 200:
            raise PlatformError(
                f"Image model answered HTTP {response.status_code}.",
                provider=PROVIDER,
                platformCode=str(response.status_code),
            )
        try:
            item = response.json()["data"][0]
            inline, link = item.get("b64_json"), item.get("url")
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
            raise PlatformError("Image model gave an unusable answer.", provider=PROVIDER) from exc
        if isinstance(inline, str) and inline:
            try:
                data = base64.b64decode(inline, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise PlatformError(
                    "Image model gave undecodable base64.", provider=PROVIDER
                ) from exc
        elif isinstance(link, str) and link.startswith(("https://", "http://")):
            data = self._download(link)
        else:
            raise PlatformError("Image model gave no image.", provider=PROVIDER)
        image = drawing.open_image(data)
        if image is None:
            raise PlatformError("Image model gave bytes that are not an image.", provider=PROVIDER)
        return drawing.cover(image, request.size)

    def _download(self, link: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            with self.client.stream("GET", link) as response:
                if response.status_code != 200:
                    raise PlatformError(
                        f"Image download answered HTTP {response.status_code}.",
                        provider=PROVIDER,
                        platformCode=str(response.status_code),
                    )
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise PlatformError("Image download is too large.", provider=PROVIDER)
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise PlatformError(
                f"Image download failed: {type(exc).__name__}.", provider=PROVIDER
            ) from exc
        return b"".join(chunks)
