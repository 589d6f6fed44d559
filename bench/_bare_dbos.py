"""The baseline: a bare DBOS workflow of three trivial steps, enqueued on a queue with the same
concurrency as Layers' and run in one process on a fresh database of the same kind.

    python _bare_dbos.py <database-url> <runs> <client-threads> <worker-concurrency>

Prints the completed workflows per second.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import sqlalchemy as sa
from dbos import DBOS
from sqlalchemy import event


@DBOS.step()
def fetch(size: int) -> list[int]:
    return list(range(size))


@DBOS.step()
def score(items: list[int]) -> int:
    return sum(item * item for item in items)


@DBOS.step()
def store(total: int) -> dict[str, int]:
    return {"total": total}


@DBOS.workflow()
def three(size: int) -> dict[str, int]:
    return store(score(fetch(size)))


def engine_for(url: str) -> sa.Engine:
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_size=10, max_overflow=20)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:  # the same settings Layers uses
        dbapi_conn.isolation_level = "IMMEDIATE"
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "synchronous=NORMAL"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    return engine


def main() -> None:
    url, runs, threads, concurrency = sys.argv[1], *map(int, sys.argv[2:5])
    DBOS(
        config={
            "name": "bare-bench",
            "system_database_url": url,
            "system_database_engine": engine_for(url),
            "application_version": "bench-1",
            "log_level": "WARNING",
            "max_executor_threads": max(64, concurrency * 4),
        }
    )
    DBOS.launch()
    queue = DBOS.register_queue("bench", worker_concurrency=concurrency, polling_interval_sec=0.2)
    queue.enqueue(three, 8).get_result()  # warm up
    handles: list[Any] = []
    lock = threading.Lock()

    def client(count: int) -> None:
        for _ in range(count):
            handle = queue.enqueue(three, 8)
            with lock:
                handles.append(handle)

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(runs // threads,)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for handle in handles:
        handle.get_result()
    elapsed = time.perf_counter() - started
    print(f"{len(handles) / elapsed:.2f}")
    DBOS.destroy()


if __name__ == "__main__":
    main()
