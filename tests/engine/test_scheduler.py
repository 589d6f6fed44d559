from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.engine import scheduler
from layers.kit.clock import ManualClock
from layers.kit.db import get_database
from layers.kit.ids import deterministic_id
from layers.models.engine import LayerSchedule, Run
from tests.engine import plugin
from tests.engine.helpers import install, new_project, wait_for_run
from tests.support import Tenant, manual_time

START = datetime(2031, 3, 10, 2, 58, 30, tzinfo=UTC)


@pytest.fixture
def manual() -> Iterator[ManualClock]:
    """A clock far from the wall clock, with this process's background ticks held."""
    with manual_time(START) as manual_clock:
        yield manual_clock


def at(hour: int, minute: int, day: int = 10) -> datetime:
    return datetime(2031, 3, day, hour, minute, tzinfo=UTC)


def scheduled_runs(layer_id: str, command_id: str) -> list[Run]:
    with get_database().transaction(write=False) as session:
        return list(
            session.scalars(
                sa.select(Run)
                .where(Run.layer_id == layer_id, Run.command_id == command_id)
                .order_by(Run.scheduled_for)
            )
        )


def tick_at(manual: ManualClock, moment: datetime) -> scheduler.TickResult:
    manual.set(moment)
    return scheduler.tick(moment)


def test_a_due_command_starts_once_with_a_deterministic_id(
    client: TestClient, tenant: Tenant, manual: ManualClock
) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    assert layer["commands"]["nightly"]["nextRunAt"] == "2031-03-10T03:00:00.000Z"
    tick_at(manual, at(2, 59))  # (other tests' layers may be due: the tick is global)
    assert scheduled_runs(layer["id"], "nightly") == []
    first = tick_at(manual, at(3, 0))
    expected = deterministic_id("run", at(3, 0), layer["id"], "nightly")
    assert expected in first.started
    assert expected not in tick_at(manual, at(3, 0)).started
    run = wait_for_run(client, headers, expected)
    assert run["trigger"] == "schedule" and run["scheduledFor"] == "2031-03-10T03:00:00.000Z"
    assert run["status"] == "completed"
    after = client.get(f"/v1/layers/{layer['id']}", headers=headers).json()["commands"]["nightly"]
    assert after["nextRunAt"] == "2031-03-11T03:00:00.000Z"
    assert after["lastRunId"] == expected and after["lastRunAt"] == "2031-03-10T03:00:00.000Z"
    assert [r.id for r in scheduled_runs(layer["id"], "nightly")] == [expected]


def test_a_probe_that_finds_nothing_leaves_no_run(
    client: TestClient, tenant: Tenant, manual: ManualClock
) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    for minute in range(0, 5):
        tick_at(manual, at(3, minute))
    assert scheduled_runs(layer["id"], "every-minute") == []
    nxt = client.get(f"/v1/layers/{layer['id']}", headers=headers).json()
    assert nxt["commands"]["every-minute"]["nextRunAt"] == "2031-03-10T03:05:00.000Z"
    assert nxt["commands"]["every-minute"]["lastRunId"] is None, "no run, no last run"
    client.patch(f"/v1/layers/{layer['id']}", json={"config": {"work": True}}, headers=headers)
    for minute in range(5, 9):
        # The tick is global: it may start other tests' runs, which this tenant cannot read.
        mine = deterministic_id("run", at(3, minute), layer["id"], "every-minute")
        assert mine in tick_at(manual, at(3, minute)).started
        wait_for_run(client, headers, mine)
    runs = scheduled_runs(layer["id"], "every-minute")
    assert [r.scheduled_for for r in runs] == [at(3, m) for m in range(5, 9)]
    assert [r.id for r in runs] == [
        deterministic_id("run", at(3, m), layer["id"], "every-minute") for m in range(5, 9)
    ]
    shown = client.get(f"/v1/layers/{layer['id']}", headers=headers).json()
    assert shown["commands"]["every-minute"]["lastRunId"] == runs[-1].id
    assert shown["commands"]["every-minute"]["lastRunAt"] == "2031-03-10T03:08:00.000Z"


def test_a_cron_override_moves_the_next_run(
    client: TestClient, tenant: Tenant, manual: ManualClock
) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    url = f"/v1/layers/{layer['id']}"
    moved = client.patch(
        url, json={"config": {"schedule": {"cron": "37 9 * * *"}}}, headers=headers
    )
    nightly = moved.json()["commands"]["nightly"]
    assert nightly["cron"] == "37 9 * * *"
    assert nightly["nextRunAt"] == "2031-03-10T09:37:00.000Z"
    # Only the command that accepts the override moved.
    assert moved.json()["commands"]["every-minute"]["cron"] == "* * * * *"
    tick_at(manual, at(3, 0))
    assert scheduled_runs(layer["id"], "nightly") == []
    tick_at(manual, at(9, 37))
    runs = scheduled_runs(layer["id"], "nightly")
    assert [r.scheduled_for for r in runs] == [at(9, 37)]
    back = client.patch(url, json={"config": {"schedule": None}}, headers=headers).json()
    assert back["commands"]["nightly"]["cron"] == "0 3 * * *"
    assert back["commands"]["nightly"]["nextRunAt"] == "2031-03-11T03:00:00.000Z"
    invalid = client.patch(
        url, json={"config": {"schedule": {"cron": "37 25 * * *"}}}, headers=headers
    )
    assert invalid.status_code == 422
    assert invalid.json()["error"]["details"]["fields"][0]["field"] == "config.schedule.cron"


