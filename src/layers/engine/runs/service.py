"""Runs: starting them (in the caller's transaction) and reading them.

A run row and its DBOS workflow are created in one transaction (`start_run`). A run ends in
`layers.engine.recorder` (from its workflow) or in `canceling` (by hand); either way
`settling.after_terminal` settles what depends on it, in the same transaction. Retrying is in
`retrying`, the API's view of a run in `outputs`, the queries in `repository`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from layers.engine.inputs import RUN_WORKFLOW, RunInput
from layers.engine.runs import repository
from layers.engine.templates import Template
from layers.kit import clock, durable
from layers.kit.errors import Validation
from layers.kit.ids import new_id
from layers.kit.pagination import decode_cursor, encode_cursor, fetch_page
from layers.kit.repository import TenantScope
from layers.kit.settings import Settings
from layers.models.engine import ProjectLayer, Run, RunLog


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


def get(session: Session, tenant: TenantScope, run_id: str, *, for_update: bool = False) -> Run:
    return repository.runs_repo.get(session, tenant, run_id, for_update=for_update)


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
    stmt = repository.filtered(
        tenant,
        layer_id=layer_id,
        project_id=project_id,
        parent_run_id=parent_run_id,
        command_id=command_id,
        status=status,
        trigger=trigger,
    )
    rows, next_cursor = fetch_page(session, stmt, Run.id, cursor=cursor, limit=limit)
    return list(rows), next_cursor


def logs_page(
    session: Session, run: Run, *, cursor: str | None, limit: int
) -> tuple[list[RunLog], str | None]:
    """A run's log lines in order (oldest first); the cursor is the last line's id."""
    after = 0
    if cursor:
        raw = decode_cursor(cursor)
        if not raw.isdigit():
            raise Validation.field("cursor", "malformed cursor", "cursor_invalid")
        after = int(raw)
    rows = repository.log_lines(session, run.id, after, limit + 1)
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(str(rows[-1].id))
    return rows, None


def logs_after(session: Session, run_id: str, after: int, limit: int = 500) -> list[RunLog]:
    return repository.log_lines(session, run_id, after, limit)
