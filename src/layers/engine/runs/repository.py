"""Queries over runs, their activities and their log lines.

Every function takes the caller's session and never commits. The status transitions are
conditional UPDATEs that answer whether they moved the row, so a terminal status is sticky:
a late write of a canceled run changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from layers.kit import clock
from layers.kit.repository import TenantRepository, TenantScope
from layers.models.engine import ProjectLayer, Run, RunActivity, RunLog

runs_repo = TenantRepository(Run, "run", "run")
LAST_RUN_CHUNK = 1000  # (layer, command) pairs per statement: two bound parameters each
MAX_MESSAGE = 8000
UNFINISHED = ("queued", "running")
RETRYABLE = ("failed", "canceled")


# ---- runs ----


def filtered(
    tenant: TenantScope,
    *,
    layer_id: str | None = None,
    project_id: str | None = None,
    parent_run_id: str | None = None,
    command_id: str | None = None,
    status: str | None = None,
    trigger: str | None = None,
) -> sa.Select[Run]:
    """The tenant's runs matching every filter given."""
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
    return stmt


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


def locked_run(session: Session, run_id: str) -> Run | None:
    """The run, row-locked and reloaded (whatever the session held of it)."""
    return session.scalar(
        sa.select(Run)
        .where(Run.id == run_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def locked_layer(session: Session, layer_id: str) -> ProjectLayer | None:
    """The layer, row-locked and reloaded (whatever the session held of it)."""
    return session.scalar(
        sa.select(ProjectLayer)
        .where(ProjectLayer.id == layer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def run_status(session: Session, run_id: str) -> str | None:
    return session.scalar(sa.select(Run.status).where(Run.id == run_id))


def children(session: Session, parent_id: str, statuses: Sequence[str]) -> Sequence[Run]:
    """A cross-layer run's children in one of `statuses`, oldest first."""
    return session.scalars(
        sa.select(Run)
        .where(Run.parent_run_id == parent_id, Run.status.in_(list(statuses)))
        .order_by(Run.id)
    ).all()


def child_statuses(session: Session, parent_id: str) -> dict[str, int]:
    """How many children of the parent run are in each status."""
    rows = session.execute(
        sa.select(Run.status, sa.func.count())
        .where(Run.parent_run_id == parent_id)
        .group_by(Run.status)
    ).all()
    return {status: int(count) for status, count in rows}


def retried_by(session: Session, run_id: str) -> list[str]:
    """The ids of the runs that retried `run_id`, oldest first."""
    return list(session.scalars(sa.select(Run.id).where(Run.retry_of == run_id).order_by(Run.id)))


def mark_running(session: Session, run_id: str, started_at: datetime) -> bool:
    """``queued → running``; False when the run was not queued any more."""
    moved = session.execute(
        sa.update(Run)
        .where(Run.id == run_id, Run.status == "queued")
        .values(status="running", started_at=started_at, updated_at=clock.now())
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def mark_completed(session: Session, run_id: str, output: Any, now: datetime) -> bool:
    """``running → completed``; False when the run was not running any more."""
    done = session.execute(
        sa.update(Run)
        .where(Run.id == run_id, Run.status == "running")
        .values(status="completed", output=output, finished_at=now, updated_at=now)
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def mark_failed(session: Session, run_id: str, error: dict[str, Any], now: datetime) -> bool:
    """``queued | running → failed``; False when the run had ended already."""
    done = session.execute(
        sa.update(Run)
        .where(Run.id == run_id, Run.status.in_(UNFINISHED))
        .values(
            status="failed",
            error=error,
            started_at=sa.func.coalesce(Run.started_at, now),
            finished_at=now,
            updated_at=now,
        )
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def mark_canceled(session: Session, run_id: str, now: datetime) -> None:
    """``queued | running → canceled``, with the activities still running."""
    session.execute(
        sa.update(Run)
        .where(Run.id == run_id, Run.status.in_(UNFINISHED))
        .values(status="canceled", finished_at=now, updated_at=now)
    )
    session.execute(
        sa.update(RunActivity)
        .where(RunActivity.run_id == run_id, RunActivity.status == "running")
        .values(status="canceled", finished_at=now)
    )


# ---- activities ----


def activities(session: Session, run_id: str) -> Sequence[RunActivity]:
    """A run's activities in the order they ran."""
    return session.scalars(
        sa.select(RunActivity).where(RunActivity.run_id == run_id).order_by(RunActivity.step_id)
    ).all()


def activity_at_step(session: Session, run_id: str, step_id: int) -> RunActivity | None:
    """The activity of (run, DBOS step), row-locked."""
    return session.scalar(
        sa.select(RunActivity)
        .where(RunActivity.run_id == run_id, RunActivity.step_id == step_id)
        .with_for_update()
    )


def heartbeat_details_at_step(session: Session, run_id: str, step_id: int) -> Any:
    """The last heartbeat details the activity of (run, DBOS step) recorded."""
    return session.scalar(
        sa.select(RunActivity.heartbeat_details).where(
            RunActivity.run_id == run_id, RunActivity.step_id == step_id
        )
    )


def last_failed_activity(session: Session, run_id: str) -> RunActivity | None:
    """The run's failed activity of the highest step, if any."""
    return session.scalar(
        sa.select(RunActivity)
        .where(RunActivity.run_id == run_id, RunActivity.status == "failed")
        .order_by(RunActivity.step_id.desc())
        .limit(1)
    )


def insert_activity(session: Session, **values: Any) -> None:
    """One ``run_activities`` row, written whole."""
    session.execute(sa.insert(RunActivity).values(**values))


def complete_running_activity(session: Session, activity_id: str, **values: Any) -> None:
    """``running → completed`` with `values` (output, end time, last heartbeat)."""
    session.execute(
        sa.update(RunActivity)
        .where(RunActivity.id == activity_id, RunActivity.status == "running")
        .values(status="completed", **values)
    )


def record_heartbeat(session: Session, activity_id: str, details: Any, now: datetime) -> None:
    session.execute(
        sa.update(RunActivity)
        .where(RunActivity.id == activity_id)
        .values(last_heartbeat_at=now, heartbeat_details=details)
    )


# ---- logs ----


def insert_log(
    session: Session,
    run_id: str,
    level: str,
    message: str,
    *,
    activity_id: str | None = None,
    activity_name: str | None = None,
    dedupe_key: str | None = None,
) -> None:
    """One log line of the run (the message cut at `MAX_MESSAGE` characters)."""
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


def has_log(session: Session, run_id: str, dedupe_key: str) -> bool:
    """Whether the run already has the log line keyed `dedupe_key`."""
    found = session.scalar(
        sa.select(RunLog.id).where(RunLog.run_id == run_id, RunLog.dedupe_key == dedupe_key)
    )
    return found is not None


def log_lines(session: Session, run_id: str, after: int, limit: int) -> list[RunLog]:
    """The run's log lines after the line id `after`, oldest first, at most `limit`."""
    return list(
        session.scalars(
            sa.select(RunLog)
            .where(RunLog.run_id == run_id, RunLog.id > after)
            .order_by(RunLog.id)
            .limit(limit)
        )
    )
