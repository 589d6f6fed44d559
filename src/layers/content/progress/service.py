"""A container's progress (fact sheet §14, `GET /v1/content/{id}/progress`).

Read from the container and its current generation job: the job's stage, and how far into
that stage it is (`stageProgress`, 0–1, reset per stage) from the overall progress and the
stage's share of it (`STAGES`, the bounds `content.workflows` advances through). `etaSeconds`
extrapolates from the time spent so far and is null with no baseline yet or once terminal.
Uploaded content arrives finished (stage ``finalized``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from layers.content.repository import containers
from layers.kit import clock
from layers.kit.repository import TenantScope
from layers.kit.schemas import ApiModel, UtcDateTime
from layers.models.jobs import Job

# stage → (overall progress where it starts, where it ends)
STAGES: dict[str, tuple[float, float]] = {
    "queued": (0.0, 0.05),
    "sourcing": (0.05, 0.2),
    "writing": (0.2, 0.3),
    "generating_visuals": (0.3, 0.9),
    "finalizing": (0.9, 1.0),
}
MIN_BASELINE = 0.05  # below this much progress there is nothing to extrapolate from


class ContentProgress(ApiModel):
    container_id: str
    status: str
    stage: str
    stage_progress: float
    progress: float
    eta_seconds: int | None
    job_id: str | None
    last_error: dict[str, Any] | None
    updated_at: UtcDateTime


def progress(session: Session, tenant: TenantScope, container_id: str) -> ContentProgress:
    container = containers.get(session, tenant, container_id)
    job = session.get(Job, container.job_id) if container.job_id else None
    running = container.status in ("queued", "processing")
    if not running or job is None:
        done = container.status == "completed"
        return ContentProgress(
            container_id=container.id,
            status=container.status,
            stage="finalized" if done else container.status,
            stage_progress=1.0 if done else 0.0,
            progress=1.0 if done else 0.0,
            eta_seconds=None,
            job_id=container.job_id,
            last_error=container.last_error,
            updated_at=container.updated_at,
        )
    stage = job.stage or "queued"
    start, end = STAGES.get(stage, (0.0, 1.0))
    overall = min(max(job.progress, 0.0), 1.0)
    within = (overall - start) / (end - start) if end > start else 0.0
    eta = None
    if job.started_at is not None and overall >= MIN_BASELINE:
        spent = (clock.now() - job.started_at).total_seconds()
        eta = max(round(spent / overall * (1 - overall)), 0)
    return ContentProgress(
        container_id=container.id,
        status=container.status,
        stage=stage,
        stage_progress=round(min(max(within, 0.0), 1.0), 3),
        progress=round(overall, 3),
        eta_seconds=eta,
        job_id=job.id,
        last_error=container.last_error,
        updated_at=max(job.updated_at, container.updated_at),
    )
