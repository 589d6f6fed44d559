from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from layers.kit.schemas import ApiModel, UtcDateTime


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"
    canceled = "canceled"


class RunTrigger(StrEnum):
    console = "console"
    cli = "cli"
    api = "api"
    schedule = "schedule"
    config_change = "config_change"
    install = "install"
    system = "system"


class RunError(ApiModel):
    code: str
    message: str
    type: str | None = None
    stack_trace: str | None = None
    activity: str | None = None
    activity_id: str | None = None
    details: dict[str, Any] | None = None


class ActivityError(ApiModel):
    code: str
    message: str
    type: str | None = None
    stack_trace: str | None = None


class ActivityAttempt(ApiModel):
    attempt: int
    started_at: str | None = None
    finished_at: str | None = None
    outcome: str | None = None
    error: dict[str, Any] | None = None


class ActivityOut(ApiModel):
    id: str
    position: int = Field(description="1-based order of the activity in its run.")
    step_id: int
    name: str
    status: str
    attempts: int
    attempt_history: list[ActivityAttempt]
    input: Any
    output: Any
    error: ActivityError | None
    started_at: UtcDateTime
    finished_at: UtcDateTime | None
    duration_ms: int | None
    last_heartbeat_at: UtcDateTime | None
    heartbeat_details: Any
    kept: bool = Field(description="Carried over from the run this one retries; not re-run.")
    kept_from: str | None


class ChildSummary(ApiModel):
    total: int
    queued: int
    running: int
    completed: int
    failed: int
    canceled: int


class RunOut(ApiModel):
    id: str
    livemode: bool
    layer_id: str | None
    project_id: str | None
    template_id: str | None
    parent_run_id: str | None
    retry_of: str | None
    command_id: str
    workflow: str | None
    workflow_version: int | None
    config_version: int | None
    trigger: str
    status: str
    parameters: dict[str, Any]
    filters: dict[str, Any] | None
    output: Any
    error: RunError | None
    scheduled_for: UtcDateTime | None
    created_at: UtcDateTime
    started_at: UtcDateTime | None
    finished_at: UtcDateTime | None
    duration_ms: int | None
    location_url: str
    logs_url: str


class RunDetail(RunOut):
    activities: list[ActivityOut]
    children: ChildSummary | None
    retried_by: list[str]


class RunList(ApiModel):
    items: list[RunOut]
    next_cursor: str | None


class RunAccepted(ApiModel):
    """The 202 body of every endpoint that starts a run."""

    run_id: str
    status: str
    command_id: str
    layer_id: str | None
    retry_of: str | None = None
    location_url: str
    logs_url: str
    stream_url: str


class SkippedLayer(ApiModel):
    layer_id: str
    status: str
    reason: str


class FanoutAccepted(RunAccepted):
    child_run_ids: list[str]
    skipped: list[SkippedLayer]


class LogOut(ApiModel):
    id: int
    at: UtcDateTime
    level: str
    activity: str | None
    activity_id: str | None
    message: str


class LogList(ApiModel):
    items: list[LogOut]
    next_cursor: str | None
