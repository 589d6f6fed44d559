"""The influencer's avatar: a portrait from the configured image model (`portrait`), or a
stylised one drawn with Pillow from the persona (`render`, the sandbox's answer).

Drawn at twice the size and downsampled, which is all the anti-aliasing Pillow needs.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from layers.projects.influencers.persona import SKIN_TONES, Persona
from layers.render.images.base import ImageGenerator, ImageRequest

SIZE = 1024
THUMB = 256


def _rgb(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _shade(color: str, factor: float) -> tuple[int, int, int]:
    return tuple(max(0, min(255, int(c * factor))) for c in _rgb(color))  # type: ignore[return-value]


def _gradient(size: int, top: str, bottom: str) -> Image.Image:
    mask = Image.linear_gradient("L").resize((size, size))
    return Image.composite(
        Image.new("RGB", (size, size), _rgb(bottom)),
        Image.new("RGB", (size, size), _rgb(top)),
        mask,
    )


def render(persona: Persona) -> Image.Image:
    s = SIZE * 2
    img = _gradient(s, persona.background[0], persona.background[1])
    draw = ImageDraw.Draw(img, "RGBA")
    cx = s // 2
    skin, hair = persona.skin_tone, persona.hair_color
    head_w, head_h = int(s * 0.30), int(s * 0.38)
    head_top = int(s * 0.22)
    head = (cx - head_w // 2, head_top, cx + head_w // 2, head_top + head_h)

    draw.ellipse((cx - s * 0.36, s * 0.10, cx + s * 0.36, s * 0.82), fill=(255, 255, 255, 40))
    long_back = persona.hair_style in ("long", "wavy", "curly", "bob", "ponytail")
    if long_back:
        bottom = head[3] + (int(s * 0.22) if persona.hair_style != "bob" else int(s * 0.02))
        draw.rounded_rectangle(
            (head[0] - s * 0.05, head_top - s * 0.02, head[2] + s * 0.05, bottom),
            radius=int(s * 0.12),
            fill=_rgb(hair),
        )
    if persona.hair_style == "ponytail":
        draw.ellipse(
            (head[2] - s * 0.02, head_top + s * 0.1, head[2] + s * 0.12, head[3]), fill=_rgb(hair)
        )

    # torso and neck
    draw.rounded_rectangle(
        (cx - s * 0.34, s * 0.74, cx + s * 0.34, s * 1.1),
        radius=int(s * 0.16),
        fill=_rgb(persona.outfit_color),
    )
    draw.rectangle(
        (cx - s * 0.06, head[3] - s * 0.05, cx + s * 0.06, s * 0.78), fill=_shade(skin, 0.9)
    )
    draw.pieslice(
        (cx - s * 0.09, s * 0.70, cx + s * 0.09, s * 0.82), 0, 180, fill=_shade(skin, 0.9)
    )

    # ears and head
    for side in (-1, 1):
        ex: float = cx + side * head_w // 2
        draw.ellipse(
            (ex - s * 0.03, head_top + head_h * 0.42, ex + s * 0.03, head_top + head_h * 0.6),
            fill=_shade(skin, 0.95),
        )
        if "earrings" in persona.accessories:
            draw.ellipse(
                (
                    ex - s * 0.012,
                    head_top + head_h * 0.6,
                    ex + s * 0.012,
                    head_top + head_h * 0.6 + s * 0.024,
                ),
                fill=(232, 196, 90),
            )
    draw.ellipse(head, fill=_rgb(skin))

    # front hair
    cap = (head[0] - s * 0.015, head_top - s * 0.04, head[2] + s * 0.015, head_top + head_h * 0.55)
    if persona.hair_style == "buzz":
        draw.chord(cap, 180, 360, fill=(*_rgb(hair), 200))
    elif persona.hair_style == "curly":
        for i in range(11):
            x = head[0] + (head_w * i) / 10
            draw.ellipse(
                (x - s * 0.05, head_top - s * 0.06, x + s * 0.05, head_top + s * 0.07),
                fill=_rgb(hair),
            )
        draw.chord(cap, 180, 360, fill=_rgb(hair))
    else:
        draw.chord(cap, 170, 370, fill=_rgb(hair))
    if persona.hair_style == "bun":
        draw.ellipse(
            (cx - s * 0.07, head_top - s * 0.13, cx + s * 0.07, head_top + s * 0.01),
            fill=_rgb(hair),
        )
    if "cap" in persona.accessories:
        draw.chord(
            (head[0] - s * 0.03, head_top - s * 0.07, head[2] + s * 0.03, head_top + head_h * 0.45),
            180,
            360,
            fill=_rgb(persona.outfit_color),
        )

    # face
    eye_y = head_top + head_h * 0.52
    for side in (-1, 1):
        ex = cx + side * head_w * 0.2
        draw.ellipse(
            (ex - s * 0.032, eye_y - s * 0.018, ex + s * 0.032, eye_y + s * 0.018),
            fill=(250, 250, 250),
        )
        draw.ellipse(
            (ex - s * 0.016, eye_y - s * 0.016, ex + s * 0.016, eye_y + s * 0.016),
            fill=_rgb(persona.eye_color),
        )
        draw.ellipse(
            (ex - s * 0.007, eye_y - s * 0.007, ex + s * 0.007, eye_y + s * 0.007),
            fill=(20, 20, 20),
        )
        draw.ellipse(
            (ex + s * 0.004, eye_y - s * 0.01, ex + s * 0.01, eye_y - s * 0.004),
            fill=(255, 255, 255),
        )
        draw.arc(
            (ex - s * 0.04, eye_y - s * 0.07, ex + s * 0.04, eye_y - s * 0.02),
            200,
            340,
            fill=_shade(hair, 0.8),
            width=int(s * 0.009),
        )
        draw.ellipse(
            (ex - s * 0.035, eye_y + s * 0.05, ex + s * 0.035, eye_y + s * 0.085),
            fill=(235, 120, 120, 45),
        )
        if "glasses" in persona.accessories:
            draw.rounded_rectangle(
                (ex - s * 0.05, eye_y - s * 0.035, ex + s * 0.05, eye_y + s * 0.035),
                radius=int(s * 0.02),
                outline=(35, 35, 35),
                width=int(s * 0.007),
            )
    if "glasses" in persona.accessories:
        draw.line(
            (cx - s * 0.01, eye_y - s * 0.01, cx + s * 0.01, eye_y - s * 0.01),
            fill=(35, 35, 35),
            width=int(s * 0.007),
        )
    nose_y = head_top + head_h * 0.66
    draw.arc(
        (cx - s * 0.018, nose_y - s * 0.03, cx + s * 0.018, nose_y + s * 0.01),
        20,
        160,
        fill=_shade(skin, 0.75),
        width=int(s * 0.006),
    )
    mouth_y = head_top + head_h * 0.78
    draw.chord(
        (cx - s * 0.055, mouth_y - s * 0.03, cx + s * 0.055, mouth_y + s * 0.035),
        0,
        180,
        fill=(176, 74, 82),
    )
    draw.chord(
        (cx - s * 0.04, mouth_y - s * 0.005, cx + s * 0.04, mouth_y + s * 0.012),
        0,
        180,
        fill=(250, 250, 250),
    )
    if "freckles" in persona.accessories:
        for dx, dy in (
            (-0.07, 0.6),
            (-0.05, 0.63),
            (-0.08, 0.64),
            (0.07, 0.6),
            (0.05, 0.63),
            (0.08, 0.64),
        ):
            fx, fy = cx + s * dx, head_top + head_h * dy
            draw.ellipse(
                (fx - s * 0.004, fy - s * 0.004, fx + s * 0.004, fy + s * 0.004),
                fill=_shade(skin, 0.7),
            )
    if "beard" in persona.accessories and persona.gender == "male":
        draw.chord(
            (head[0] + s * 0.01, head_top + head_h * 0.55, head[2] - s * 0.01, head[3] + s * 0.02),
            0,
            180,
            fill=(*_shade(hair, 0.9), 220),
        )
        draw.chord(
            (cx - s * 0.055, mouth_y - s * 0.03, cx + s * 0.055, mouth_y + s * 0.035),
            0,
            180,
            fill=(176, 74, 82),
        )
    return img.reduce(2)  # box-filtered 2× downsample: the anti-aliasing


def encode_png(image: Image.Image, size: int | None = None) -> bytes:
    if size is not None:
        image = image.resize((size, size), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


_SKIN_WORDS = ["fair", "light", "light-medium", "medium", "tan", "brown", "deep brown"]
_GENDER_WORDS = {"male": "man", "female": "woman"}


def portrait_prompt(persona: Persona) -> str:
    """What an image model is asked for: the persona's look in words (never its name)."""
    skin = (
        _SKIN_WORDS[SKIN_TONES.index(persona.skin_tone)]
        if persona.skin_tone in SKIN_TONES
        else "natural"
    )
    who = _GENDER_WORDS.get(persona.gender, "person")
    extras = [a for a in persona.accessories if a != "beard" or persona.gender == "male"]
    wearing = f"wearing {persona.outfit}" + (f", with {', '.join(extras)}" if extras else "")
    return (
        f"Photorealistic head-and-shoulders portrait of a {persona.age}-year-old {who} who makes "
        f"short social videos: {skin} skin, {persona.hair_color_name} {persona.hair_style} hair, "
        f"{persona.eye_color_name} eyes, {wearing}. Friendly, {persona.vibe} expression, looking "
        "into the camera, soft natural light, plain pastel background, square framing. "
        "No text, no logos, no watermark."
    )


def portrait(persona: Persona, generator: ImageGenerator, seed: str) -> Image.Image:
    """The influencer's portrait, SIZE×SIZE: generated when an image model is configured,
    else (the sandbox) the stylised drawing above."""
    request = ImageRequest(
        prompt=portrait_prompt(persona),
        purpose="portrait",
        size=(SIZE, SIZE),
        seed=seed,
        sketch=lambda: render(persona),
    )
    return generator.generate(request)
