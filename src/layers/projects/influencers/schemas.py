from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict

from layers.kit.schemas import ApiModel, RequestModel, UtcDateTime, text
from layers.projects.schemas import BrandVoice, Language, Omittable


class Gender(StrEnum):
    female = "female"
    male = "male"
    non_binary = "non_binary"


class AgeRange(StrEnum):
    teen = "teen"
    young_adult = "young_adult"
    adult = "adult"
    mid_adult = "mid_adult"
    mature = "mature"
    senior = "senior"


class InfluencerCreate(RequestModel):
    gender: Gender | None = None
    age_range: AgeRange = AgeRange.young_adult
    prompt: Annotated[str, text(1, 1000)] | None = None


class InfluencerSummary(ApiModel):
    influencer_id: str
    name: str | None
    gender: str
    age_range: str
    status: str
    thumbnail_url: str | None
    created_at: UtcDateTime


class InfluencerOut(ApiModel):
    influencer_id: str
    project_id: str
    name: str | None
    image_url: str | None
    thumbnail_url: str | None
    gender: str
    age_range: str
    brand_voice: str
    language: str
    prompt: str | None
    status: str
    error_message: str | None
    persona: dict[str, Any] | None
    cloned_from: str | None = None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class InfluencerList(ApiModel):
    items: list[InfluencerSummary]
    next_cursor: str | None


class InfluencerAccepted(ApiModel):
    job_id: str
    kind: str
    status: str
    stage: str | None
    progress: float
    location_url: str
    project_id: str
    influencer_id: str
    started_at: UtcDateTime | None


class InfluencerUpdate(RequestModel):
    """At least one field. ``ageRange: null`` resets it to the default (``young_adult``);
    ``name``, ``gender``, ``brandVoice`` and ``language`` cannot be cleared. For several
    languages, clone rather than patch."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    name: Annotated[str, text(1, 128)] | Omittable = None
    gender: Gender | Omittable = None
    age_range: AgeRange | None = None
    brand_voice: BrandVoice | Omittable = None
    language: Language | Omittable = None


class CloneOverrides(RequestModel):
    gender: Gender | None = None
    age_range: AgeRange | None = None
    brand_voice: BrandVoice | None = None
    language: Language | None = None


class InfluencerClone(RequestModel):
    """A new influencer with the same face and persona, and the overrides applied (typically a
    language fan-out: Maria-EN, Maria-ES, Maria-PT)."""

    name: Annotated[str, text(1, 128)]
    overrides: CloneOverrides | None = None


class InfluencerDelete(RequestModel):
    reason: Annotated[str, text(1, 1024)] | None = None


class InfluencerDeleted(ApiModel):
    influencer_id: str
    status: str
    deleted_at: UtcDateTime
