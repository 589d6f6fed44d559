"""Generated slide backgrounds: one picture per slideshow that has no source picture.

A slideshow-remix is drawn on its source's slides (blurred); a slideshow-builder — or a live
remix whose source came without media — has nothing but the brand's gradient. When an image
model is configured (live mode), it is asked for one background per container, on-brand and
text-free, which every slide but the end card shows (sharp, dimmed). The sandbox generates
nothing: those slides keep the palette gradients the renderer draws itself.
"""

from __future__ import annotations

import io
from typing import Any

from layers.content import service
from layers.kit.storage import MediaStorage
from layers.render import drawing
from layers.render.drawing import HEIGHT, WIDTH
from layers.render.images.base import SANDBOX, ImageRequest
from layers.render.images.registry import image_generator

_MOOD = {
    "authentic": "honest, lived-in, everyday",
    "witty": "playful, bright, a little surprising",
    "professional": "clean, calm, premium",
    "warm": "cozy, golden-hour, inviting",
    "casual": "relaxed, easygoing, candid",
    "educational": "clear, tidy, focused",
}


def wants_scene(plan: dict[str, Any]) -> bool:
    """A slideshow with no source picture to sit on."""
    source = plan["source"] or {}
    return service.MEDIA_KIND[plan["format"]] == "slideshow" and not source.get("slide_keys")


def scene_prompt(plan: dict[str, Any]) -> str:
    """The background asked for: the brand's world, no text (ours goes on top), calm middle."""
    brief = plan["brief"]
    about = brief.get("app_description") or brief.get("tagline") or plan["app_name"]
    topics = ", ".join((brief.get("phrases") or [])[:3])
    palette = drawing.palette_for(brief["brand_voice"], plan["palette_seed"])
    colours = ", ".join("#{:02x}{:02x}{:02x}".format(*c) for c in (palette.top, palette.accent))
    return (
        "Vertical 9:16 photograph used as the background of a TikTok photo slideshow for "
        f"{plan['app_name']} ({about})."
        + (f" Scene related to: {topics}." if topics else "")
        + f" Mood: {_MOOD.get(brief['brand_voice'], 'natural')}. Uncluttered, soft light, "
        f"a quiet area in the middle for a caption, colours that sit well with {colours}. "
        "No text, no letters, no logos, no screens, no faces."
    )


def make_scene(
    plan: dict[str, Any], key_prefix: str, storage: MediaStorage, seed: str
) -> dict[str, str | None]:
    """Generate and store the container's background when it wants one and a model is
    configured. ``{"key": storage key or None, "provider": who made the container's
    pictures}``: the model's name, or ``sandbox`` when everything was drawn locally (a remix
    on its source's slides, a video, no model)."""
    if not wants_scene(plan):
        return {"key": None, "provider": SANDBOX}
    generator = image_generator(plan["livemode"])
    if generator.name == SANDBOX:
        return {"key": None, "provider": SANDBOX}
    palette = drawing.palette_for(plan["brief"]["brand_voice"], plan["palette_seed"])
    request = ImageRequest(
        prompt=scene_prompt(plan),
        purpose="background",
        size=(WIDTH, HEIGHT),
        seed=seed,
        sketch=lambda: drawing.gradient((WIDTH, HEIGHT), palette.top, palette.bottom),
    )
    image = generator.generate(request)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    key = f"{key_prefix}/scene.jpg"
    storage.put(key, buffer.getvalue(), "image/jpeg")
    return {"key": key, "provider": generator.name}
