"""Runs: starting them (in the caller's transaction), reading them, canceling and retrying.

A run row and its DBOS workflow are created in one transaction (`start_run`). A run ends in
`layers.engine.recorder` (from its workflow) or here (cancel); either way `after_terminal`
settles what depends on it, in the same transaction: the layer being installed, the cross-layer
parent waiting for its children.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from layers.engine import scheduler
from layers.engine.catalog import registry
from layers.engine.inputs import FORK_WORKFLOW, RUN_WORKFLOW, ForkInput, RunInput
from layers.engine.runs.schemas import (
    ActivityAttempt,
    ActivityError,
    ActivityOut,
    ChildSummary,
    LogOut,
    RunAccepted,
    RunDetail,
    RunError,
    RunOut,
)
from layers.engine.templates import Template
from layers.kit import clock, durable
from layers.kit.db import after_commit
from layers.kit.errors import Conflict, Validation
from layers.kit.ids import new_id
from layers.kit.pagination import decode_cursor, encode_cursor, fetch_page
from layers.kit.repository import TenantRepository, TenantScope
from layers.kit.settings import Settings, get_settings
from layers.models.engine import RUN_TERMINAL, ProjectLayer, Run, RunActivity, RunLog

log = logging.getLogger("layers.engine")

runs_repo = TenantRepository(Run, "run", "run")
LAST_RUN_CHUNK = 1000  # (layer, command) pairs per statement: two bound parameters each


def start_run(
    session: Session,
    settings: Settings,
    *,
    layer: ProjectLayer,
    template: Template,
    command_id: str,
    trigger: str,
    parameters: dict[str, Any],
    run_id: str | None = None,
    parent_run_id: str | None = None,
    scheduled_for: datetime | None = None,
) -> Run:
    """Insert a queued run of `command_id` on `layer` and enqueue its workflow (atomically)."""
    command = template.commands[command_id]
    now = clock.now()
    run = Run(
        id=run_id or new_id("run"),
        org_id=layer.org_id,
        livemode=layer.livemode,
        layer_id=layer.id,
        project_id=layer.project_id,
        parent_run_id=parent_run_id,
        command_id=command_id,
        workflow_name=command.workflow,
        workflow_version=command.version,
        template_id=template.id,
        config_version=layer.config_version,
        trigger=trigger,
        status="queued",
        parameters=parameters,
        scheduled_for=scheduled_for,
        created_at=now,
        updated_at=now,
    )
    session.add(run)
    session.flush()
    durable.enqueue(
        session,
        settings,
        RUN_WORKFLOW,
        RunInput(command_id, command.workflow, command.version),
        workflow_id=run.id,
        queue=durable.INTERACTIVE.name,
    )
    return run


class LastRun(NamedTuple):
    run_id: str
    at: datetime  # the run's createdAt


def last_runs(session: Session, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], LastRun]:
    """The most recently started run of each ``(layer id, command id)`` of `pairs`, whatever
    started it; pairs that never ran are left out.

    One statement, index-only seeks on ``ix_layer_runs_layer_command``: the cost does not
    grow with the layers' history, and nothing is written when a run starts (a counter row
    updated by every start would serialize concurrent starts of a command on a layer).
    """
    found: dict[tuple[str, str], LastRun] = {}
    wanted = list(dict.fromkeys(pairs))
    for start in range(0, len(wanted), LAST_RUN_CHUNK):
        query = last_runs_query(wanted[start : start + LAST_RUN_CHUNK])
        for layer_id, command_id, run_id, created_at in session.execute(query):
            if run_id is not None and created_at is not None:
                found[(layer_id, command_id)] = LastRun(run_id, created_at)
    return found


def last_runs_query(
    pairs: Sequence[tuple[str, str]],
) -> sa.Select[str, str, str | None, datetime | None]:
    """``(layer id, command id, run id, createdAt)`` of the last run of each of `pairs` (the
    run columns NULL when it never ran): two index-only seeks per pair, no join (a join on
    the run id may be planned as a hash join over every run)."""
    pair = (
        sa.values(
            sa.column("layer_id", sa.String), sa.column("command_id", sa.String), name="pairs"
        )
        .data(list(pairs))
        .cte("pairs")
    )

    def latest(column: str) -> Any:
        run = aliased(Run)
        return (
            sa.select(getattr(run, column))
            .where(run.layer_id == pair.c.layer_id, run.command_id == pair.c.command_id)
            .order_by(run.created_at.desc(), run.id.desc())
            .limit(1)
            .correlate(pair)
            .scalar_subquery()
        )

    return sa.select(
        pair.c.layer_id, pair.c.command_id, latest("id"), latest("created_at")
    ).select_from(pair)


def get(session: Session, tenant: TenantScope, run_id: str, *, for_update: bool = False) -> Run:
    return runs_repo.get(session, tenant, run_id, for_update=for_update)


def page(
    session: Session,
    tenant: TenantScope,
    *,
    cursor: str | None,
    limit: int,
    layer_id: str | None = None,
    project_id: str | None = None,
    parent_run_id: str | None = None,
    command_id: str | None = None,
    status: str | None = None,
    trigger: str | None = None,
) -> tuple[list[Run], str | None]:
    stmt = runs_repo.scoped(tenant)
    for column, value in (
        (Run.layer_id, layer_id),
        (Run.project_id, project_id),
        (Run.parent_run_id, parent_run_id),
        (Run.command_id, command_id),
        (Run.status, status),
        (Run.trigger, trigger),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    rows, next_cursor = fetch_page(session, stmt, Run.id, cursor=cursor, limit=limit)
    return list(rows), next_cursor


def activities(session: Session, run_id: str) -> Sequence[RunActivity]:
    return session.scalars(
        sa.select(RunActivity).where(RunActivity.run_id == run_id).order_by(RunActivity.step_id)
    ).all()


def logs_page(
    session: Session, run: Run, *, cursor: str | None, limit: int
) -> tuple[list[RunLog], str | None]:
    """A run's log lines in order (oldest first); the cursor is the last line's id."""
    stmt = sa.select(RunLog).where(RunLog.run_id == run.id)
    if cursor:
        raw = decode_cursor(cursor)
        if not raw.isdigit():
            raise Validation.field("cursor", "malformed cursor", "cursor_invalid")
        stmt = stmt.where(RunLog.id > int(raw))
    rows = list(session.scalars(stmt.order_by(RunLog.id).limit(limit + 1)))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(str(rows[-1].id))
    return rows, None


def logs_after(session: Session, run_id: str, after: int, limit: int = 500) -> list[RunLog]:
    return list(
        session.scalars(
            sa.select(RunLog)
            .where(RunLog.run_id == run_id, RunLog.id > after)
            .order_by(RunLog.id)
            .limit(limit)
        )
    )


# ---- settling ----


def after_terminal(session: Session, run: Run) -> None:
    """What depends on `run` having ended: its layer's install, its parent's outcome."""
    if run.layer_id is not None and run.command_id == "initialize":
        _settle_install(session, run)
    if run.parent_run_id is not None:
        settle_parent(session, run.parent_run_id)


def _settle_install(session: Session, run: Run) -> None:

    layer = session.scalar(
        sa.select(ProjectLayer)
        .where(ProjectLayer.id == run.layer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if layer is None or layer.status not in ("installing", "failed"):
        return
    now = clock.now()
    if run.status == "completed":
        layer.status, layer.error = "active", None
        template = registry.for_layer(layer)
        if template is not None:
            scheduler.sync_schedules(session, layer, template, now, rearm=True)
    else:
        error = run.error or {"code": "CANCELED", "message": "initialize was canceled"}
        layer.status = "failed"
        layer.error = {"code": error.get("code"), "message": error.get("message"), "runId": run.id}
    layer.updated_at = now


def settle_parent(session: Session, parent_id: str) -> None:
    """Close a cross-layer parent once its last child ended (children settle it in turn; the
    parent row is locked so that two children ending at once cannot both miss the moment)."""
    parent = session.scalar(
        sa.select(Run)
        .where(Run.id == parent_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if parent is None or parent.status in RUN_TERMINAL:
        return
    counts = child_counts(session, parent_id)
    if counts.queued or counts.running:
        return
    status = "completed" if counts.completed == counts.total else "failed"
    now = clock.now()
    summary = counts.model_dump(mode="json", by_alias=True)
    parent.status, parent.finished_at, parent.updated_at = status, now, now
    parent.output = {**(parent.output or {}), "children": summary}
    if status == "failed":
        parent.error = {
            "code": "CHILD_RUNS_FAILED",
            "message": f"{counts.failed} failed and {counts.canceled} canceled of "
            f"{counts.total} child runs",
        }
    session.add(
        RunLog(
            run_id=parent_id,
            at=now,
            level="info" if status == "completed" else "error",
            message=f"all {counts.total} child runs ended: {counts.completed} completed, "
            f"{counts.failed} failed, {counts.canceled} canceled",
        )
    )


def child_counts(session: Session, parent_id: str) -> ChildSummary:
    rows = session.execute(
        sa.select(Run.status, sa.func.count())
        .where(Run.parent_run_id == parent_id)
        .group_by(Run.status)
    ).all()
    by_status = {status: int(count) for status, count in rows}
    return ChildSummary(
        total=sum(by_status.values()),
        queued=by_status.get("queued", 0),
        running=by_status.get("running", 0),
        completed=by_status.get("completed", 0),
        failed=by_status.get("failed", 0),
        canceled=by_status.get("canceled", 0),
    )


# ---- cancel ----


def cancel(session: Session, tenant: TenantScope, run_id: str) -> Run:
    """Cancel a run (and a parent's unfinished children). Idempotent; 409 once it ended."""
    run = get(session, tenant, run_id, for_update=True)
    if run.status == "canceled":
        return run
    if run.status in RUN_TERMINAL:
        raise Conflict(f"Run {run.id} already {run.status}.", status=run.status)
    workflow_ids = _cancel_one(session, run)
    if run.layer_id is None:
        children = session.scalars(
            sa.select(Run).where(Run.parent_run_id == run.id, Run.status.in_(("queued", "running")))
        ).all()
        for child in children:
            workflow_ids += _cancel_one(session, child)
    after_terminal(session, run)
    settings = get_settings()

    def cancel_workflows() -> None:
        for workflow_id in workflow_ids:
            try:
                durable.cancel(settings, workflow_id)
            except Exception:  # the run row is the truth; DBOS may not know it yet
                log.warning("could not cancel workflow %s", workflow_id, exc_info=True)

    after_commit(session, cancel_workflows)
    session.refresh(run)
    return run


def _cancel_one(session: Session, run: Run) -> list[str]:
    now = clock.now()
    session.execute(
        sa.update(Run)
        .where(Run.id == run.id, Run.status.in_(("queued", "running")))
        .values(status="canceled", finished_at=now, updated_at=now)
    )
    session.execute(
        sa.update(RunActivity)
        .where(RunActivity.run_id == run.id, RunActivity.status == "running")
        .values(status="canceled", finished_at=now)
    )
    session.add(RunLog(run_id=run.id, at=now, level="warning", message="run canceled"))
    return [] if run.workflow_name is None else [run.id]


# ---- retry ----


def retry(session: Session, tenant: TenantScope, run_id: str, *, trigger: str) -> Run:
    """A new run of the same invocation, starting at the first activity that did not complete;
    the completed ones are kept (copied, not re-run)."""
    original = get(session, tenant, run_id, for_update=True)
    if original.status not in ("failed", "canceled"):
        raise Conflict(
            f"Only a failed or canceled run can be retried; {original.id} is {original.status}.",
            status=original.status,
        )
    if original.layer_id is None:
        return _retry_parent(session, original, trigger)
    return _retry_one(session, original, trigger=trigger, parent_run_id=None)


def _retry_one(session: Session, original: Run, *, trigger: str, parent_run_id: str | None) -> Run:
    layer = session.get(ProjectLayer, original.layer_id)
    assert layer is not None
    if original.command_id == "initialize":
        if layer.status not in ("installing", "failed"):
            raise Conflict(f"Layer {layer.id} is {layer.status}; its install cannot be retried.")
        layer.status, layer.error = "installing", None
    elif layer.status != "active":
        raise Conflict(f"Layer {layer.id} is {layer.status}.", status=layer.status)
    steps = list(activities(session, original.id))
    start_step = _restart_step(original, steps)
    now = clock.now()
    run = Run(
        id=new_id("run"),
        org_id=original.org_id,
        livemode=original.livemode,
        layer_id=original.layer_id,
        project_id=original.project_id,
        parent_run_id=parent_run_id,
        retry_of=original.id,
        command_id=original.command_id,
        workflow_name=original.workflow_name,
        workflow_version=original.workflow_version,
        template_id=original.template_id,
        config_version=original.config_version,
        trigger=trigger,
        status="queued",
        parameters=original.parameters,
        created_at=now,
        updated_at=now,
    )
    session.add(run)
    session.flush()
    kept = [a for a in steps if a.status == "completed" and a.step_id < start_step]
    for activity in kept:
        session.add(
            RunActivity(
                id=new_id("act"),
                run_id=run.id,
                step_id=activity.step_id,
                name=activity.name,
                status="completed",
                input=activity.input,
                output=activity.output,
                attempts=activity.attempts,
                attempt_history=activity.attempt_history,
                started_at=activity.started_at,
                finished_at=activity.finished_at,
                last_heartbeat_at=activity.last_heartbeat_at,
                heartbeat_details=activity.heartbeat_details,
                kept_from=activity.kept_from or activity.id,
            )
        )
    if kept:
        names = ", ".join(a.name for a in kept)
        message = f"retry of {original.id}: keeping {len(kept)} completed activities ({names})"
    else:
        message = f"retry of {original.id}: starting from the first activity"
    session.add(RunLog(run_id=run.id, at=now, level="info", message=message))
    durable.enqueue(
        session,
        get_settings(),
        FORK_WORKFLOW,
        ForkInput(original.id, run.id, start_step),
        workflow_id=f"{run.id}-fork",
        queue=durable.INTERACTIVE.name,
    )
    return run


def _restart_step(original: Run, steps: Sequence[RunActivity]) -> int:
    """The DBOS step the retry starts at: the first activity that did not complete, or the
    step where the workflow body failed, whichever came first."""
    candidates = [a.step_id for a in steps if a.status != "completed"]
    failed_at = (original.error or {}).get("failedAtStep")
    if isinstance(failed_at, int):
        candidates.append(failed_at)
    if candidates:
        return min(candidates)
    return max((a.step_id for a in steps), default=0) + 1


def _retry_parent(session: Session, original: Run, trigger: str) -> Run:
    children = session.scalars(
        sa.select(Run)
        .where(Run.parent_run_id == original.id, Run.status.in_(("failed", "canceled")))
        .order_by(Run.id)
    ).all()
    if not children:
        raise Conflict(f"Run {original.id} has no failed or canceled child run to retry.")
    now = clock.now()
    parent = Run(
        id=new_id("run"),
        org_id=original.org_id,
        livemode=original.livemode,
        project_id=original.project_id,
        retry_of=original.id,
        command_id=original.command_id,
        trigger=trigger,
        status="running",
        parameters=original.parameters,
        filters=original.filters,
        output={"retriedChildren": len(children)},
        created_at=now,
        started_at=now,
        updated_at=now,
    )
    session.add(parent)
    session.flush()
    for child in children:
        _retry_one(session, child, trigger=trigger, parent_run_id=parent.id)
    session.add(
        RunLog(
            run_id=parent.id,
            at=now,
            level="info",
            message=f"retry of {original.id}: retrying {len(children)} child runs",
        )
    )
    return parent


# ---- output ----


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
    steps = activities(session, run.id)
    children = child_counts(session, run.id) if run.layer_id is None else None
    retried_by = list(
        session.scalars(sa.select(Run.id).where(Run.retry_of == run.id).order_by(Run.id))
    )
    return RunDetail(
        **_out_fields(run),
        activities=[activity_out(a, i) for i, a in enumerate(steps, start=1)],
        children=children,
        retried_by=retried_by,
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
