"""Live logs of a run as Server-Sent Events.

The stream polls the database (so a run executing in any worker process is followed), sends
each new log line once, and ends when the run is terminal and every line has been sent.

Events:

* ``log`` (``id:`` the line id, so ``Last-Event-ID`` resumes after it): a `LogOut`;
* ``run``: the run's status and times, whenever they change (first thing sent);
* ``activity``: an activity whose status, attempts or heartbeat changed (the console's
  heartbeat indicator);
* ``end``: ``{"status": …}``, the last event; ``timeout`` instead when the stream has been open
  for `MAX_STREAM_SECONDS` (reconnect with ``Last-Event-ID``).

A comment line (``: ping``) goes out every 15 s so that proxies keep the connection open.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from layers.engine.runs import outputs, repository
from layers.kit.clock import isoformat_z
from layers.kit.db import get_database
from layers.models.engine import RUN_TERMINAL, Run

MAX_STREAM_SECONDS = 15 * 60
PING_SECONDS = 15.0
BATCH = 500


@dataclass
class _Snapshot:
    run: dict[str, Any]
    terminal: bool
    logs: list[dict[str, Any]]
    activities: list[dict[str, Any]]


def _poll(run_id: str, after: int) -> _Snapshot:
    with get_database().transaction(write=False) as session:
        run = session.get(Run, run_id)
        assert run is not None
        # Status before lines: a terminal status is committed with (or after) the last line.
        state = {
            "id": run.id,
            "status": run.status,
            "startedAt": isoformat_z(run.started_at) if run.started_at else None,
            "finishedAt": isoformat_z(run.finished_at) if run.finished_at else None,
            "error": run.error,
        }
        terminal = run.status in RUN_TERMINAL
        lines = repository.log_lines(session, run_id, after, BATCH)
        steps = repository.activities(session, run_id)
        activities = [
            outputs.activity_out(a, i).model_dump(mode="json", by_alias=True)
            for i, a in enumerate(steps, start=1)
        ]
        return _Snapshot(
            run=state,
            terminal=terminal and len(lines) < BATCH,
            logs=[outputs.log_out(line).model_dump(mode="json", by_alias=True) for line in lines],
            activities=activities,
        )


def _event(event: str, data: Any, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def _activity_key(activity: dict[str, Any]) -> tuple[Any, ...]:
    return (
        activity["status"],
        activity["attempts"],
        activity["lastHeartbeatAt"],
        activity["finishedAt"],
    )


async def events(
    request: Request, run_id: str, after: int, poll_interval: float
) -> AsyncIterator[bytes]:
    last_id = after
    last_run: dict[str, Any] | None = None
    seen: dict[str, tuple[Any, ...]] = {}
    opened = last_ping = time.monotonic()
    yield b"retry: 2000\n\n"
    while True:
        if await request.is_disconnected():
            return
        snapshot = await run_in_threadpool(_poll, run_id, last_id)
        if snapshot.run != last_run:
            last_run = snapshot.run
            yield _event("run", snapshot.run)
        for activity in snapshot.activities:
            key = _activity_key(activity)
            if seen.get(activity["id"]) != key:
                seen[activity["id"]] = key
                yield _event("activity", activity)
        for line in snapshot.logs:
            last_id = line["id"]
            yield _event("log", line, line["id"])
        if snapshot.terminal:
            yield _event("end", {"status": snapshot.run["status"]})
            return
        now = time.monotonic()
        if now - opened > MAX_STREAM_SECONDS:
            yield _event("timeout", {"lastEventId": last_id})
            return
        if now - last_ping > PING_SECONDS:
            last_ping = now
            yield b": ping\n\n"
        if len(snapshot.logs) < BATCH:
            await asyncio.sleep(poll_interval)
