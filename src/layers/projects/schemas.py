from __future__ import annotations

import re
import zoneinfo
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from layers.kit.schemas import ApiModel, RequestModel, UtcDateTime, text


class BrandVoice(StrEnum):
    authentic = "authentic"
    witty = "witty"
    professional = "professional"
    warm = "warm"
    casual = "casual"
    educational = "educational"


class TargetGender(StrEnum):
    all = "all"
    female = "female"
    male = "male"


class ProjectStatus(StrEnum):
    active = "active"
    archived = "archived"


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_timezone(value: str) -> str:
    if value not in _zones():
        raise ValueError("must be an IANA timezone such as 'America/Los_Angeles'")
    return value


# BCP 47: language, optional script, optional region, optional variants.
_BCP47 = re.compile(
    r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-(?:[A-Za-z]{2}|[0-9]{3}))?(-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$"
)


Name = Annotated[str, text(3, 30)]
Timezone = Annotated[
    str,
    Field(max_length=64, description="An IANA timezone."),
    AfterValidator(_check_timezone),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 64,
            "pattern": r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9][A-Za-z0-9_+\-]*){0,2}$",
            "description": "An IANA timezone name such as 'America/Los_Angeles' or 'UTC'.",
            "examples": ["America/Los_Angeles", "Europe/London", "UTC"],
        }
    ),
]
Language = Annotated[
    str,
    Field(
        min_length=2,
        max_length=35,
        pattern=_BCP47.pattern,
        description="A BCP-47 language tag such as 'en' or 'es-MX'.",
    ),
]
AppName = Annotated[str, text(3, 30)]
AppDescription = Annotated[str, text(100, 1000)]
Tagline = Annotated[str, Field(max_length=80)]
ExternalId = Annotated[str, text(1, 255)]
# An e-mail address as email-validator reads it (RFC 5321/5322 syntax, no DNS lookup); the
# response carries it normalised (the domain lowercased).
Email = Annotated[EmailStr, Field(max_length=320)]


class ProjectCreate(RequestModel):
    name: Name
    timezone: Timezone
    customer_external_id: ExternalId | None = None
    owner_email: Email | None = None
    primary_language: Language = "en"
    app_name: AppName | None = None
    app_description: AppDescription | None = None
    tagline: Tagline | None = None
    brand_voice: BrandVoice = BrandVoice.authentic
    target_gender: TargetGender = TargetGender.all


# A field that may be omitted but not cleared: ``null`` is a 422 naming it (`service.update`),
# so the document does not offer it.
Omittable = SkipJsonSchema[None]


class ProjectUpdate(RequestModel):
    """Omitted fields stay as they are; ``null`` clears the optional ones."""

    name: Name | Omittable = None
    status: ProjectStatus | None = None
    timezone: Timezone | Omittable = None
    customer_external_id: ExternalId | None = None
    owner_email: Email | None = None
    primary_language: Language | Omittable = None
    app_name: AppName | None = None
    app_description: AppDescription | None = None
    tagline: Tagline | None = None
    brand_voice: BrandVoice | Omittable = None
    target_gender: TargetGender | Omittable = None


class ProjectOut(ApiModel):
    id: str
    organization_id: str
    livemode: bool
    name: str
    status: str
    customer_external_id: str | None
    owner_email: str | None
    timezone: str
    primary_language: str
    app_name: str | None
    app_description: str | None
    tagline: str | None
    brand_voice: str
    target_gender: str
    keywords_refreshed_at: UtcDateTime | None
    created_at: UtcDateTime
    updated_at: UtcDateTime
    archived_at: UtcDateTime | None


class ProjectArchived(ApiModel):
    id: str
    status: str
    archived_at: UtcDateTime
    canceled_scheduled_posts: int


class ProjectList(ApiModel):
    items: list[ProjectOut]
    next_cursor: str | None
