"""Base API models: camelCase on the wire, strict request bodies, UTC ``Z`` timestamps."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from layers.kit.clock import isoformat_z
from layers.kit.storable import first_unstorable_reason

UtcDateTime = Annotated[datetime, PlainSerializer(isoformat_z, return_type=str, when_used="json")]


class ApiModel(BaseModel):
    """A response model: snake_case in Python, camelCase in JSON."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


# At least one visible character somewhere (Python's and JSON Schema's ``\s`` differ on a few
# control characters, which are listed explicitly so both read the pattern the same way).
NON_BLANK = r"[^\s\x1c-\x1f\x85]"


def text(min_length: int, max_length: int) -> Any:
    """A free-text field: its length bounds and at least one visible character.

    Strings are taken as sent (no silent trimming): the documented bounds are the ones applied.
    """
    return Field(min_length=min_length, max_length=max_length, pattern=NON_BLANK)


class RequestModel(BaseModel):
    """A request body: camelCase keys only, unknown keys are a 422 naming them."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _only_storable_values(cls, value: Any, info: ValidationInfo) -> Any:
        """Refuse, with a 422 on the field, what the databases cannot store though JSON parses
        it: a NUL character or a lone surrogate in any string (`layers.kit.storable`), and NaN
        or Infinity (Python's parser accepts them; JSON has no such numbers), keys and nested
        values included. A number or boolean field takes a JSON number or boolean, never
        ``"3"`` or ``"true"`` (Pydantic's lax mode would coerce them)."""
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and value is not None:
            wrong = _wrong_json_scalar(field.annotation, value)
            if wrong:
                raise PydanticCustomError(*wrong)
        reason = first_unstorable_reason(value)
        if reason:
            raise ValueError(reason)
        if _has(value, lambda leaf: isinstance(leaf, float) and not math.isfinite(leaf)):
            raise ValueError("must not contain NaN or Infinity (they are not JSON numbers)")
        return value


# Pydantic's own error types and messages for a value of the wrong kind (strict mode's).
_SCALARS: dict[type, tuple[str, str]] = {
    bool: ("bool_type", "Input should be a valid boolean"),
    int: ("int_type", "Input should be a valid integer"),
    float: ("float_type", "Input should be a valid number"),
}


def _wrong_json_scalar(annotation: Any, value: Any) -> tuple[str, str] | None:
    """Pydantic's error (type, message) when `value` is not the JSON scalar that a
    ``bool``/``int``/``float`` field (optional or not) takes; None when it is, or when the
    field is of another type."""
    kinds = [arg for arg in get_args(annotation) if arg is not type(None)]
    if get_origin(annotation) in (Union, UnionType) and len(kinds) == 1:
        annotation = kinds[0]
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    expected = _SCALARS.get(annotation) if isinstance(annotation, type) else None
    if expected is None:
        return None
    if annotation is bool:
        ok = isinstance(value, bool)
    elif annotation is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    return None if ok else expected


def _has(value: Any, bad: Callable[[Any], bool]) -> bool:
    if isinstance(value, dict):
        return any(_has(key, bad) or _has(item, bad) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_has(item, bad) for item in value)
    return bad(value)
