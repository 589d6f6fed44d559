"""Runs as the API shows them: rows → the models of `layers.engine.runs.schemas`."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from layers.engine.runs import repository
from layers.engine.runs.schemas import (
    ActivityAttempt,
    ActivityError,
    ActivityOut,
    LogOut,
    RunAccepted,
    RunDetail,
    RunError,
    RunOut,
)
from layers.engine.runs.settling import child_counts
from layers.kit import clock
from layers.models.engine import Run, RunActivity, RunLog


def location(run: Run) -> str:
    return f"/v1/runs/{run.id}"


def accepted(run: Run) -> RunAccepted:
    return RunAccepted(
        run_id=run.id,
        status=run.status,
        command_id=run.command_id,
        layer_id=run.layer_id,
        retry_of=run.retry_of,
        location_url=location(run),
        logs_url=f"{location(run)}/logs",
        stream_url=f"{location(run)}/logs/stream",
    )


def _duration(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start).total_seconds() * 1000)


def to_out(run: Run) -> RunOut:
    return RunOut(**_out_fields(run))


def _out_fields(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "livemode": run.livemode,
        "layer_id": run.layer_id,
        "project_id": run.project_id,
        "template_id": run.template_id,
        "parent_run_id": run.parent_run_id,
        "retry_of": run.retry_of,
        "command_id": run.command_id,
        "workflow": run.workflow_name,
        "workflow_version": run.workflow_version,
        "config_version": run.config_version,
        "trigger": run.trigger,
        "status": run.status,
        "parameters": run.parameters or {},
        "filters": run.filters,
        "output": run.output,
        "error": RunError.model_validate(run.error) if run.error else None,
        "scheduled_for": run.scheduled_for,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_ms": _duration(run.started_at, run.finished_at),
        "location_url": location(run),
        "logs_url": f"{location(run)}/logs",
    }


def activity_out(activity: RunActivity, position: int) -> ActivityOut:
    return ActivityOut(
        id=activity.id,
        position=position,
        step_id=activity.step_id,
        name=activity.name,
        status=activity.status,
        attempts=activity.attempts,
        attempt_history=_attempts(activity),
        input=activity.input,
        output=activity.output,
        error=ActivityError.model_validate(activity.error) if activity.error else None,
        started_at=activity.started_at,
        finished_at=activity.finished_at,
        duration_ms=_duration(activity.started_at, activity.finished_at),
        last_heartbeat_at=activity.last_heartbeat_at,
        heartbeat_details=activity.heartbeat_details,
        kept=activity.kept_from is not None,
        kept_from=activity.kept_from,
    )


def _attempts(activity: RunActivity) -> list[ActivityAttempt]:
    entries = [dict(entry) for entry in activity.attempt_history or []]
    if entries and entries[-1].get("finishedAt") is None and activity.status != "running":
        # The last attempt ended with the activity (see recorder.complete_activity).
        finished = activity.finished_at
        entries[-1]["finishedAt"] = clock.isoformat_z(finished) if finished else None
        entries[-1]["outcome"] = activity.status
    return [ActivityAttempt.model_validate(entry) for entry in entries]


def detail(session: Session, run: Run) -> RunDetail:
    steps = repository.activities(session, run.id)
    children = child_counts(session, run.id) if run.layer_id is None else None
    return RunDetail(
        **_out_fields(run),
        activities=[activity_out(a, i) for i, a in enumerate(steps, start=1)],
        children=children,
        retried_by=repository.retried_by(session, run.id),
    )


def etag(out: RunDetail) -> str:
    payload = json.dumps(out.model_dump(mode="json", by_alias=True), sort_keys=True)
    return '"' + hashlib.sha256(payload.encode()).hexdigest()[:32] + '"'


def log_out(line: RunLog) -> LogOut:
    return LogOut(
        id=line.id,
        at=line.at,
        level=line.level,
        activity=line.activity_name,
        activity_id=line.activity_id,
        message=line.message,
    )
