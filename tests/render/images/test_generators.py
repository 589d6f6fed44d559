"""The image-generation seam: the OpenAI-compatible client against a local fake (respx), the
sandbox, and which one a mode gets."""

from __future__ import annotations

import base64
import io
import json

import httpx
import pytest
import respx
from PIL import Image, ImageChops

from layers.kit.errors import PlatformError
from layers.kit.settings import Settings
from layers.render import drawing
from layers.render.images.base import SANDBOX, ImageRequest
from layers.render.images.openai import MAX_BYTES, OpenAIImages
from layers.render.images.registry import image_generator
from layers.render.images.sandbox import SandboxImages

BASE = "https://images.example.com/v1"
TEXT_B64 = base64.b64encode(b"plain text").decode()


def png(size: tuple[int, int], color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def request(size: tuple[int, int] = (1080, 1920), purpose: str = "background") -> ImageRequest:
    return ImageRequest(
        prompt="A quiet kitchen at dawn. No text.",
        purpose=purpose,  # type: ignore[arg-type]
        size=size,
        seed="cnt_1:1",
        sketch=lambda: drawing.gradient(size, (90, 50, 30), (20, 10, 5)),
    )


@respx.mock
def test_inline_answer_is_decoded_and_cropped_to_the_size_asked_for() -> None:
    inline = base64.b64encode(png((1024, 1536), (200, 40, 40))).decode()
    route = respx.post(f"{BASE}/images/generations").mock(
        return_value=httpx.Response(200, json={"created": 1, "data": [{"b64_json": inline}]})
    )
    client = OpenAIImages(BASE + "/", "sk-test", "gpt-image-1", sizes={"background": "1024x1536"})
    image = client.generate(request())
    assert image.size == (1080, 1920) and image.mode == "RGB"
    assert image.getpixel((540, 960)) == (200, 40, 40)
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == "Bearer sk-test"
    body = json.loads(sent.content)
    assert body == {
        "model": "gpt-image-1",
        "prompt": "A quiet kitchen at dawn. No text.",
        "n": 1,
        "size": "1024x1536",
    }
    assert client.name == "openai:gpt-image-1"


@respx.mock
def test_a_linked_answer_is_downloaded() -> None:
    respx.post(f"{BASE}/images/generations").mock(
        return_value=httpx.Response(
            200,
            json={"data": [{"url": "https://cdn.example.com/img/abc.png", "revised_prompt": ""}]},
        )
    )
    respx.get("https://cdn.example.com/img/abc.png").mock(
        return_value=httpx.Response(200, content=png((1024, 1024), (10, 200, 90)))
    )
    client = OpenAIImages(BASE, None, "dall-e-3")
    image = client.generate(request((1024, 1024), "portrait"))
    assert image.size == (1024, 1024)
    assert image.getpixel((10, 10)) == (10, 200, 90)
    sent = respx.calls[0].request
    assert "Authorization" not in sent.headers
    assert json.loads(sent.content)["size"] == "1024x1024"


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(500, json={"error": {"message": "boom"}}), "HTTP 500"),
        (httpx.Response(400, json={"error": {"message": "content policy"}}), "HTTP 400"),
        (httpx.Response(200, json={"data": []}), "unusable"),
        (httpx.Response(200, text="not json"), "unusable"),
        (httpx.Response(200, json={"data": [{"b64_json": "%%%notbase64"}]}), "base64"),
        (httpx.Response(200, json={"data": [{"b64_json": TEXT_B64}]}), "not an image"),
        (httpx.Response(200, json={"data": [{"revised_prompt": "only words"}]}), "no image"),
    ],
)  # fmt: skip
@respx.mock
def test_failures_and_unusable_answers_are_platform_errors(
    response: httpx.Response, message: str
) -> None:
    respx.post(f"{BASE}/images/generations").mock(return_value=response)
    with pytest.raises(PlatformError, match=message) as caught:
        OpenAIImages(BASE, "k", "gpt-image-1").generate(request())
    assert caught.value.status == 502


@respx.mock
def test_unreachable_endpoint_and_failed_download_are_platform_errors() -> None:
    respx.post(f"{BASE}/images/generations").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(PlatformError, match="unreachable"):
        OpenAIImages(BASE, "k", "m").generate(request())

    respx.post(f"{BASE}/images/generations").mock(
        return_value=httpx.Response(200, json={"data": [{"url": "https://cdn.example.com/x.png"}]})
    )
    respx.get("https://cdn.example.com/x.png").mock(return_value=httpx.Response(403))
    with pytest.raises(PlatformError, match="HTTP 403"):
        OpenAIImages(BASE, "k", "m").generate(request())

    respx.get("https://cdn.example.com/x.png").mock(
        return_value=httpx.Response(200, content=b"\0" * (MAX_BYTES + 1))
    )
    with pytest.raises(PlatformError, match="too large"):
        OpenAIImages(BASE, "k", "m").generate(request())


def test_sandbox_answers_with_the_sketch() -> None:
    wanted = request()
    image = SandboxImages().generate(wanted)
    assert ImageChops.difference(image, wanted.sketch()).getbbox() is None
    small = SandboxImages().generate(
        ImageRequest("p", "portrait", (256, 256), "s", lambda: Image.new("RGBA", (512, 512), "red"))
    )
    assert small.size == (256, 256) and small.mode == "RGB"


def test_registry_test_mode_is_the_sandbox_and_live_mode_uses_the_configured_model() -> None:
    configured = Settings(imagegen_url=BASE, imagegen_api_key="k", imagegen_model="gpt-image-1")
    assert image_generator(False, configured).name == SANDBOX
    assert image_generator(True, Settings(imagegen_url=None)).name == SANDBOX
    live = image_generator(True, configured)
    assert isinstance(live, OpenAIImages) and live.name == "openai:gpt-image-1"
    assert image_generator(True, configured) is live  # one client (and pool) per endpoint
