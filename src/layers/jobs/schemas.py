from __future__ import annotations

from typing import Any

from layers.kit.schemas import ApiModel, UtcDateTime


class JobAccepted(ApiModel):
    """The 202 body of every endpoint that starts async work."""

    job_id: str
    kind: str
    status: str
    stage: str | None
    progress: float
    location_url: str
    project_id: str | None
    started_at: UtcDateTime | None


class JobOut(ApiModel):
    job_id: str
    kind: str
    status: str
    stage: str | None
    progress: float
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    location_url: str
    project_id: str | None
    created_at: UtcDateTime
    started_at: UtcDateTime | None
    finished_at: UtcDateTime | None
    updated_at: UtcDateTime
