"""What the engine writes while runs execute: run transitions, activities, heartbeats, logs.

Each function is one short transaction of its own (they are called from DBOS threads, far from
any request). Transitions are conditional UPDATEs on the current status, so terminal states are
sticky: a late activity of a canceled run cannot resurrect it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.ids import new_id
from layers.models.engine import (
    RUN_TERMINAL,
    LayerConfigVersion,
    Run,
    RunActivity,
    RunLog,
)

if TYPE_CHECKING:
    from layers.engine.authoring import RunContext

log = logging.getLogger("layers.engine")

MAX_HISTORY = 50
MAX_MESSAGE = 8000


class _Unchanged:
    pass


UNCHANGED: Final = _Unchanged()


@dataclass(frozen=True)
class ActivityStart:
    activity_id: str
    attempt: int
    details: Any
    resumed: bool


def _insert_log(
    session: Session,
    run_id: str,
    level: str,
    message: str,
    *,
    activity_id: str | None = None,
    activity_name: str | None = None,
    dedupe_key: str | None = None,
) -> None:
    session.execute(
        sa.insert(RunLog).values(
            run_id=run_id,
            at=clock.now(),
            level=level,
            activity_id=activity_id,
            activity_name=activity_name,
            message=message[:MAX_MESSAGE],
            dedupe_key=dedupe_key,
        )
    )


def append_log(
    run_id: str,
    level: str,
    message: str,
    *,
    activity_id: str | None = None,
    activity_name: str | None = None,
    dedupe_key: str | None = None,
) -> None:
    with get_database().transaction() as session:
        if dedupe_key is not None:
            exists = session.scalar(
                sa.select(RunLog.id).where(RunLog.run_id == run_id, RunLog.dedupe_key == dedupe_key)
            )
            if exists is not None:
                return
        _insert_log(
            session,
            run_id,
            level,
            message,
            activity_id=activity_id,
            activity_name=activity_name,
            dedupe_key=dedupe_key,
        )


# ---- runs ----


def begin_run(run_id: str) -> RunContext | None:
    """Mark the run running (idempotent) and load its context; None if it already ended."""
    from layers.engine.authoring import RunContext

    now = clock.now()
    with get_database().transaction() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise LookupError(f"run {run_id} has no row")
        if run.status in RUN_TERMINAL:
            return None
        if run.status == "queued":
            session.execute(
                sa.update(Run)
                .where(Run.id == run_id, Run.status == "queued")
                .values(status="running", started_at=now, updated_at=now)
            )
            version = f" v{run.workflow_version}" if run.workflow_version else ""
            retry = f", retry of {run.retry_of}" if run.retry_of else ""
            _insert_log(
                session,
                run_id,
                "info",
                f"run started: {run.command_id} ({run.workflow_name}{version}, "
                f"trigger {run.trigger}{retry})",
                dedupe_key="engine:begin",
            )
        config: dict[str, Any] = {}
        if run.layer_id is not None and run.config_version is not None:
            config = (
                session.scalar(
                    sa.select(LayerConfigVersion.config).where(
                        LayerConfigVersion.layer_id == run.layer_id,
                        LayerConfigVersion.version == run.config_version,
                    )
                )
                or {}
            )
        return RunContext(
            run_id=run.id,
            command_id=run.command_id,
            trigger=run.trigger,
            workflow=run.workflow_name or "",
            workflow_version=run.workflow_version or 0,
            parameters=dict(run.parameters or {}),
            config=dict(config),
            config_version=run.config_version,
            layer_id=run.layer_id,
            project_id=run.project_id,
            org_id=run.org_id,
            livemode=run.livemode,
            template_id=run.template_id,
            retry_of=run.retry_of,
            parent_run_id=run.parent_run_id,
            scheduled_for=run.scheduled_for,
        )


def complete_run(run_id: str, output: Any) -> bool:
    from layers.engine.runs import service as runs

    now = clock.now()
    with get_database().transaction() as session:
        done = session.execute(
            sa.update(Run)
            .where(Run.id == run_id, Run.status == "running")
            .values(status="completed", output=output, finished_at=now, updated_at=now)
        )
        if not done.rowcount:  # type: ignore[attr-defined]
            return False
        run = session.get(Run, run_id)
        assert run is not None
        _insert_log(session, run_id, "info", f"run completed in {_took(run, now)}")
        runs.after_terminal(session, run)
        return True


def fail_run(run_id: str, error: dict[str, Any]) -> bool:
    from layers.engine.runs import service as runs

    now = clock.now()
    with get_database().transaction() as session:
        failed = session.scalar(
            sa.select(RunActivity)
            .where(RunActivity.run_id == run_id, RunActivity.status == "failed")
            .order_by(RunActivity.step_id.desc())
            .limit(1)
        )
        if failed is not None and failed.error:
            # The activity's own record has the trace from where it was raised (an error
            # replayed from DBOS after a crash has lost its traceback).
            error = {
                **error,
                **{k: v for k, v in failed.error.items() if k in ("stackTrace", "type")},
                "activity": failed.name,
                "activityId": failed.id,
            }
        done = session.execute(
            sa.update(Run)
            .where(Run.id == run_id, Run.status.in_(("queued", "running")))
            .values(status="failed", error=error, finished_at=now, updated_at=now)
        )
        if not done.rowcount:  # type: ignore[attr-defined]
            return False
        run = session.get(Run, run_id)
        assert run is not None
        _insert_log(
            session, run_id, "error", f"run failed after {_took(run, now)}: {error['message']}"
        )
        runs.after_terminal(session, run)
        return True


def _took(run: Run, now: datetime) -> str:
    seconds = (now - (run.started_at or run.created_at)).total_seconds()
    return f"{seconds:.2f}s"


# ---- activities ----


def start_activity(
    run_id: str, step_id: int, name: str, input_: Any, *, retry_of: str | None
) -> ActivityStart:
    """The activity row for (run, step): created, or found again when DBOS re-executes the step
    after a crash (one more attempt; its last heartbeat is handed back)."""
    now = clock.now()
    with get_database().transaction() as session:
        row = session.scalar(
            sa.select(RunActivity)
            .where(RunActivity.run_id == run_id, RunActivity.step_id == step_id)
            .with_for_update()
        )
        if row is not None:
            row.attempts += 1
            row.status = "running"
            row.finished_at = None
            history = list(row.attempt_history or [])
            if history and history[-1].get("finishedAt") is None:
                history[-1] = {**history[-1], "outcome": "interrupted"}
            row.attempt_history = [*history, _attempt_entry(row.attempts, now)][-MAX_HISTORY:]
            _insert_log(
                session,
                run_id,
                "warning",
                f"{name}: resumed after an interruption (attempt {row.attempts})",
                activity_id=row.id,
                activity_name=name,
            )
            return ActivityStart(row.id, row.attempts, row.heartbeat_details, True)
        details = None
        if retry_of is not None:
            details = session.scalar(
                sa.select(RunActivity.heartbeat_details).where(
                    RunActivity.run_id == retry_of, RunActivity.step_id == step_id
                )
            )
        activity_id = new_id("act")
        session.execute(
            sa.insert(RunActivity).values(
                id=activity_id,
                run_id=run_id,
                step_id=step_id,
                name=name,
                status="running",
                input=input_,
                attempts=1,
                attempt_history=[_attempt_entry(1, now)],
                started_at=now,
                heartbeat_details=details,
            )
        )
        return ActivityStart(activity_id, 1, details, False)


def _attempt_entry(attempt: int, started: datetime) -> dict[str, Any]:
    from layers.kit.clock import isoformat_z

    return {"attempt": attempt, "startedAt": isoformat_z(started), "finishedAt": None}


def _close_attempt(row: RunActivity, outcome: str, error: dict[str, Any] | None) -> None:
    from layers.kit.clock import isoformat_z

    history = list(row.attempt_history or [])
    entry: dict[str, Any] = history.pop() if history else {"attempt": row.attempts}
    entry = {**entry, "finishedAt": isoformat_z(clock.now()), "outcome": outcome}
    if error is not None:
        entry["error"] = {k: error[k] for k in ("code", "message", "type") if k in error}
    row.attempt_history = [*history, entry]


def attempt_failed(
    activity_id: str,
    run_id: str,
    name: str,
    attempt: int,
    _started: datetime,
    error: dict[str, Any],
    delay: float,
) -> None:
    with get_database().transaction() as session:
        row = session.get(RunActivity, activity_id)
        if row is None:
            return
        _close_attempt(row, "failed", error)
        row.error = error
        _insert_log(
            session,
            run_id,
            "warning",
            f"{name}: attempt {attempt} failed ({error['message']}); retrying in {delay:g}s",
            activity_id=activity_id,
            activity_name=name,
        )


def next_attempt(activity_id: str) -> int:
    now = clock.now()
    with get_database().transaction() as session:
        row = session.get(RunActivity, activity_id)
        assert row is not None
        row.attempts += 1
        row.attempt_history = [*(row.attempt_history or []), _attempt_entry(row.attempts, now)][
            -MAX_HISTORY:
        ]
        return row.attempts


def complete_activity(activity_id: str, output: Any, details: Any = UNCHANGED) -> None:
    """One conditional UPDATE (the hot path): the open attempt of ``attemptHistory`` is closed
    by the activity's own status and end time when it is shown."""
    now = clock.now()
    values: dict[str, Any] = {"status": "completed", "output": output, "finished_at": now}
    if not isinstance(details, _Unchanged):
        values.update(heartbeat_details=details, last_heartbeat_at=now)
    with get_database().transaction() as session:
        session.execute(
            sa.update(RunActivity)
            .where(RunActivity.id == activity_id, RunActivity.status == "running")
            .values(**values)
        )


