"""Statements over jobs. Every function takes the caller's session and never commits; the
transitions are conditional on ``status = 'running'``, so terminal states are sticky."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.models.jobs import Job


def set_stage(session: Session, job_id: str, stage: str, progress: float, now: datetime) -> None:
    """Move a running job to `stage`; its progress never goes backwards."""
    highest = sa.func.max if session.get_bind().dialect.name == "sqlite" else sa.func.greatest
    session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.status == "running")
        .values(stage=stage, progress=highest(Job.progress, progress), updated_at=now)
    )


def end_running(session: Session, job_id: str, status: str, now: datetime, **values: Any) -> bool:
    """``running → status`` with `values`; False when the job was not running any more."""
    result = session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.status == "running")
        .values(status=status, finished_at=now, updated_at=now, **values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def of_subject(
    session: Session, *, org_id: str, livemode: bool, subject_id: str, limit: int = 20
) -> list[Job]:
    """The tenant's jobs about `subject_id` (a container's generations), newest first."""
    return list(
        session.scalars(
            sa.select(Job)
            .where(Job.org_id == org_id, Job.livemode == livemode, Job.subject_id == subject_id)
            .order_by(Job.created_at.desc(), Job.id.desc())
            .limit(limit)
        )
    )
