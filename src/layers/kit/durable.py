"""The durable-execution runtime: DBOS inside this process. It knows no domain.

* The DBOS system tables live in the application database (the same SQLite file; schema
  ``dbos`` on PostgreSQL). That lets `enqueue` put a workflow on a queue *in the caller's
  transaction*: a workflow exists if and only if the rows that asked for it were committed.
* API-only processes never launch DBOS; they only enqueue. Worker processes (and
  ``layers up``) launch it and listen on the queues. A worker's executor id is stable, so a
  restarted worker recovers its own unfinished workflows.
* ``application_version`` is pinned: recovery must not depend on a hash of the source.
* What runs where is data handed to `launch` by the composition root (`layers.wiring`): the
  queues of each work class and the crons each domain declares next to its code. Workflows
  register themselves with DBOS when their module is imported; the root imports them all
  before launching, because recovery can only resume a workflow whose function is known.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dbos import DBOS, DBOSClient
from sqlalchemy.orm import Session

from layers.kit.db import make_system_engine, normalize_url
from layers.kit.settings import Settings

log = logging.getLogger("layers.durable")

APP_NAME = "layers"
APP_VERSION = "layers-1"


@dataclass(frozen=True)
class WorkQueue:
    """A DBOS queue of one work class.

    ``concurrency`` is per worker process. ``partition_concurrency`` (when set) makes the
    queue partitioned: each partition key (an organization, for generations) gets at most
    that many at once across every worker, on top of the queue's own per-process limit.
    """

    name: str
    concurrency: Callable[[Settings], int]
    partition_concurrency: Callable[[Settings], int] | None = None


# The work classes: each kind of work has a queue of its own, so that one kind never waits
# behind another (a post due at 10:00 does not queue behind forty video renders).
INTERACTIVE = WorkQueue("interactive", lambda s: s.worker_concurrency)
"""Layer commands, keyword research, retries: short, mostly database work."""
PUBLISHING = WorkQueue("publishing", lambda s: s.publish_concurrency)
"""One workflow per post: a platform call is I/O, so this is sized for I/O, not cores."""
RENDERING = WorkQueue(
    "rendering",
    lambda s: s.resolved_render_concurrency,
    partition_concurrency=lambda s: s.resolved_generation_concurrency_per_org,
)
"""Content generation and avatars (ffmpeg, Pillow): CPU-bound, sized to the machine's cores,
partitioned by organization so that one tenant's burst cannot take every render slot."""
DELIVERY = WorkQueue(
    "delivery", lambda s: s.delivery_concurrency, partition_concurrency=lambda _s: 1
)
"""Webhook deliveries: HTTP calls (I/O). Partitioned by endpoint and subject, one at a time
per partition across every worker, so one subject's events reach an endpoint in order."""
WORK_CLASSES = (INTERACTIVE, PUBLISHING, RENDERING, DELIVERY)


@dataclass(frozen=True)
class Cron:
    """A process-wide schedule: DBOS starts `workflow` on `schedule` (UTC cron)."""

    name: str
    workflow: Callable[..., Any]
    schedule: Callable[[Settings], str]


def every_seconds(seconds: int) -> str:
    """A DBOS schedule firing every `seconds` (a divisor of 60), at whole multiples of it.

    DBOS reads a six-field schedule with the seconds first; ``* * * * *`` is once a minute.
    """
    if seconds <= 0 or 60 % seconds:
        raise ValueError(f"{seconds} does not divide a minute")
    return "* * * * *" if seconds == 60 else f"*/{seconds} * * * * *"


@dataclass
class _Runtime:
    lock: threading.Lock = field(default_factory=threading.Lock)
    client: DBOSClient | None = None
    launched: bool = False
    on_launch: list[Callable[[], None]] = field(default_factory=list)
    cron_names: tuple[str, ...] = ()


_runtime = _Runtime()


def _system_engine(settings: Settings) -> Any:
    return make_system_engine(settings.resolved_database_url)


def migrate_system_database(settings: Settings) -> None:
    """Create or upgrade DBOS's own tables (idempotent)."""
    DBOS.migrate(normalize_url(settings.resolved_database_url))


def on_launch(callback: Callable[[], None]) -> None:
    """Run `callback` after DBOS launches in this process (or now, if it has)."""
    _runtime.on_launch.append(callback)
    if _runtime.launched:
        callback()


