"""The engine's DBOS workflows: the generic run, the retry fork, and the scheduler tick.

`run_command` executes any template workflow (name, version) from the catalog: every run is
this one DBOS workflow, so a template needs no DBOS registration of its own and an old version
keeps recovering as long as the catalog keeps it.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from dbos import DBOS, SetWorkflowID
from dbos._error import DBOSNonExistentWorkflowError
from sqlalchemy.exc import OperationalError

from layers.engine import recorder, scheduler
from layers.engine.authoring import RunCanceled, current_mark, describe_error, running
from layers.engine.catalog import registry
from layers.engine.inputs import FORK_WORKFLOW, RUN_WORKFLOW, ForkInput, RunInput
from layers.engine.jsonutil import bounded
from layers.engine.settings import engine_settings
from layers.jobs.workflows import application_error
from layers.kit import durable

log = logging.getLogger("layers.engine")

TICK_WORKFLOW = "layers.engine.scheduler_tick"


def _complete(run_id: str, output: Any, mark: recorder.RunMark) -> None:
    """Not a DBOS step (one system-database write less per run): a replay after a crash runs
    it again, which is harmless since the transition is conditional. Transient database errors
    are retried here, as a step's retries would."""
    for attempt in range(1, 6):
        try:
            recorder.complete_run(run_id, output, mark)
            return
        except OperationalError:
            if attempt == 5:
                raise
            log.warning("completing run %s failed; retrying", run_id, exc_info=True)
            time.sleep(0.2 * 2**attempt)


@DBOS.step(name="engine.fail_run", retries_allowed=True, max_attempts=5)
def _fail(run_id: str, error: dict[str, Any]) -> None:
    step = DBOS.step_id
    recorder.fail_run(run_id, {**error, "failedAtStep": step}, current_mark())


@DBOS.workflow(name=RUN_WORKFLOW)
def run_command(inp: RunInput) -> Any:
    run_id = DBOS.workflow_id
    assert run_id is not None
    begun = recorder.begin_run(run_id)
    if begun is None:  # canceled before it started
        return None
    context, mark = begun
    with running(context, mark):
        try:
            fn = registry.workflow(inp.workflow, inp.version)
            output = bounded(fn(context))
        except RunCanceled:
            return None
        except BaseException as exc:
            cause = application_error(exc)
            if cause is not None:
                _fail(run_id, describe_error(cause))
            raise
        _complete(run_id, output, mark)
    return output


@DBOS.workflow(name=FORK_WORKFLOW)
def fork_run(inp: ForkInput) -> str:
    """Start the retry `inp.new_run_id` as a fork of the original: DBOS copies the recorded
    outputs of the steps before `start_step`, so those activities do not run again."""
    try:
        with SetWorkflowID(inp.new_run_id):
            handle = DBOS.fork_workflow(
                inp.original_run_id,
                inp.start_step,
                queue_name=durable.INTERACTIVE.name,
                application_version=durable.APP_VERSION,
            )
    except DBOSNonExistentWorkflowError:
        # The original's durable state is gone: the retry cannot reuse anything; say so.
        _fail_retry(inp.new_run_id, inp.original_run_id)
        return inp.new_run_id
    return str(handle.workflow_id)


@DBOS.step(name="engine.fail_retry")
def _fail_retry(run_id: str, original_run_id: str) -> None:
    recorder.fail_run(
        run_id,
        {
            "code": "RETRY_UNAVAILABLE",
            "message": f"the durable state of {original_run_id} is gone; execute the command anew",
        },
    )


@DBOS.step(name="engine.tick")
def _tick(now: datetime) -> int:
    return len(scheduler.tick(now).started)


@DBOS.workflow(name=TICK_WORKFLOW)
def scheduler_tick(scheduled_at: datetime, _context: Any) -> None:
    """The one system schedule of the engine: start what is due at `scheduled_at`."""
    if not scheduler.background_enabled():
        return
    started = _tick(scheduled_at)
    if started:
        log.info("scheduler tick %s started %d run(s)", scheduled_at.isoformat(), started)


CRONS = (
    # The layer engine's scheduler: starts every scheduled command that is due.
    durable.Cron("layers.scheduler", scheduler_tick, lambda _: engine_settings().scheduler_cron),
)
