"""Persona generation: a consistent synthetic ambassador anchored on the brand brief.

Deterministic for a given seed, so a recovered workflow regenerates the same persona. The
free-text prompt steers the visual identity through the words it mentions ("red hair",
"glasses", "curly", …).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import asdict, dataclass
from typing import Any

FEMALE_NAMES = {
    "en": ["Maya", "Chloe", "Ava", "Harper", "Zoe", "Lena", "Nora", "Ivy", "Ruby", "Tessa"],
    "es": ["Lucía", "Valeria", "Camila", "Sofía", "Elena", "Daniela", "Paula", "Marina"],
    "pt": ["Beatriz", "Larissa", "Mariana", "Júlia", "Helena", "Carolina", "Bianca"],
    "fr": ["Camille", "Léa", "Manon", "Chloé", "Inès", "Juliette", "Élise"],
    "de": ["Lena", "Mia", "Hannah", "Clara", "Lea", "Marie", "Sophie"],
}
MALE_NAMES = {
    "en": ["Leo", "Ethan", "Noah", "Miles", "Jonah", "Caleb", "Owen", "Theo", "Eli", "Jasper"],
    "es": ["Mateo", "Diego", "Santiago", "Lucas", "Javier", "Andrés", "Tomás", "Pablo"],
    "pt": ["Gabriel", "Rafael", "Thiago", "Pedro", "Felipe", "Bruno", "Caio"],
    "fr": ["Hugo", "Louis", "Arthur", "Théo", "Jules", "Nathan", "Lucas"],
    "de": ["Jonas", "Felix", "Paul", "Lukas", "Elias", "Max", "Ben"],
}
NONBINARY_NAMES = ["Alex", "Sam", "River", "Rowan", "Jordan", "Quinn", "Sage", "Remy", "Kai"]
SURNAME_INITIALS = "ABCDEFGHJKLMNPRSTVW"

SKIN_TONES = ["#f6d7c3", "#eac0a0", "#d8a47f", "#c68a62", "#a96e4a", "#8a5536", "#5f3a22"]
HAIR_COLORS = {
    "black": "#1d1a1a",
    "dark brown": "#3b2417",
    "brown": "#6b4226",
    "auburn": "#8d3b1e",
    "red": "#a83a1f",
    "blonde": "#d9b36c",
    "platinum": "#e8e0cf",
    "gray": "#9a9a9a",
    "pink": "#e58fb2",
    "blue": "#4f6fd8",
}
HAIR_STYLES = ["long", "bob", "bun", "curly", "short", "buzz", "wavy", "ponytail"]
EYE_COLORS = {
    "brown": "#5a3a22",
    "hazel": "#7a6233",
    "green": "#3f7a4a",
    "blue": "#3f6fa8",
    "gray": "#6f7b85",
}
VOICE_STYLE = {
    "authentic": ("relaxed everyday outfits", ["#f4efe6", "#d9c8b4"], "honest, unfiltered"),
    "witty": ("playful graphic tees", ["#fff1a8", "#ffb3c7"], "quick, funny, self-aware"),
    "professional": ("clean smart-casual", ["#e6edf5", "#9fb4cc"], "clear, credible, calm"),
    "warm": ("cozy knits in earthy tones", ["#fde6d2", "#f2b48f"], "kind, encouraging, close"),
    "casual": ("streetwear basics", ["#e3f2ec", "#a7d7c5"], "easygoing, chatty"),
    "educational": ("simple layered looks", ["#e8e6fb", "#b9b2ef"], "patient, explains clearly"),
}
OUTFIT_COLORS = ["#2f4858", "#86bbd8", "#f26419", "#33658a", "#c2573a", "#5b8e7d", "#8e6c8a"]
AGE_YEARS = {
    "teen": (17, 19),
    "young_adult": (21, 27),
    "adult": (28, 35),
    "mid_adult": (36, 45),
    "mature": (46, 58),
    "senior": (60, 72),
}
PROMPT_WORDS = {
    "glasses": "glasses",
    "freckles": "freckles",
    "earrings": "earrings",
    "beard": "beard",
    "hat": "cap",
}


@dataclass(frozen=True)
class Persona:
    name: str
    gender: str
    age_range: str
    age: int
    skin_tone: str
    hair_color_name: str
    hair_color: str
    hair_style: str
    eye_color_name: str
    eye_color: str
    outfit: str
    outfit_color: str
    background: list[str]
    accessories: list[str]
    vibe: str
    bio: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def default_gender(target_gender: str) -> str:
    """The project's targetGender when it names one, else female (the reference default)."""
    return target_gender if target_gender in ("female", "male") else "female"