def launch(settings: Settings, *, queues: Sequence[WorkQueue], crons: Sequence[Cron]) -> None:
    """Start DBOS in this process: recover our unfinished workflows, listen on `queues`, and
    (re)apply `crons` as the process-wide schedules."""
    with _runtime.lock:
        if _runtime.launched:
            return
        threads = sum(queue.concurrency(settings) for queue in queues)
        DBOS(
            config={
                "name": APP_NAME,
                "system_database_url": normalize_url(settings.resolved_database_url),
                "system_database_engine": _system_engine(settings),
                "application_version": APP_VERSION,
                "executor_id": settings.executor_id,
                "log_level": "WARNING",
                "max_executor_threads": max(64, threads * 2),
                "scheduler_polling_interval_sec": 5.0,
                "notification_listener_polling_interval_sec": 0.1,
            }
        )
        DBOS.launch()
        for queue in queues:
            _register_queue(settings, queue)
        DBOS.apply_schedules(
            [
                {
                    "schedule_name": cron.name,
                    "workflow_fn": cron.workflow,
                    "schedule": cron.schedule(settings),
                }
                for cron in crons
            ]
        )
        _runtime.launched = True
        _runtime.cron_names = tuple(cron.name for cron in crons)
        callbacks = list(_runtime.on_launch)
    for callback in callbacks:
        callback()
    log.info("durable runtime launched (executor %s)", settings.executor_id)


def _register_queue(settings: Settings, queue: WorkQueue) -> None:
    options: dict[str, Any] = {}
    if queue.partition_concurrency is not None:
        options["partition_concurrency"] = queue.partition_concurrency(settings)
    DBOS.register_queue(
        queue.name,
        worker_concurrency=queue.concurrency(settings),
        polling_interval_sec=settings.queue_polling_interval,
        on_conflict="always_update",
        **options,
    )


def is_launched() -> bool:
    return _runtime.launched


def shutdown(grace_seconds: int = 5) -> None:
    """Stop DBOS, letting running workflows finish for up to `grace_seconds`."""
    with _runtime.lock:
        if _runtime.launched:
            DBOS.destroy(workflow_completion_timeout_sec=grace_seconds)
            _runtime.launched = False
        if _runtime.client is not None:
            _runtime.client.destroy()
            _runtime.client = None


def client(settings: Settings) -> DBOSClient:
    with _runtime.lock:
        if _runtime.client is None:
            _runtime.client = DBOSClient(
                system_database_engine=_system_engine(settings), application_name=APP_NAME
            )
        return _runtime.client


def enqueue(
    session: Session,
    settings: Settings,
    workflow_name: str,
    *args: Any,
    workflow_id: str,
    queue: str,
    partition_key: str | None = None,
    delay_seconds: float | None = None,
) -> None:
    """Enqueue `workflow_name(*args)` on `queue` inside `session`'s transaction (atomic with
    it). A partitioned queue needs the `partition_key` its per-key limit counts by. With
    `delay_seconds` the workflow waits (DBOS ``DELAYED``, a durable timer that holds no queue
    slot and no thread) before it becomes runnable."""
    options: dict[str, Any] = {
        "workflow_name": workflow_name,
        "queue_name": queue,
        "workflow_id": workflow_id,
        "app_version": APP_VERSION,
    }
    if partition_key is not None:
        options["queue_partition_key"] = partition_key
    if delay_seconds:
        options["delay_seconds"] = delay_seconds
    client(settings).enqueue_in_transaction(session.connection(), options, *args)  # type: ignore[arg-type]


def prune_cron_history(
    settings: Settings,
    *,
    older_than: timedelta,
    names: Sequence[str] | None = None,
    batch: int = 1000,
) -> int:
    """Delete the finished runs of this process's crons (or of the schedules `names`) started
    more than `older_than` ago.

    A cron's runs are a heartbeat nobody reads back (the dispatch tick alone fires every few
    seconds: thousands of DBOS rows a day); what they did is recorded in the domains' own
    tables. Failed runs are kept for a person to look at. Returns how many were deleted.
    """
    schedules = list(_runtime.cron_names if names is None else names)
    if not schedules:
        return 0
    cutoff = (datetime.now(UTC) - older_than).isoformat()
    dbos = client(settings)
    deleted = 0
    while True:
        finished = dbos.list_workflows(
            schedule_name=schedules,
            status="SUCCESS",
            end_time=cutoff,
            limit=batch,
            load_input=False,
            load_output=False,
        )
        if not finished:
            return deleted
        dbos.delete_workflows([workflow.workflow_id for workflow in finished])
        deleted += len(finished)
        if len(finished) < batch:
            return deleted


def cancel(settings: Settings, workflow_id: str) -> None:
    client(settings).cancel_workflow(workflow_id)
