"""Canceling a run by hand: the run row ends in the caller's transaction; its DBOS workflows
are canceled once that transaction has committed (the row is the truth)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from layers.engine.runs import repository, service
from layers.engine.runs.settling import after_terminal
from layers.kit import clock, durable
from layers.kit.db import after_commit
from layers.kit.errors import Conflict
from layers.kit.repository import TenantScope
from layers.kit.settings import get_settings
from layers.models.engine import RUN_TERMINAL, Run, RunLog

log = logging.getLogger("layers.engine")


def cancel(session: Session, tenant: TenantScope, run_id: str) -> Run:
    """Cancel a run (and a parent's unfinished children). Idempotent; 409 once it ended."""
    run = service.get(session, tenant, run_id, for_update=True)
    if run.status == "canceled":
        return run
    if run.status in RUN_TERMINAL:
        raise Conflict(f"Run {run.id} already {run.status}.", status=run.status)
    workflow_ids = _cancel_one(session, run)
    if run.layer_id is None:
        for child in repository.children(session, run.id, repository.UNFINISHED):
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
    repository.mark_canceled(session, run.id, now)
    session.add(RunLog(run_id=run.id, at=now, level="warning", message="run canceled"))
    return [] if run.workflow_name is None else [run.id]