def fail_activity(
    activity_id: str,
    run_id: str,
    name: str,
    attempt: int,
    _started: datetime,
    error: dict[str, Any],
) -> None:
    now = clock.now()
    with get_database().transaction() as session:
        row = session.get(RunActivity, activity_id)
        if row is None or row.status != "running":
            return
        _close_attempt(row, "failed", error)
        row.status, row.error, row.finished_at = "failed", error, now
        plural = "s" if attempt != 1 else ""
        _insert_log(
            session,
            run_id,
            "error",
            f"{name}: failed after {attempt} attempt{plural}: {error['message']}",
            activity_id=activity_id,
            activity_name=name,
        )


def cancel_activity(activity_id: str) -> None:
    now = clock.now()
    with get_database().transaction() as session:
        row = session.get(RunActivity, activity_id)
        if row is None or row.status != "running":
            return
        _close_attempt(row, "canceled", None)
        row.status, row.finished_at = "canceled", now


def heartbeat(activity_id: str, run_id: str, details: Any) -> str:
    """Record a heartbeat; answers the run's status (so a canceled run's activity can stop)."""
    now = clock.now()
    with get_database().transaction() as session:
        session.execute(
            sa.update(RunActivity)
            .where(RunActivity.id == activity_id)
            .values(last_heartbeat_at=now, heartbeat_details=details)
        )
        return session.scalar(sa.select(Run.status).where(Run.id == run_id)) or "running"
