"""The scheduler: per-layer schedules of scheduled commands and the minute tick.

`tick(now)` is a plain function: the DBOS schedule calls it every minute, tests and simulations
call it with any `now`. Invariants:

* Due-ness is ``layer_schedules.next_run_at <= now`` (indexed): a tick costs O(due).
* A due row is claimed by a conditional UPDATE of its ``next_run_at``; only the claimant goes
  on, and the run it starts has a deterministic id (scheduled minute, layer, command), so two
  workers or two overlapping ticks never start a command twice.
* ``next_run_at`` is NULL while the layer is not active: paused and uninstalled layers are never
  due. Layers of archived projects are skipped when due.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from layers.engine.catalog import registry
from layers.engine.cron import next_after
from layers.engine.project_layers import repository as layers_repository
from layers.engine.runs import repository as runs_repository
from layers.engine.runs import service as runs
from layers.engine.templates import Template, cron_for
from layers.kit.db import get_database
from layers.kit.ids import deterministic_id
from layers.kit.settings import get_settings
from layers.models.engine import RUN_TERMINAL, LayerSchedule, ProjectLayer, Run
from layers.models.orgs import Organization
from layers.models.projects import Project

log = logging.getLogger("layers.scheduler")

TICK_LIMIT = 5000

# ---- schedule rows ----


def sync_schedules(
    session: Session,
    layer: ProjectLayer,
    template: Template,
    now: datetime,
    *,
    rearm: bool = False,
) -> None:
    """Make the layer's schedule rows match its template and config.

    A row whose cron changed gets its next run recomputed from `now`; ``rearm`` recomputes every
    row (resume). Rows are disarmed (NULL) while the layer is not active and deleted with it.
    """
    rows = {row.command_id: row for row in layers_repository.schedules_of(session, [layer.id])}
    if layer.status == "uninstalled":
        for row in rows.values():
            session.delete(row)
        return
    active = layer.status == "active"
    for command_id in template.scheduled_commands():
        cron = cron_for(template, command_id, layer.config)
        assert cron is not None
        if command_id not in rows:
            row = LayerSchedule(layer_id=layer.id, command_id=command_id, cron=cron)
            session.add(row)
            changed = True
        else:
            row = rows.pop(command_id)
            changed = row.cron != cron
            row.cron = cron
        if not active:
            row.next_run_at = None
        elif changed or rearm or row.next_run_at is None:
            row.next_run_at = next_after(cron, now)
    for stale in rows.values():
        session.delete(stale)
    session.flush()


# ---- the tick ----


@dataclass
class TickResult:
    started: list[str] = field(default_factory=list)
    nothing_to_do: int = 0
    skipped: int = 0


_background = threading.Event()
_background.set()


def background_enabled() -> bool:
    return _background.is_set()


@contextmanager
def background_paused() -> Iterator[None]:
    """Keep this process's DBOS-scheduled ticks from running (tests that drive `tick` with a
    manual clock use it, so the wall-clock tick does not race them)."""
    _background.clear()
    try:
        yield
    finally:
        _background.set()


def tick(now: datetime) -> TickResult:
    """Start every scheduled command due at `now`.

    Owns its transactions: one read, then one transaction per due schedule (`_fire`), so each
    claim and the run it starts commit together and one schedule that fails to start neither
    undoes nor blocks the others.
    """
    result = TickResult()
    with get_database().transaction(write=False) as session:
        due = layers_repository.due_schedules(session, now, TICK_LIMIT)
    for schedule_id, due_at in due:
        try:
            _fire(schedule_id, due_at, now, result)
        except Exception:
            log.exception("scheduler: schedule %s failed to start", schedule_id)
    return result


def _fire(schedule_id: int, due_at: datetime, now: datetime, result: TickResult) -> None:
    """Claim one due schedule and start its run, in a transaction of its own (see `tick`)."""
    with get_database().transaction() as session:
        row = session.get(LayerSchedule, schedule_id)
        if row is None or row.next_run_at != due_at:
            return  # another tick got there first
        next_at = next_after(row.cron, now)
        if not layers_repository.claim_schedule(session, schedule_id, due_at, next_at):
            return
        layer = session.get(ProjectLayer, row.layer_id)
        project = session.get(Project, layer.project_id) if layer else None
        if layer is None or project is None or layer.status != "active":
            result.skipped += 1
            return
        if project.status != "active":
            result.skipped += 1
            return
        org = session.get(Organization, project.org_id)
        if org is None or org.status != "active":  # a suspended organization runs nothing
            result.skipped += 1
            return
        template = registry.for_layer(layer)
        command = template.command(row.command_id) if template else None
        if template is None or command is None or command.trigger != "scheduled":
            result.skipped += 1
            return
        if row.last_run_id is not None:
            previous = runs_repository.run_status(session, row.last_run_id)
            if previous is not None and previous not in RUN_TERMINAL:
                result.skipped += 1  # never overlaps itself
                return
        if command.probe is not None and not command.probe(session, layer, now):
            result.nothing_to_do += 1
            return
        minute = due_at.replace(second=0, microsecond=0)
        run_id = deterministic_id("run", minute, layer.id, row.command_id)
        if session.get(Run, run_id) is not None:
            return
        runs.start_run(
            session,
            get_settings(),
            layer=layer,
            template=template,
            command_id=row.command_id,
            trigger="schedule",
            parameters={},
            run_id=run_id,
            scheduled_for=minute,
        )
        row.last_run_at = minute
        row.last_run_id = run_id
        result.started.append(run_id)
