"""The API template workflows are written with: `activity`, `heartbeat`, `log`, `RunContext`.

An activity is a DBOS step wrapped by the recorder: its input, output, every attempt, its
heartbeats and its error with the stack trace land in ``run_activities``; retries follow the
activity's `RetryPolicy` inside the one step, so DBOS sees one step whatever the attempts.

Invariants:

* The recorder's row is keyed by (run, DBOS step id). A step that DBOS re-executes after a
  crash finds its row: one more attempt, and `last_heartbeat_details()` returns what the
  interrupted attempt last recorded.
* A fast activity costs one write: its row is inserted whole when it ends, unless it
  heartbeats, fails or runs past `recorder.LAZY_SECONDS` first (then it is written at that
  moment, by a timer thread if need be).
* Outside a run (a unit test calling an activity directly) an activity is a plain call and
  `heartbeat`/`log` only reach the process log.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, ParamSpec, TypeVar

from dbos import DBOS
from dbos._context import get_local_dbos_context

from layers.engine import recorder
from layers.engine.jsonutil import bounded, to_json
from layers.kit.context import run_id_var
from layers.kit.errors import LayersError
from layers.kit.logging import redact

log_ = logging.getLogger("layers.run")

P = ParamSpec("P")
R = TypeVar("R")
LogLevel = Literal["debug", "info", "warning", "error"]
LOG_LEVELS: dict[str, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
MAX_TRACE_CHARS = 32_000


class NonRetryableError(Exception):
    """Raise from an activity when trying again cannot help."""


class RunCanceled(Exception):
    """Raised by `heartbeat` when the run was canceled: the activity should stop."""


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts of one activity, all inside its DBOS step.

    The delay before attempt n+1 is ``initial_interval * backoff**(n-1)``, at most
    ``max_interval``. 4xx `LayersError`s, `NonRetryableError` and ``non_retryable`` types fail
    at once.
    """

    max_attempts: int = 3
    initial_interval: float = 1.0
    backoff: float = 2.0
    max_interval: float = 30.0
    non_retryable: tuple[type[BaseException], ...] = ()

    def delay(self, attempt: int) -> float:
        return float(min(self.max_interval, self.initial_interval * self.backoff ** (attempt - 1)))

    def retryable(self, exc: BaseException) -> bool:
        if isinstance(exc, NonRetryableError | RunCanceled) or not isinstance(exc, Exception):
            return False
        if isinstance(exc, LayersError) and exc.status < 500:
            return False
        return not isinstance(exc, self.non_retryable)


NO_RETRY = RetryPolicy(max_attempts=1)
DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class RunContext:
    """What a template workflow is called with. Immutable for the life of the run (a retry
    sees the same parameters and config version)."""

    run_id: str
    command_id: str
    trigger: str
    workflow: str
    workflow_version: int
    parameters: dict[str, Any]
    config: dict[str, Any]
    config_version: int | None
    layer_id: str | None
    project_id: str | None
    org_id: str
    livemode: bool
    template_id: str | None
    retry_of: str | None = None
    parent_run_id: str | None = None
    scheduled_for: datetime | None = None

    def log(self, level: LogLevel, message: str) -> None:
        log(level, message)


@dataclass
class _RunState:
    context: RunContext
    mark: recorder.RunMark
    fresh: bool
    body_logs: dict[int, int] = field(default_factory=dict)


@dataclass
class _ActivityState:
    """One attempt of an activity. ``row`` is shared by the attempts; its ``written`` flag and
    ``finished`` are guarded by ``row_lock`` (the lazy-write timer runs on another thread)."""

    row: recorder.ActivityRow
    row_lock: threading.Lock
    mark: recorder.RunMark
    attempt: int
    previous_details: Any
    interval: float
    details: Any = None
    has_details: bool = False
    dirty: bool = False
    last_write: float | None = None
    finished: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def run_id(self) -> str:
        return self.row.run_id

    @property
    def activity_id(self) -> str:
        return self.row.activity_id

    @property
    def name(self) -> str:
        return self.row.name


