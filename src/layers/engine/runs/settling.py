"""What depends on a run having ended, settled in the transaction that ended it: the layer
its ``initialize`` run was installing, and the cross-layer parent waiting for its children."""

from __future__ import annotations

from sqlalchemy.orm import Session

from layers.engine import scheduler
from layers.engine.catalog import registry
from layers.engine.runs import repository
from layers.engine.runs.schemas import ChildSummary
from layers.kit import clock
from layers.models.engine import RUN_TERMINAL, Run, RunLog


def after_terminal(session: Session, run: Run) -> None:
    """What depends on `run` having ended: its layer's install, its parent's outcome."""
    if run.layer_id is not None and run.command_id == "initialize":
        _settle_install(session, run)
    if run.parent_run_id is not None:
        settle_parent(session, run.parent_run_id)


def _settle_install(session: Session, run: Run) -> None:
    assert run.layer_id is not None
    layer = repository.locked_layer(session, run.layer_id)
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
    parent = repository.locked_run(session, parent_id)
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
    by_status = repository.child_statuses(session, parent_id)
    return ChildSummary(
        total=sum(by_status.values()),
        queued=by_status.get("queued", 0),
        running=by_status.get("running", 0),
        completed=by_status.get("completed", 0),
        failed=by_status.get("failed", 0),
        canceled=by_status.get("canceled", 0),
    )
