"""What the engine writes while runs execute: run transitions, activities, heartbeats, logs.

Each function is one short transaction of its own (they are called from DBOS threads, far from
any request). Transitions are conditional UPDATEs on the current status, so terminal states are
sticky: a late activity of a canceled run cannot resurrect it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy.orm import Session

from layers.engine.project_layers import repository as layers_repository
from layers.engine.runs import repository
from layers.engine.runs.repository import insert_log
from layers.engine.runs.settling import after_terminal
from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.ids import new_id
from layers.models.engine import RUN_TERMINAL, Run, RunActivity

if TYPE_CHECKING:
    from layers.engine.authoring import RunContext

log = logging.getLogger("layers.engine")

MAX_HISTORY = 50


class _Unchanged:
    pass


UNCHANGED: Final = _Unchanged()


def append_log(
    run_id: str,
    level: str,
    message: str,
    *,
    activity_id: str | None = None,
    activity_name: str | None = None,
    dedupe_key: str | None = None,
    mark: RunMark | None = None,
) -> None:
    with _write(mark) as session:
        if dedupe_key is not None and repository.has_log(session, run_id, dedupe_key):
            return
        insert_log(
            session,
            run_id,
            level,
            message,
            activity_id=activity_id,
            activity_name=activity_name,
            dedupe_key=dedupe_key,
        )


# ---- runs ----


@dataclass
class RunMark:
    """A run's ``queued → running`` transition, written once, by the run's first write.

    Folding it into that write (rather than writing it when the run starts) saves a commit
    per run; a timer writes it alone if the run has written nothing after `LAZY_SECONDS`.
    """

    run_id: str
    started_at: datetime
    message: str
    written: bool = False


LAZY_SECONDS = 0.25


@contextmanager
def _write(mark: RunMark | None) -> Iterator[Session]:
    """A write transaction of the run; the first one also marks the run running."""
    with get_database().transaction() as session:
        if (
            mark is not None
            and not mark.written
            and repository.mark_running(session, mark.run_id, mark.started_at)
        ):
            insert_log(session, mark.run_id, "info", mark.message, dedupe_key="engine:begin")
        yield session
    if mark is not None:
        mark.written = True


def touch_run(mark: RunMark) -> None:
    """Write the running transition now (the run's timer, when nothing else wrote yet)."""
    if not mark.written:
        with _write(mark):
            pass


def begin_run(run_id: str) -> tuple[RunContext, RunMark] | None:
    """Load the run's context (a read); None if it already ended. A run still ``queued`` is a
    fresh start: its running transition waits for its first write (`RunMark`)."""
    # Here, not at the top: authoring imports this module (its activities write through it),
    # and `RunContext` is authoring's.
    from layers.engine.authoring import RunContext

    with get_database().transaction(write=False) as session:
        run = session.get(Run, run_id)
        if run is None:
            raise LookupError(f"run {run_id} has no row")
        if run.status in RUN_TERMINAL:
            return None
        config: dict[str, Any] = {}
        if run.layer_id is not None and run.config_version is not None:
            config = (
                layers_repository.config_at_version(session, run.layer_id, run.config_version) or {}
            )
        version = f" v{run.workflow_version}" if run.workflow_version else ""
        retry = f", retry of {run.retry_of}" if run.retry_of else ""
        mark = RunMark(
            run_id=run.id,
            started_at=clock.now(),
            message=f"run started: {run.command_id} ({run.workflow_name}{version}, "
            f"trigger {run.trigger}{retry})",
            written=run.status != "queued",
        )
        context = RunContext(
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
        return context, mark


def complete_run(run_id: str, output: Any, mark: RunMark | None = None) -> bool:
    """``running → completed`` and what depends on it; False when the run had ended."""
    now = clock.now()
    with _write(mark) as session:
        if not repository.mark_completed(session, run_id, output, now):
            return False
        run = session.get(Run, run_id)
        assert run is not None
        insert_log(session, run_id, "info", f"run completed in {_took(run, now)}")
        after_terminal(session, run)
        return True


def fail_run(run_id: str, error: dict[str, Any], mark: RunMark | None = None) -> bool:
    """``queued | running → failed`` and what depends on it; False when the run had ended."""
    now = clock.now()
    with _write(mark) as session:
        failed = repository.last_failed_activity(session, run_id)
        if failed is not None and failed.error:
            # The activity's own record has the trace from where it was raised (an error
            # replayed from DBOS after a crash has lost its traceback).
            error = {
                **error,
                **{k: v for k, v in failed.error.items() if k in ("stackTrace", "type")},
                "activity": failed.name,
                "activityId": failed.id,
            }
        if not repository.mark_failed(session, run_id, error, now):
            return False
        run = session.get(Run, run_id)
        assert run is not None
        insert_log(
            session, run_id, "error", f"run failed after {_took(run, now)}: {error['message']}"
        )
        after_terminal(session, run)
        return True


def _took(run: Run, now: datetime) -> str:
    seconds = (now - (run.started_at or run.created_at)).total_seconds()
    return f"{seconds:.2f}s"


# ---- activities ----


@dataclass
class ActivityRow:
    """An activity as the recorder writes it; `written` once its row exists."""

    activity_id: str
    run_id: str
    step_id: int
    name: str
    input: Any
    attempt: int
    details: Any
    started_at: datetime
    written: bool


def start_activity(
    run_id: str,
    step_id: int,
    name: str,
    input_: Any,
    *,
    retry_of: str | None,
    fresh: bool,
    mark: RunMark | None = None,
) -> ActivityRow:
    """The activity of (run, step).

    In a fresh execution of a run no row can exist yet, and none is written now: the row is
    inserted whole when the activity ends, or when it first heartbeats, fails or has run for
    `LAZY_SECONDS` (see `insert_activity`). When DBOS re-executes a step after a crash, the
    row (if the interrupted attempt got one) is found again: one more attempt, and its last
    heartbeat is handed back.
    """
    now = clock.now()
    if fresh:
        details = None
        if retry_of is not None:
            with get_database().transaction(write=False) as session:
                details = repository.heartbeat_details_at_step(session, retry_of, step_id)
        return ActivityRow(new_id("act"), run_id, step_id, name, input_, 1, details, now, False)
    with _write(mark) as session:
        row = repository.activity_at_step(session, run_id, step_id)
        if row is None:
            activity = ActivityRow(
                new_id("act"), run_id, step_id, name, input_, 1, None, now, False
            )
            _insert_activity(session, activity, status="running")
            activity.written = True
            return activity
        row.attempts += 1
        row.status = "running"
        row.finished_at = None
        history = list(row.attempt_history or [])
        if history and history[-1].get("finishedAt") is None:
            history[-1] = {**history[-1], "outcome": "interrupted"}
        row.attempt_history = [*history, _attempt_entry(row.attempts, now)][-MAX_HISTORY:]
        insert_log(
            session,
            run_id,
            "warning",
            f"{name}: resumed after an interruption (attempt {row.attempts})",
            activity_id=row.id,
            activity_name=name,
        )
        return ActivityRow(
            row.id,
            run_id,
            step_id,
            name,
            row.input,
            row.attempts,
            row.heartbeat_details,
            row.started_at,
            True,
        )


def _insert_activity(
    session: Session,
    activity: ActivityRow,
    *,
    status: str,
    output: Any = None,
    finished_at: datetime | None = None,
    details: Any = UNCHANGED,
) -> None:
    heartbeat_values: dict[str, Any] = {"heartbeat_details": activity.details}
    if not isinstance(details, _Unchanged):
        heartbeat_values = {"heartbeat_details": details, "last_heartbeat_at": finished_at}
    repository.insert_activity(
        session,
        id=activity.activity_id,
        run_id=activity.run_id,
        step_id=activity.step_id,
        name=activity.name,
        status=status,
        input=activity.input,
        output=output,
        attempts=activity.attempt,
        attempt_history=[_attempt_entry(activity.attempt, activity.started_at)],
        started_at=activity.started_at,
        finished_at=finished_at,
        **heartbeat_values,
    )


def insert_activity(activity: ActivityRow, mark: RunMark | None = None) -> None:
    """Write a running activity's row (its first heartbeat, failure, or a slow start)."""
    with _write(mark) as session:
        _insert_activity(session, activity, status="running")
    activity.written = True


def _attempt_entry(attempt: int, started: datetime) -> dict[str, Any]:
    return {"attempt": attempt, "startedAt": clock.isoformat_z(started), "finishedAt": None}


def _close_attempt(row: RunActivity, outcome: str, error: dict[str, Any] | None) -> None:
    history = list(row.attempt_history or [])
    entry: dict[str, Any] = history.pop() if history else {"attempt": row.attempts}
    entry = {**entry, "finishedAt": clock.isoformat_z(clock.now()), "outcome": outcome}
    if error is not None:
        entry["error"] = {k: error[k] for k in ("code", "message", "type") if k in error}
    row.attempt_history = [*history, entry]


def attempt_failed(
    activity_id: str,
    run_id: str,
    name: str,
    attempt: int,
    error: dict[str, Any],
    delay: float,
) -> None:
    with get_database().transaction() as session:
        row = session.get(RunActivity, activity_id)
        if row is None:
            return
        _close_attempt(row, "failed", error)
        row.error = error
        insert_log(
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


def complete_activity(
    activity: ActivityRow, output: Any, details: Any = UNCHANGED, mark: RunMark | None = None
) -> None:
    """The activity's one write when it never needed one before (the hot path: the row is
    inserted whole), else one conditional UPDATE. The open attempt of ``attemptHistory`` is
    closed by the activity's own status and end time when it is shown."""
    now = clock.now()
    with _write(mark) as session:
        if not activity.written:
            _insert_activity(
                session, activity, status="completed", output=output, finished_at=now,
                details=details,
            )  # fmt: skip
            return
        values: dict[str, Any] = {"output": output, "finished_at": now}
        if not isinstance(details, _Unchanged):
            values.update(heartbeat_details=details, last_heartbeat_at=now)
        repository.complete_running_activity(session, activity.activity_id, **values)


def fail_activity(
    activity_id: str,
    run_id: str,
    name: str,
    attempt: int,
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
        insert_log(
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
        repository.record_heartbeat(session, activity_id, details, now)
        return repository.run_status(session, run_id) or "running"
