"""Publish-now's API models (fact sheet §16, [NEW])."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from layers.kit.schemas import ApiModel, RequestModel, UtcDateTime
from layers.publishing.scheduling.schemas import ScheduledPostOut, ScheduleTarget, ScheduleWarning


class PublishBody(RequestModel):
    """The targets of `POST /v1/content/{id}/schedule`, published now (1–50, all or
    nothing)."""

    targets: Annotated[list[ScheduleTarget], Field(min_length=1, max_length=50)]


class PublishResult(ApiModel):
    scheduled_post_ids: list[str]
    gate_status: Literal["publishing"]
    scheduled_for: UtcDateTime = Field(description="When the publish was issued.")
    posts: list[ScheduledPostOut] = Field(
        description="The posts as they stand: `publishing` once claimed (a post whose account "
        "is unhealthy is held `queued` with its reason, and goes out when it recovers)."
    )
    warnings: list[ScheduleWarning]
