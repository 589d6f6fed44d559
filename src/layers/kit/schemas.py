"""Base API models: camelCase on the wire, strict request bodies, UTC ``Z`` timestamps."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

from layers.kit.clock import isoformat_z

UtcDateTime = Annotated[datetime, PlainSerializer(isoformat_z, return_type=str, when_used="json")]


class ApiModel(BaseModel):
    """A response model: snake_case in Python, camelCase in JSON."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class RequestModel(BaseModel):
    """A request body: camelCase keys only, unknown keys are a 422 naming them."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=False, extra="forbid", str_strip_whitespace=True
    )
