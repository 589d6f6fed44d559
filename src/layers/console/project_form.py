"""The project brief form: its fields with the API schema's own bounds, what the person typed
read into the API's request models (`ProjectCreate`, `ProjectUpdate`), and each refusal said in
words next to its field.

The bounds are read off the request model's JSON Schema, so the form and the API cannot drift
apart; the model itself validates, so the form accepts exactly what the API accepts.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from layers.projects.schemas import BrandVoice, ProjectCreate, ProjectOut, TargetGender

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Field:
    name: str  # the API's camelCase name, also the form field's name
    label: str
    kind: str  # text | textarea | select | email
    required: bool = False
    help: str = ""
    options: tuple[tuple[str, str], ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    wide: bool = False


@dataclass
class BriefForm:
    """What the person typed (strings, as typed) and what was wrong with it, by field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.message)


VOICES = (
    ("authentic", "Authentic"),
    ("witty", "Witty"),
    ("professional", "Professional"),
    ("warm", "Warm"),
    ("casual", "Casual"),
    ("educational", "Educational"),
)
GENDERS = (("all", "Everyone"), ("female", "Women"), ("male", "Men"))


@lru_cache(maxsize=1)
def _bounds() -> dict[str, tuple[int | None, int | None]]:
    """minLength / maxLength of each string field of `ProjectCreate`, from its JSON Schema."""
    out: dict[str, tuple[int | None, int | None]] = {}
    for name, prop in ProjectCreate.model_json_schema()["properties"].items():
        variants = prop.get("anyOf", [prop])
        for variant in variants:
            if variant.get("type") == "string":
                out[name] = (variant.get("minLength"), variant.get("maxLength"))
    return out


@lru_cache(maxsize=1)
def timezones() -> tuple[str, ...]:
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


def _f(name: str, label: str, kind: str, **extra: Any) -> Field:
    low, high = _bounds().get(name, (None, None))
    return Field(name, label, kind, min_length=low, max_length=high, **extra)


def fields() -> list[Field]:
    """The brief's fields, in the order a person fills them in."""
    assert {v for v, _ in VOICES} == {v.value for v in BrandVoice}
    assert {v for v, _ in GENDERS} == {v.value for v in TargetGender}
    return [
        _f("name", "Project name", "text", required=True, help="How the project is listed."),
        _f("appName", "App name", "text", help="The product's name as content says it."),
        _f("tagline", "Tagline", "text", help="Used on end-cards and overlays.", wide=True),
        _f(
            "appDescription",
            "App description",
            "textarea",
            help="What the app does and for whom. Keyword research and the first influencer "
            "start when it is set.",
            wide=True,
        ),
        _f("timezone", "Timezone", "select", required=True, help="Slots and schedules use it."),
        _f(
            "primaryLanguage",
            "Language",
            "text",
            required=True,
            help="A language tag: en, es, pt-BR…",
        ),
        _f("brandVoice", "Brand voice", "select", options=VOICES),
        _f("targetGender", "Audience", "select", options=GENDERS, help="Default for influencers."),
        _f("customerExternalId", "Your reference", "text", help="Your own id for this customer."),
        _f("ownerEmail", "Owner e-mail", "email"),
    ]


DEFAULTS = {"timezone": "UTC", "primaryLanguage": "en", "brandVoice": "authentic",
            "targetGender": "all"}  # fmt: skip
NAMES = tuple(f.name for f in fields())


def values_of(form: FormData) -> dict[str, str]:
    """What the person typed, field by field (kept as typed, for showing the form again)."""
    out = {}
    for name in NAMES:
        value = form.get(name)
        out[name] = value if isinstance(value, str) else ""
    return out


def values_from(project: ProjectOut) -> dict[str, str]:
    data = project.model_dump(by_alias=True)
    return {name: "" if data.get(name) is None else str(data[name]) for name in NAMES}


def _body(values: dict[str, str], *, clear_empty: bool) -> dict[str, Any]:
    """The API body: empty optional fields are omitted (create) or cleared (update); an empty
    required field is sent as typed, so the API's own rule refuses it."""
    required = {f.name for f in fields() if f.required}
    body: dict[str, Any] = {}
    for name, raw in values.items():
        value = raw.strip() if name != "appDescription" else raw.strip().replace("\r\n", "\n")
        if value or name in required:
            body[name] = value
        elif clear_empty and name not in ("brandVoice", "targetGender"):
            body[name] = None
    return body


def read(
    model: type[M], values: dict[str, str], *, clear_empty: bool
) -> tuple[M | None, BriefForm]:
    """The validated request model, or None and the form with its errors in words."""
    form = BriefForm(values=values)
    try:
        return model.model_validate(_body(values, clear_empty=clear_empty)), form
    except ValidationError as exc:
        for err in exc.errors():
            loc = err.get("loc") or ("",)
            name = str(loc[0])
            form.errors.setdefault(name, in_words(name, err, values.get(name, "")))
        form.message = "Some fields need a change; each says why."
        return None, form


def from_api_fields(form: BriefForm, fields_: list[dict[str, Any]], message: str) -> BriefForm:
    """A refusal from the service (after the model accepted the body), shown on the form."""
    for item in fields_:
        name = str(item.get("field", ""))
        if name in NAMES:
            form.errors.setdefault(name, str(item.get("message", "invalid")))
    form.message = message
    return form


def in_words(name: str, err: Any, typed: str) -> str:
    """One pydantic error about field `name`, as a person would say it."""
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    count = len(typed.strip())
    if kind == "string_too_short":
        need = ctx.get("min_length")
        if count == 0:
            return "Required." if need and need > 0 else "Cannot be empty."
        return f"Too short: at least {need} characters (this has {count})."
    if kind == "string_too_long":
        return f"Too long: at most {ctx.get('max_length')} characters (this has {count})."
    if kind == "string_pattern_mismatch":
        if name == "primaryLanguage":
            return "Not a language tag: use a code such as en, es or pt-BR."
        return "Cannot be only spaces."
    if kind == "missing":
        return "Required."
    if kind == "enum":
        return "Pick one of the choices."
    message = str(err.get("msg", "Invalid."))
    for prefix in ("Value error, ", "value is not a valid email address: "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
            if prefix.startswith("value is not"):
                message = "Not a valid e-mail address: " + message
    return message[:1].upper() + message[1:]
