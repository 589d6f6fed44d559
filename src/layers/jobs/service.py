"""Async jobs: rows that mirror a durable workflow's progress for API polling.

Terminal states are sticky: every transition is a conditional UPDATE on ``status =
'running'``, so a late step of a canceled workflow cannot resurrect its job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from layers.events import service as events
from layers.jobs import repository
from layers.jobs.schemas import JobAccepted, JobOut
from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.errors import Conflict, NotFound
from layers.kit.ids import has_prefix, new_id
from layers.models.jobs import Job

TERMINAL = frozenset({"completed", "failed", "canceled"})

CancelHook = Callable[[Session, Job], None]
_cancel_hooks: dict[str, CancelHook] = {}


def on_cancel(kind: str, hook: CancelHook) -> None:
    """Let the domain that owns `kind` react when one of its jobs is canceled."""
    _cancel_hooks[kind] = hook


def create(
    session: Session,
    *,
    org_id: str,
    livemode: bool,
    kind: str,
    project_id: str | None,
    subject_id: str | None = None,
    stage: str = "queued",
) -> Job:
    now = clock.now()
    job_id = new_id("job")
    job = Job(
        id=job_id,
        org_id=org_id,
        livemode=livemode,
        project_id=project_id,
        kind=kind,
        status="running",
        stage=stage,
        progress=0.0,
        subject_id=subject_id,
        workflow_id=job_id,
        started_at=now,
    )
    session.add(job)
    session.flush()
    return job


def get(session: Session, *, org_id: str, livemode: bool, job_id: str) -> Job:
    job = session.get(Job, job_id) if has_prefix(job_id, "job") else None
    if job is None or job.org_id != org_id or job.livemode != livemode:
        raise NotFound.of("job", job_id)
    return job


def of_subject(session: Session, *, org_id: str, livemode: bool, subject_id: str) -> list[Job]:
    """The tenant's jobs about `subject_id` (e.g. every generation of a container), newest
    first."""
    return repository.of_subject(session, org_id=org_id, livemode=livemode, subject_id=subject_id)


def location(job: Job) -> str:
    return f"/v1/jobs/{job.id}"


def accepted(job: Job) -> JobAccepted:
    return JobAccepted(
        job_id=job.id,
        kind=job.kind,
        status=job.status,
        stage=job.stage,
        progress=job.progress,
        location_url=location(job),
        project_id=job.project_id,
        started_at=job.started_at,
    )


def to_out(job: Job) -> JobOut:
    return JobOut(
        job_id=job.id,
        kind=job.kind,
        status=job.status,
        stage=job.stage,
        progress=job.progress,
        result=job.result,
        error=job.error,
        location_url=location(job),
        project_id=job.project_id,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        updated_at=job.updated_at,
    )


def etag(out: JobOut) -> str:
    payload = json.dumps(out.model_dump(mode="json", by_alias=True), sort_keys=True)
    return '"' + hashlib.sha256(payload.encode()).hexdigest()[:32] + '"'


# ---- transitions, each in its own short transaction ----
# They are called from workflow steps, far from any request's unit of work: each owns its
# session and commits at once, so a poller sees the job's progress as it happens.


def advance(job_id: str, *, stage: str, progress: float) -> None:
    """Move a running job to `stage`; progress never goes backwards."""
    with get_database().transaction() as session:
        repository.set_stage(session, job_id, stage, progress, clock.now())


def finish(job_id: str, result: dict[str, Any] | None = None) -> bool:
    with get_database().transaction() as session:
        return _transition(session, job_id, "completed", result=result, stage="finalized")


def fail(job_id: str, code: str, message: str, **details: Any) -> bool:
    with get_database().transaction() as session:
        error = {"code": code, "message": message, "details": details}
        return _transition(session, job_id, "failed", error=error)


def _transition(session: Session, job_id: str, status: str, **values: Any) -> bool:
    extra: dict[str, Any] = {"progress": 1.0} if status == "completed" else {}
    ended = repository.end_running(session, job_id, status, clock.now(), **extra, **values)
    if ended:
        _record_end(session, job_id, status)
    return ended


def _record_end(session: Session, job_id: str, status: str) -> None:
    """``job.completed | job.failed | job.canceled``, in the transaction that ended the job."""
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        return
    data: dict[str, Any] = {"jobId": job.id, "kind": job.kind, "status": status}
    if status == "completed":
        data["result"] = job.result
    elif status == "failed":
        data["error"] = job.error
    events.record(
        session,
        f"job.{status}",
        org_id=job.org_id,
        livemode=job.livemode,
        project_id=job.project_id,
        subject_id=job.id,
        data=data,
    )


def cancel(session: Session, job: Job) -> Job:
    """Cancel a running job (its workflow is canceled by the caller); idempotent."""
    if job.status == "canceled":
        return job
    if job.status in TERMINAL:
        raise Conflict(f"Job {job.id} already {job.status}.", status=job.status)
    _transition(session, job.id, "canceled")
    session.refresh(job)
    hook = _cancel_hooks.get(job.kind)
    if hook is not None:
        hook(session, job)
    return job