_run_state: ContextVar[_RunState | None] = ContextVar("layers_run_state", default=None)
_activity_state: ContextVar[_ActivityState | None] = ContextVar("layers_activity", default=None)


@contextmanager
def running(context: RunContext, mark: recorder.RunMark) -> Iterator[None]:
    """Inside the generic workflow: make `context` the current run (logs, activities). A run
    that writes nothing for `recorder.LAZY_SECONDS` gets its running transition by timer."""
    token = _run_state.set(_RunState(context, mark, fresh=not mark.written))
    run_token = run_id_var.set(context.run_id)
    timer = None
    if not mark.written:
        timer = threading.Timer(recorder.LAZY_SECONDS, recorder.touch_run, (mark,))
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()
        run_id_var.reset(run_token)
        _run_state.reset(token)


def current_run() -> RunContext | None:
    state = _run_state.get()
    return state.context if state else None


def current_mark() -> recorder.RunMark | None:
    state = _run_state.get()
    return state.mark if state else None


# ---- activities ----


def activity(
    name: str | None = None,
    *,
    retry: RetryPolicy = DEFAULT_RETRY,
    heartbeat_interval: float = 1.0,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Make `fn` an activity: a recorded DBOS step named `name` with `retry` attempts."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        step_name = name or f"{fn.__module__}.{fn.__qualname__}"
        signature = inspect.signature(fn)

        def run_step(*args: Any, **kwargs: Any) -> Any:
            return _execute(step_name, fn, signature, retry, heartbeat_interval, args, kwargs)

        run_step.__name__ = fn.__name__
        run_step.__qualname__ = fn.__qualname__
        run_step.__module__ = fn.__module__
        step = DBOS.step(name=step_name)(run_step)

        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            if _run_state.get() is None or _activity_state.get() is not None:
                return fn(*args, **kwargs)  # outside a run, or nested in an activity
            result: R = step(*args, **kwargs)
            return result

        call.activity_name = step_name  # type: ignore[attr-defined]
        return call

    return decorate


def _recorded_input(signature: inspect.Signature, args: Any, kwargs: Any) -> Any:
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return bounded({"args": list(args), "kwargs": kwargs})
    return bounded(dict(bound.arguments))


def describe_error(exc: BaseException, *, with_trace: bool = True) -> dict[str, Any]:
    """The recorded form of an error: code, message, type, stack trace (secrets redacted)."""
    code = exc.code if isinstance(exc, LayersError) else "ACTIVITY_FAILED"
    message = exc.message if isinstance(exc, LayersError) else str(exc)
    error: dict[str, Any] = {
        "code": code,
        "message": redact(message or type(exc).__name__)[:2000],
        "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
    }
    if isinstance(exc, LayersError) and exc.details:
        error["details"] = to_json(exc.details)
    if with_trace:
        trace = "".join(traceback.format_exception(exc))
        error["stackTrace"] = redact(trace)[-MAX_TRACE_CHARS:]
    return error


def _execute(
    name: str,
    fn: Callable[..., Any],
    signature: inspect.Signature,
    retry: RetryPolicy,
    interval: float,
    args: Any,
    kwargs: Any,
) -> Any:
    state = _run_state.get()
    run_id = DBOS.workflow_id
    step_id = DBOS.step_id
    assert state is not None
    assert run_id is not None
    assert step_id is not None
    row = recorder.start_activity(
        run_id,
        step_id,
        name,
        _recorded_input(signature, args, kwargs),
        retry_of=state.context.retry_of,
        fresh=state.fresh,
        mark=state.mark,
    )
    row_lock = threading.Lock()
    attempt, details = row.attempt, row.details
    while True:
        activity_state = _ActivityState(row, row_lock, state.mark, attempt, details, interval)
        timer = None
        if not row.written:
            timer = threading.Timer(recorder.LAZY_SECONDS, _ensure_written, (activity_state,))
            timer.daemon = True
            timer.start()
        token = _activity_state.set(activity_state)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            if timer is not None:
                timer.cancel()
            _ensure_written(activity_state)
            _flush(activity_state)
            if activity_state.has_details:
                details = activity_state.details
            if isinstance(exc, RunCanceled):
                recorder.cancel_activity(row.activity_id)
                raise
            error = describe_error(exc)
            if retry.retryable(exc) and attempt < retry.max_attempts:
                delay = retry.delay(attempt)
                recorder.attempt_failed(row.activity_id, run_id, name, attempt, error, delay)
                time.sleep(delay)
                attempt = recorder.next_attempt(row.activity_id)
                continue
            recorder.fail_activity(row.activity_id, run_id, name, attempt, error)
            raise
        finally:
            _activity_state.reset(token)
        if timer is not None:
            timer.cancel()
        pending = to_json(activity_state.details) if activity_state.dirty else recorder.UNCHANGED
        with row_lock:
            activity_state.finished = True
            recorder.complete_activity(row, bounded(result), pending, state.mark)
            row.written = True
        return result


def _ensure_written(state: _ActivityState) -> None:
    """Give a running activity its row (first heartbeat, failure, or a slow activity)."""
    with state.row_lock:
        if state.row.written or state.finished:
            return
        recorder.insert_activity(state.row, state.mark)


# ---- heartbeats and logs ----


def heartbeat(details: Any = None) -> None:
    """Record progress of the current activity (JSON-able `details`) and that it is alive.

    Writes are throttled to one per the activity's ``heartbeat_interval``; the latest details
    are always written when the activity ends. Raises `RunCanceled` when the run was canceled.
    """
    state = _activity_state.get()
    if state is None:
        return
    with state.lock:
        state.details, state.has_details = details, True
        now = time.monotonic()
        if state.last_write is not None and now - state.last_write < state.interval:
            state.dirty = True
            return
        state.last_write, state.dirty = now, False
    _ensure_written(state)
    status = recorder.heartbeat(state.activity_id, state.run_id, to_json(details))
    if status == "canceled":
        raise RunCanceled(f"run {state.run_id} was canceled")


def _flush(state: _ActivityState) -> None:
    if state.dirty:
        recorder.heartbeat(state.activity_id, state.run_id, to_json(state.details))
        state.dirty = False


def last_heartbeat_details() -> Any:
    """Inside an activity: the details of the last heartbeat recorded before this attempt
    (an attempt interrupted by a crash, or the previous failed attempt); None on a first try."""
    state = _activity_state.get()
    return None if state is None else state.previous_details


def attempt() -> int:
    """Inside an activity: which attempt this is (1 on a first try)."""
    state = _activity_state.get()
    return 1 if state is None else state.attempt


def log(level: LogLevel, message: str) -> None:
    """Append a line to the current run's logs (streamed live) and to the process log."""
    if level not in LOG_LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LOG_LEVELS)}")
    log_.log(LOG_LEVELS[level], "%s", message)
    run = _run_state.get()
    if run is None:
        return
    activity_state = _activity_state.get()
    if activity_state is not None:
        recorder.append_log(
            run.context.run_id,
            level,
            message,
            activity_id=activity_state.activity_id,
            activity_name=activity_state.name,
            mark=run.mark,
        )
        return
    # From the workflow body, which is replayed after a crash: key the line by the DBOS step
    # it follows and its rank since, so a replay writes nothing twice.
    ctx = get_local_dbos_context()
    after_step = ctx.function_id if ctx is not None else 0
    rank = run.body_logs.get(after_step, 0) + 1
    run.body_logs[after_step] = rank
    recorder.append_log(
        run.context.run_id, level, message, dedupe_key=f"body:{after_step}:{rank}", mark=run.mark
    )
