"""The engine across real processes: a worker killed mid-activity, and two workers."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from layers.kit.db import normalize_url
from tests.support import (
    free_port,
    layers_command,
    start_server,
    start_worker,
    wait_for,
)

pytestmark = pytest.mark.slow

WORKERS = ("worker-a", "worker-b")


def _env(tmp_path: Path, url: str, **extra: str) -> dict[str, str]:
    return {
        "LAYERS_DATA_DIR": str(tmp_path / "data"),
        "LAYERS_DATABASE_URL": url,
        "LAYERS_EXECUTOR_ID": "worker-a",
        "LAYERS_EXTRA_TEMPLATES": "tests.engine.plugin",
        **extra,
    }


def _install(base: str, headers: dict[str, str], config: dict[str, Any]) -> dict[str, Any]:
    project = httpx.post(
        f"{base}/v1/projects", json={"name": "Process test", "timezone": "UTC"}, headers=headers
    ).json()
    layer = httpx.post(
        f"{base}/v1/projects/{project['id']}/layers",
        json={"templateId": "test-pipeline", "config": config},
        headers=headers,
    ).json()

    def active() -> dict[str, Any] | None:
        body: dict[str, Any] = httpx.get(f"{base}/v1/layers/{layer['id']}", headers=headers).json()
        return body if body["status"] == "active" else None

    return wait_for(active, timeout=60)


def test_kill_9_mid_activity_then_restart_resumes_from_the_last_heartbeat(
    tmp_path: Path, isolated_database_url: str
) -> None:
    port = free_port()
    env = _env(tmp_path, isolated_database_url)
    command = layers_command("up", "--port", str(port))
    effects = tmp_path / "effects.txt"
    first = start_server(command, env, port)
    try:
        _live, test = first.keys()
        headers = {"Authorization": f"Bearer {test}"}
        layer = _install(first.base_url, headers, {})
        accepted = httpx.post(
            f"{first.base_url}/api/project-layers/{layer['id']}/execute",
            json={
                "commandId": "crunch",
                "parameters": {"items": 30, "delay": 0.15, "effectsFile": str(effects)},
            },
            headers=headers,
        ).json()
        run_url = f"{first.base_url}/v1/runs/{accepted['runId']}"

        def mid_activity() -> bool:
            run = httpx.get(run_url, headers=headers).json()
            beat = run["activities"][0]["heartbeatDetails"] if run["activities"] else None
            return bool(beat) and 4 <= beat["done"] < 20

        wait_for(mid_activity, timeout=60, every=0.05)
    finally:
        first.kill()  # SIGKILL: no shutdown code runs

    engine = sa.create_engine(normalize_url(isolated_database_url))
    with engine.connect() as conn:
        status, details = conn.execute(
            sa.text(
                "SELECT a.status, a.heartbeat_details FROM run_activities a WHERE a.run_id = :r"
            ),
            {"r": accepted["runId"]},
        ).one()
    engine.dispose()
    if isinstance(details, str):
        import json

        details = json.loads(details)
    assert status == "running" and details["done"] >= 4

    second = start_server(command, env, port)
    try:
        run_url = f"{second.base_url}/v1/runs/{accepted['runId']}"

        def finished() -> dict[str, Any] | None:
            run: dict[str, Any] = httpx.get(run_url, headers=headers).json()
            return run if run["status"] in ("completed", "failed") else None

        run = wait_for(finished, timeout=90)
        logs = httpx.get(f"{run_url}/logs", params={"limit": 1000}, headers=headers).json()
    finally:
        second.kill()
    assert run["status"] == "completed", run
    (activity,) = run["activities"]
    assert activity["attempts"] == 2
    assert [h["outcome"] for h in activity["attemptHistory"]] == ["interrupted", "completed"]
    # The re-executed activity received the last heartbeat recorded before the kill.
    assert run["output"] == {"resumedFrom": details, "attempt": 2, "done": 30}
    assert activity["heartbeatDetails"] == {"done": 30}
    messages = [line["message"] for line in logs["items"]]
    assert "test.crunch: resumed after an interruption (attempt 2)" in messages
    done = [int(line) for line in effects.read_text().split()]
    assert set(done) == set(range(30))
    # Work before the last heartbeat was not done again.
    assert all(done.count(i) == 1 for i in range(details["done"]))


def test_two_workers_start_a_due_scheduled_command_exactly_once(
    tmp_path: Path, isolated_database_url: str
) -> None:
    if not isolated_database_url.startswith("postgresql"):
        pytest.skip("several workers share one database on PostgreSQL")
    port = free_port()
    env = _env(tmp_path, isolated_database_url, LAYERS_SCHEDULER_CRON="* * * * * *")
    cli = {**os.environ, **env}
    subprocess.run(layers_command("orgs", "create", "Workers"), env=cli, check=True)
    test = subprocess.run(
        layers_command("keys", "create", "--test"),
        env=cli,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # An API process that only enqueues, and two workers that run workflows and ticks.
    api = start_server(layers_command("api", "--port", str(port)), env, port)
    workers = [start_worker(name, {**env, "LAYERS_EXECUTOR_ID": name}) for name in WORKERS]
    engine = sa.create_engine(normalize_url(isolated_database_url))
    try:
        headers = {"Authorization": f"Bearer {test}"}
        layers = [_install(api.base_url, headers, {}) for _ in range(3)]
        ids = [layer["id"] for layer in layers]
        with engine.begin() as conn:
            # The nightly command of each layer is due now (its cron would wait until 03:00).
            conn.execute(
                sa.text(
                    "UPDATE layer_schedules SET next_run_at = now() - interval '30 seconds' "
                    "WHERE command_id = 'nightly' AND layer_id = ANY(:ids)"
                ),
                {"ids": ids},
            )

        def nightly_runs() -> list[Any]:
            with engine.connect() as conn:
                return list(
                    conn.execute(
                        sa.text(
                            "SELECT id, layer_id, status FROM layer_runs "
                            "WHERE command_id = 'nightly' AND layer_id = ANY(:ids)"
                        ),
                        {"ids": ids},
                    )
                )

        def ticks() -> int:
            with engine.connect() as conn:
                return int(
                    conn.execute(
                        sa.text(
                            "SELECT count(*) FROM dbos.workflow_status "
                            "WHERE name = 'layers.engine.scheduler_tick' AND status = 'SUCCESS'"
                        )
                    ).scalar_one()
                )

        wait_for(
            lambda: len(nightly_runs()) == 3 and all(r[2] == "completed" for r in nightly_runs()),
            timeout=60,
        )
        seen = ticks()

        def tick_executors() -> set[str]:
            with engine.connect() as conn:
                return {
                    row[0]
                    for row in conn.execute(
                        sa.text(
                            "SELECT DISTINCT executor_id FROM dbos.workflow_status "
                            "WHERE name = 'layers.engine.scheduler_tick' AND status = 'SUCCESS'"
                        )
                    )
                }

        # Several more ticks pass (both workers fire every second; DBOS runs each tick once,
        # on whichever worker dequeues it): still one run per layer.
        wait_for(lambda: ticks() >= seen + 5, timeout=60)
        runs = nightly_runs()
        assert sorted(r[1] for r in runs) == sorted(ids), runs
        assert tick_executors() <= set(WORKERS)
    finally:
        engine.dispose()
        for worker in workers:
            worker.kill()
        api.kill()
