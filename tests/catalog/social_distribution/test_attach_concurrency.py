"""attach-to-schedule under contention: distinct slots, then a clean CONFLICT; never one slot
twice (runs on SQLite and PostgreSQL like every test)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from layers.catalog.social_distribution import attaching
from layers.kit.db import get_database
from layers.kit.errors import Conflict
from tests.catalog.social_distribution.helpers import (
    account,
    completed_container,
    install_layer,
    project,
    slots,
)
from tests.engine.helpers import execute, wait_for_run
from tests.support import Tenant

CALLS = 50


def _layer_with_empty_slots(client: TestClient, tenant: Tenant, days: int) -> dict[str, object]:
    project_id = project(client, tenant)
    times = ["08:00", "11:00", "14:00", "17:00", "20:00"]
    layer = install_layer(
        client,
        tenant,
        project_id,
        account(project_id),
        distributionMode="custom",
        schedule={"times": times},
    )
    run = execute(
        client,
        tenant.headers(test=True),
        str(layer["id"]),
        "refresh-schedule",
        {"horizonDays": days},
    )
    assert wait_for_run(client, tenant.headers(test=True), run["runId"])["status"] == "completed"
    return layer


def test_fifty_concurrent_attaches_take_distinct_slots_then_conflict(
    client: TestClient, tenant: Tenant
) -> None:
    layer = _layer_with_empty_slots(client, tenant, days=9)  # 45 empty slots
    layer_id = str(layer["id"])
    empty = [s.id for s in slots(layer_id) if s.container_id is None]
    assert len(empty) == 45
    containers = [completed_container(str(layer["projectId"])) for _ in range(CALLS)]
    start = threading.Barrier(CALLS)

    def attach(container_id: str) -> str:
        start.wait(timeout=30)
        try:
            with get_database().transaction() as session:
                return str(attaching.attach(session, layer_id, container_id)["scheduledPostId"])
        except Conflict:
            return "CONFLICT"

    with ThreadPoolExecutor(max_workers=CALLS) as pool:
        outcomes = list(pool.map(attach, containers))

    won = [o for o in outcomes if o != "CONFLICT"]
    assert len(won) == 45 and len(set(won)) == 45  # never one slot twice
    assert sorted(won) == sorted(empty)
    assert Counter(outcomes)["CONFLICT"] == CALLS - 45
    rows = slots(layer_id)
    held = [r.container_id for r in rows if r.container_id]
    assert len(held) == len(set(held)) == 45


def test_fifty_concurrent_executes_over_http(client: TestClient, tenant: Tenant) -> None:
    layer = _layer_with_empty_slots(client, tenant, days=10)  # 50 empty slots
    layer_id = str(layer["id"])
    containers = [completed_container(str(layer["projectId"])) for _ in range(CALLS + 3)]
    start = threading.Barrier(CALLS + 3)
    headers = tenant.headers(test=True)

    def call(container_id: str) -> str:
        start.wait(timeout=30)
        accepted = execute(
            client, headers, layer_id, "attach-to-schedule", {"containerId": container_id}
        )
        return str(accepted["runId"])

    with ThreadPoolExecutor(max_workers=CALLS + 3) as pool:
        run_ids = list(pool.map(call, containers))

    runs = [wait_for_run(client, headers, run_id, timeout=120) for run_id in run_ids]
    completed = [r for r in runs if r["status"] == "completed"]
    failed = [r for r in runs if r["status"] == "failed"]
    assert len(completed) == CALLS and len(failed) == 3
    assert {r["error"]["code"] for r in failed} == {"CONFLICT"}
    taken = [r["output"]["scheduledPostId"] for r in completed]
    assert len(set(taken)) == CALLS
    assert all(s.container_id for s in slots(layer_id))
