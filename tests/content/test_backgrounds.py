"""Generated slide backgrounds: which slideshows want one, what is asked for, and the whole
pipeline with an image model (a local fake behind the real client) and without one."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageChops, ImageDraw

from layers.content import backgrounds as scenes
from layers.kit.settings import Settings
from layers.kit.storage import get_storage
from layers.render import drawing
from layers.render.images.openai import OpenAIImages
from tests.support import ACME, new_tenant, ready_influencer, wait_for_job

BASE = "https://images.example.com/v1"


def picture() -> Image.Image:
    image = Image.new("RGB", (1024, 1536), (225, 200, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((200, 300, 820, 920), fill=(160, 90, 50))
    draw.rectangle((0, 1200, 1024, 1536), fill=(240, 200, 80))
    return image


class FakeImageModel:
    """A local stand-in for an OpenAI-compatible image endpoint (an httpx transport)."""

    def __init__(self) -> None:
        self.prompts: list[dict[str, Any]] = []
        buffer = io.BytesIO()
        picture().save(buffer, "PNG")
        self.inline = base64.b64encode(buffer.getvalue()).decode()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url == f"{BASE}/images/generations"
        self.prompts.append(json.loads(request.content))
        return httpx.Response(200, json={"created": 1, "data": [{"b64_json": self.inline}]})

    def client(self) -> OpenAIImages:
        return OpenAIImages(BASE, "sk-test", "gpt-image-1", transport=httpx.MockTransport(self))


def plan(fmt: str, slide_keys: list[str] | None = None, livemode: bool = True) -> dict[str, Any]:
    return {
        "format": fmt,
        "livemode": livemode,
        "palette_seed": "prj_1",
        "app_name": "Acme Coffee",
        "brief": {
            "app_name": "Acme Coffee",
            "app_description": "Fresh beans delivered before you run out",
            "tagline": "Coffee that shows up",
            "brand_voice": "warm",
            "phrases": ["morning routine", "coffee lovers", "slow mornings", "more"],
        },
        "source": {"slide_keys": slide_keys} if slide_keys is not None else None,
    }


def test_only_slideshows_without_a_source_picture_want_a_scene() -> None:
    assert scenes.wants_scene(plan("slideshow-builder"))
    assert scenes.wants_scene(plan("slideshow-remix", slide_keys=[]))  # a live source, no media
    assert not scenes.wants_scene(plan("slideshow-remix", slide_keys=["sources/1/slide-1.jpg"]))
    assert not scenes.wants_scene(plan("video-remix"))
    assert not scenes.wants_scene(plan("ugc-remix"))


def test_the_prompt_names_the_brand_and_forbids_text() -> None:
    prompt = scenes.scene_prompt(plan("slideshow-builder"))
    assert "Acme Coffee" in prompt and "Fresh beans delivered" in prompt
    assert "morning routine, coffee lovers, slow mornings" in prompt and "more" not in prompt
    assert "No text" in prompt and "9:16" in prompt


def test_the_sandbox_generates_nothing(settings: Settings) -> None:
    storage = get_storage(settings)
    made = scenes.make_scene(
        plan("slideshow-builder", livemode=False), "content/x/g1", storage, "s"
    )
    assert made == {"key": None, "provider": "sandbox"}


def test_a_configured_model_makes_and_stores_one_background(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeImageModel()
    monkeypatch.setattr(scenes, "image_generator", lambda livemode: fake.client())
    storage = get_storage(settings)
    made = scenes.make_scene(plan("slideshow-builder"), "content/cnt_bg/g1", storage, "cnt_bg:1")
    assert made == {"key": "content/cnt_bg/g1/scene.jpg", "provider": "openai:gpt-image-1"}
    stored = Image.open(Path(storage.path("content/cnt_bg/g1/scene.jpg")))
    assert stored.size == (1080, 1920) and stored.format == "JPEG"
    assert fake.prompts[0]["size"] == "1024x1536"
    # A remix with source slides asks for nothing.
    again = scenes.make_scene(plan("slideshow-remix", ["k"]), "content/cnt_bg/g2", storage, "s")
    assert again == {"key": None, "provider": "sandbox"} and len(fake.prompts) == 1
    video = scenes.make_scene(plan("video-remix"), "content/cnt_bg/g3", storage, "s")
    assert video == {"key": None, "provider": "sandbox"} and len(fake.prompts) == 1


@pytest.fixture(scope="module")
def brand(client: TestClient) -> dict[str, Any]:
    tenant = new_tenant("Backgrounds")
    headers = tenant.headers(test=True)
    project = client.post("/v1/projects", json=ACME, headers=headers).json()
    influencer = ready_influencer(client, project["id"], headers)
    return {"headers": headers, "project": project, "influencer": influencer}


def generate(client: TestClient, brand: dict[str, Any], fmt: str) -> dict[str, Any]:
    headers = brand["headers"]
    accepted = client.post(
        f"/v1/projects/{brand['project']['id']}/content/{fmt}",
        json={"influencerId": brand["influencer"], "hook": "Plants die quietly\\nhere's why"},
        headers=headers,
    ).json()
    job = wait_for_job(client, accepted["jobId"], headers, timeout=90)
    assert job["status"] == "completed", job
    return client.get(f"/v1/content/{accepted['containerId']}", headers=headers).json()


def slide(client: TestClient, url: str) -> Image.Image:
    parsed = httpx.URL(url)
    response = client.get(f"{parsed.path}?{parsed.query.decode()}")
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.content)).convert("RGB")


def test_without_a_model_the_container_says_sandbox_and_keeps_its_gradients(
    client: TestClient, brand: dict[str, Any]
) -> None:
    container = generate(client, brand, "slideshow-builder")
    assert container["providers"]["images"] == "sandbox"


def test_with_a_model_the_builder_slides_sit_on_the_generated_background(
    client: TestClient, brand: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeImageModel()
    monkeypatch.setattr(scenes, "image_generator", lambda livemode: fake.client())
    container = generate(client, brand, "slideshow-builder")
    assert container["providers"]["images"] == "openai:gpt-image-1"
    assert len(fake.prompts) == 1 and "Acme Coffee" in fake.prompts[0]["prompt"]
    expected = drawing.scene(picture())
    urls = container["preview"]["imageUrls"]
    for url in urls[:-1]:  # every slide but the end card
        band = (0, 1820, 700, 1920)  # bottom left: nothing drawn there but the background
        seen = slide(client, url).crop(band)
        diff = ImageChops.difference(seen, expected.crop(band)).convert("L")
        assert sum(diff.histogram()[20:]) / (700 * 100) < 0.02
    corner = (0, 1820, 700, 1920)
    end = slide(client, urls[-1]).crop(corner)  # the end card keeps the brand's gradient
    assert max(ImageChops.difference(end, expected.crop(corner)).convert("L").getextrema()) > 40
