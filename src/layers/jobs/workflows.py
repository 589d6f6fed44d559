"""Helpers for workflows that report through a job."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from dbos import DBOS
from dbos._error import DBOSException, DBOSMaxStepRetriesExceeded

from layers.jobs import service
from layers.kit.errors import LayersError

log = logging.getLogger("layers.jobs")


@DBOS.step(name="jobs.fail")
def fail_job(job_id: str, code: str, message: str) -> None:
    service.fail(job_id, code, message)


def application_error(exc: BaseException) -> Exception | None:
    """The application error behind `exc`, or None when it is the runtime's own business.

    Cancellation, shutdown and other DBOS conditions are not failures of the job: a canceled
    job is already marked, and an interrupted workflow is recovered by the next worker.
    """
    if isinstance(exc, DBOSMaxStepRetriesExceeded):
        return exc.errors[-1] if exc.errors else exc
    if isinstance(exc, DBOSException) or not isinstance(exc, Exception):
        return None
    return exc


def describe(exc: Exception) -> tuple[str, str]:
    """A stable error code and a human message for `exc`."""
    if isinstance(exc, LayersError):
        return exc.code, exc.message
    return "INTERNAL", f"{type(exc).__name__}: {exc}"


@contextmanager
def reported_failure(job_id: str) -> Iterator[None]:
    """Inside a workflow: an application error marks the job failed, then re-raises."""
    try:
        yield
    except BaseException as exc:
        cause = application_error(exc)
        if cause is not None:
            code, message = describe(cause)
            log.warning("job %s failed: %s", job_id, message)
            fail_job(job_id, code, message[:1000])
        raise
