from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from layers.kit.schemas import ApiModel, RequestModel, UtcDateTime, text


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
