"""Retrying a failed or canceled run: a new run of the same invocation that starts at the
first activity that did not complete, keeping the completed ones (copied, not run again).

The new run and its fork workflow (``layers.engine.fork_run``) are created in the caller's
transaction, as `service.start_run` creates a run and its workflow.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from layers.engine.inputs import FORK_WORKFLOW, ForkInput
from layers.engine.runs import repository, service
from layers.kit import clock, durable
from layers.kit.errors import Conflict
from layers.kit.ids import new_id
from layers.kit.repository import TenantScope
from layers.kit.settings import get_settings
from layers.models.engine import ProjectLayer, Run, RunActivity, RunLog


def retry(session: Session, tenant: TenantScope, run_id: str, *, trigger: str) -> Run:
    """A new run of the same invocation, starting at the first activity that did not complete;
    the completed ones are kept (copied, not re-run)."""
    original = service.get(session, tenant, run_id, for_update=True)
    if original.status not in repository.RETRYABLE:
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
    steps = list(repository.activities(session, original.id))
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
    children = repository.children(session, original.id, repository.RETRYABLE)
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