def generate(
    *,
    seed: str,
    gender: str,
    age_range: str,
    brand_voice: str,
    language: str,
    app_name: str | None,
    prompt: str | None,
) -> Persona:
    rng = _rng(seed, gender, age_range, brand_voice, language, prompt or "")
    lang = language.split("-")[0].lower()
    if gender == "male":
        pool = MALE_NAMES.get(lang, MALE_NAMES["en"])
    elif gender == "female":
        pool = FEMALE_NAMES.get(lang, FEMALE_NAMES["en"])
    else:
        pool = NONBINARY_NAMES
    name = f"{rng.choice(pool)} {rng.choice(SURNAME_INITIALS)}."
    low, high = AGE_YEARS.get(age_range, AGE_YEARS["young_adult"])
    hint = (prompt or "").lower()

    hair_name = next((h for h in HAIR_COLORS if f"{h} hair" in hint), None)
    if hair_name is None:
        hair_name = rng.choice(
            ["black", "dark brown", "brown", "auburn", "blonde"]
            + (["gray", "platinum"] if age_range in ("mature", "senior") else [])
        )
    styles = [s for s in HAIR_STYLES if s in hint]
    if styles:
        hair_style = styles[0]
    elif gender == "male":
        hair_style = rng.choice(["short", "buzz", "curly", "wavy"])
    else:
        hair_style = rng.choice(["long", "bob", "bun", "curly", "wavy", "ponytail"])
    eye_name = next((e for e in EYE_COLORS if f"{e} eyes" in hint), rng.choice(list(EYE_COLORS)))
    outfit, background, vibe = VOICE_STYLE.get(brand_voice, VOICE_STYLE["authentic"])
    accessories = sorted({v for k, v in PROMPT_WORDS.items() if k in hint})
    if not accessories and rng.random() < 0.3:
        accessories = [rng.choice(["glasses", "earrings", "freckles"])]
    if gender != "male":
        accessories = [a for a in accessories if a != "beard"]
    product = app_name or "the product"
    first = name.split()[0]
    bio = (
        f"{first} is a {low}–{high}-year-old creator with a {vibe} voice who uses {product} "
        f"every day and talks about it like a friend would."
    )
    return Persona(
        name=name,
        gender=gender,
        age_range=age_range,
        age=rng.randint(low, high),
        skin_tone=rng.choice(SKIN_TONES),
        hair_color_name=hair_name,
        hair_color=HAIR_COLORS[hair_name],
        hair_style=hair_style,
        eye_color_name=eye_name,
        eye_color=EYE_COLORS[eye_name],
        outfit=outfit,
        outfit_color=rng.choice(OUTFIT_COLORS),
        background=list(background),
        accessories=accessories,
        vibe=vibe,
        bio=bio,
    )


def restyle(
    base: dict[str, Any],
    *,
    seed: str,
    gender: str,
    age_range: str,
    brand_voice: str,
    app_name: str | None,
) -> Persona:
    """`base` (a stored persona) with a new gender, age range or brand voice, keeping the face:
    skin, hair colour, eyes and accessories stay; the age moves into the new range, the outfit
    and backdrop follow the voice. Deterministic for `seed` (a PATCH or a clone)."""
    rng = _rng(seed, gender, age_range, brand_voice)
    low, high = AGE_YEARS.get(age_range, AGE_YEARS["young_adult"])
    outfit, background, vibe = VOICE_STYLE.get(brand_voice, VOICE_STYLE["authentic"])
    style = str(base.get("hair_style", "short"))
    if gender == "male" and style in ("long", "bob", "bun", "ponytail"):
        style = "short"
    accessories = [str(a) for a in base.get("accessories", [])]
    if gender != "male":
        accessories = [a for a in accessories if a != "beard"]
    first = str(base.get("name", "They")).split()[0]
    age = int(base.get("age", low))
    return Persona(
        name=str(base.get("name", first)),
        gender=gender,
        age_range=age_range,
        age=age if low <= age <= high else rng.randint(low, high),
        skin_tone=str(base["skin_tone"]),
        hair_color_name=str(base["hair_color_name"]),
        hair_color=str(base["hair_color"]),
        hair_style=style,
        eye_color_name=str(base["eye_color_name"]),
        eye_color=str(base["eye_color"]),
        outfit=outfit,
        outfit_color=str(base["outfit_color"]),
        background=list(background),
        accessories=accessories,
        vibe=vibe,
        bio=(
            f"{first} is a {low}–{high}-year-old creator with a {vibe} voice who uses "
            f"{app_name or 'the product'} every day and talks about it like a friend would."
        ),
    )