def test_paused_uninstalled_and_archived_layers_are_skipped(
    client: TestClient, tenant: Tenant, manual: ManualClock
) -> None:
    headers = tenant.headers(test=True)
    paused = install(client, headers, new_project(client, headers), {"work": True})
    gone = install(client, headers, new_project(client, headers), {"work": True})
    archived_project = new_project(client, headers)
    archived = install(client, headers, archived_project, {"work": True})
    client.post(f"/v1/layers/{paused['id']}/pause", headers=headers)
    client.delete(f"/v1/layers/{gone['id']}", headers=headers)
    client.delete(f"/v1/projects/{archived_project}", headers=headers)
    tick_at(manual, at(3, 0))
    for layer in (paused, gone, archived):
        assert scheduled_runs(layer["id"], "nightly") == []
        assert scheduled_runs(layer["id"], "every-minute") == []
    # Resuming schedules from the resume time, not from what was missed.
    manual.set(at(5, 30))
    resumed = client.post(f"/v1/layers/{paused['id']}/resume", headers=headers).json()
    assert resumed["commands"]["nightly"]["nextRunAt"] == "2031-03-11T03:00:00.000Z"
    assert resumed["commands"]["every-minute"]["nextRunAt"] == "2031-03-10T05:31:00.000Z"


def test_a_scheduled_command_never_overlaps_itself(
    client: TestClient, tenant: Tenant, manual: ManualClock
) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers), {"work": True})
    marker = f"every-minute:{layer['id']}"
    gate = plugin.BLOCKED[marker] = threading.Event()
    try:
        tick_at(manual, at(3, 0))  # the 02:59 occurrence is due (installed at 02:58:30)
        (first,) = scheduled_runs(layer["id"], "every-minute")
        run_id = first.id
        wait_for_run(client, headers, run_id, ("running",))
        tick_at(manual, at(3, 1))  # the 03:00 run is still going
        assert len(scheduled_runs(layer["id"], "every-minute")) == 1
    finally:
        gate.set()
        plugin.BLOCKED.pop(marker, None)
    wait_for_run(client, headers, run_id)
    tick_at(manual, at(3, 2))
    runs = scheduled_runs(layer["id"], "every-minute")
    assert [r.scheduled_for for r in runs] == [at(2, 59), at(3, 2)]


def test_concurrent_ticks_start_each_due_command_once(
    client: TestClient, tenant: Tenant, manual: ManualClock
) -> None:
    headers = tenant.headers(test=True)
    layers = [install(client, headers, new_project(client, headers)) for _ in range(3)]
    moment = at(3, 0)
    manual.set(moment)
    results: list[scheduler.TickResult] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(scheduler.tick(moment))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    expected = {deterministic_id("run", moment, layer["id"], "nightly") for layer in layers}
    for layer in layers:
        assert len(scheduled_runs(layer["id"], "nightly")) == 1
    started = [run_id for result in results for run_id in result.started]
    # Each of our runs was started by exactly one of the four ticks.
    assert sorted(r for r in started if r in expected) == sorted(expected)


def test_due_rows_are_found_through_the_index() -> None:
    db = get_database()
    if db.dialect != "sqlite":
        pytest.skip("the plan is checked on SQLite; PostgreSQL plans by table size")
    with db.engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id, next_run_at FROM layer_schedules "
            "WHERE next_run_at <= '2031-01-01' ORDER BY next_run_at LIMIT 10"
        ).all()
    assert any("ix_layer_schedules_next_run_at" in str(row) for row in plan), plan


def test_tick_skips_a_row_another_tick_already_claimed(
    client: TestClient, tenant: Tenant, manual: ManualClock
) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    with get_database().transaction() as session:
        row = session.scalar(
            sa.select(LayerSchedule).where(
                LayerSchedule.layer_id == layer["id"], LayerSchedule.command_id == "nightly"
            )
        )
        assert row is not None
        due_at: Any = row.next_run_at
        schedule_id = row.id
    # A competing tick moved next_run_at between our read and our claim.
    with get_database().transaction() as session:
        session.execute(
            sa.update(LayerSchedule)
            .where(LayerSchedule.id == schedule_id)
            .values(next_run_at=due_at + timedelta(days=1))
        )
    result = scheduler.TickResult()
    scheduler._fire(schedule_id, due_at, due_at, result)
    assert result.started == [] and scheduled_runs(layer["id"], "nightly") == []
