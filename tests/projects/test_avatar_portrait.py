"""Influencer portraits through the image seam: the drawn avatar in the sandbox, the image
model's picture when one is configured (the real client against a local fake)."""

from __future__ import annotations

import base64
import io
import json

import httpx
import respx
from PIL import Image, ImageChops

from layers.projects.influencers import avatar, persona
from layers.render.images.openai import OpenAIImages
from layers.render.images.sandbox import SandboxImages

BASE = "https://images.example.com/v1"


def someone() -> persona.Persona:
    return persona.generate(
        seed="inf_portrait",
        gender="female",
        age_range="adult",
        brand_voice="warm",
        language="en",
        app_name="Acme Coffee",
        prompt="red hair and glasses",
    )


def test_the_sandbox_portrait_is_the_drawn_avatar() -> None:
    designed = someone()
    made = avatar.portrait(designed, SandboxImages(), seed="inf_portrait")
    assert made.size == (avatar.SIZE, avatar.SIZE)
    assert ImageChops.difference(made, avatar.render(designed)).getbbox() is None


def test_the_prompt_describes_the_look_and_never_the_name() -> None:
    designed = someone()
    prompt = avatar.portrait_prompt(designed)
    assert f"{designed.age}-year-old woman" in prompt
    assert "red" in prompt and "glasses" in prompt and designed.outfit in prompt
    assert designed.name.split()[0] not in prompt
    assert "No text" in prompt


@respx.mock
def test_a_configured_model_paints_the_portrait() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (1024, 1024), (90, 140, 200)).save(buffer, "PNG")
    route = respx.post(f"{BASE}/images/generations").mock(
        return_value=httpx.Response(
            200, json={"data": [{"b64_json": base64.b64encode(buffer.getvalue()).decode()}]}
        )
    )
    designed = someone()
    made = avatar.portrait(designed, OpenAIImages(BASE, "k", "gpt-image-1"), seed="inf_portrait")
    assert made.size == (avatar.SIZE, avatar.SIZE)
    assert made.getpixel((512, 512)) == (90, 140, 200)
    body = json.loads(route.calls.last.request.content)
    assert body["size"] == "1024x1024" and body["prompt"] == avatar.portrait_prompt(designed)
