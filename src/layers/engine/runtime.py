"""The durable-execution runtime: DBOS inside this process.

* The DBOS system tables live in the application database (the same SQLite file; schema
  ``dbos`` on PostgreSQL). That lets `enqueue` put a workflow on a queue *in the caller's
  transaction*: a workflow exists if and only if the rows that asked for it were committed.
* API-only processes never launch DBOS; they only enqueue. Worker processes (and
  ``layers up``) launch it and listen on the queues. A worker's executor id is stable, so a
  restarted worker recovers its own unfinished workflows.
* ``application_version`` is pinned: recovery must not depend on a hash of the source.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from dbos import DBOS, DBOSClient
from sqlalchemy.orm import Session

from layers.kit.db import make_system_engine, normalize_url
from layers.kit.settings import Settings

log = logging.getLogger("layers.engine")

APP_NAME = "layers"
APP_VERSION = "layers-1"
DEFAULT_QUEUE = "layers"

_lock = threading.Lock()
_client: DBOSClient | None = None
_launched = False
_on_launch: list[Callable[[], None]] = []


def _system_engine(settings: Settings) -> Any:
    return make_system_engine(settings.resolved_database_url)


def migrate_system_database(settings: Settings) -> None:
    """Create or upgrade DBOS's own tables (idempotent)."""
    DBOS.migrate(normalize_url(settings.resolved_database_url))


def import_workflows() -> None:
    """Import every module that declares workflows: DBOS must know them before launch, and
    the catalog's activities (DBOS steps) with them."""
    from layers import workflows_registry
    from layers.catalog import registry

    workflows_registry.import_all()
    registry.ensure_loaded()


def on_launch(callback: Callable[[], None]) -> None:
    """Run `callback` after DBOS launches in this process (queues, schedules)."""
    _on_launch.append(callback)
    if _launched:
        callback()


def launch(settings: Settings) -> None:
    """Start DBOS in this process: recover our unfinished workflows and listen on queues."""
    global _launched
    with _lock:
        if _launched:
            return
        import_workflows()
        DBOS(
            config={
                "name": APP_NAME,
                "system_database_url": normalize_url(settings.resolved_database_url),
                "system_database_engine": _system_engine(settings),
                "application_version": APP_VERSION,
                "executor_id": settings.executor_id,
                "log_level": "WARNING",
                "max_executor_threads": max(64, settings.worker_concurrency * 4),
                "scheduler_polling_interval_sec": 5.0,
                "notification_listener_polling_interval_sec": 0.1,
            }
        )
        DBOS.launch()
        DBOS.register_queue(
            DEFAULT_QUEUE,
            worker_concurrency=settings.worker_concurrency,
            polling_interval_sec=settings.queue_polling_interval,
            on_conflict="always_update",
        )
        from layers.engine import schedules

        schedules.apply()
        _launched = True
        callbacks = list(_on_launch)
    for callback in callbacks:
        callback()
    log.info("durable runtime launched (executor %s)", settings.executor_id)


def is_launched() -> bool:
    return _launched


def shutdown(grace_seconds: int = 5) -> None:
    """Stop DBOS, letting running workflows finish for up to `grace_seconds`."""
    global _launched, _client
    with _lock:
        if _launched:
            DBOS.destroy(workflow_completion_timeout_sec=grace_seconds)
            _launched = False
        if _client is not None:
            _client.destroy()
            _client = None


def client(settings: Settings) -> DBOSClient:
    global _client
    with _lock:
        if _client is None:
            _client = DBOSClient(
                system_database_engine=_system_engine(settings), application_name=APP_NAME
            )
        return _client


def enqueue(
    session: Session,
    settings: Settings,
    workflow_name: str,
    *args: Any,
    workflow_id: str,
    queue: str = DEFAULT_QUEUE,
) -> None:
    """Enqueue `workflow_name(*args)` inside `session`'s transaction (atomic with it)."""
    client(settings).enqueue_in_transaction(
        session.connection(),
        {
            "workflow_name": workflow_name,
            "queue_name": queue,
            "workflow_id": workflow_id,
            "app_version": APP_VERSION,
        },
        *args,
    )


def cancel(settings: Settings, workflow_id: str) -> None:
    client(settings).cancel_workflow(workflow_id)
