"""A process killed during keyword research: the restarted process finishes the research."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from layers.kit.db import normalize_url
from tests.support import ACME, free_port, layers_command, start_server, wait_for

pytestmark = pytest.mark.slow


def test_kill_9_during_keyword_research_then_restart(
    tmp_path: Path, isolated_database_url: str
) -> None:
    port = free_port()
    env = {
        "LAYERS_DATA_DIR": str(tmp_path / "data"),
        "LAYERS_DATABASE_URL": isolated_database_url,
        "LAYERS_SANDBOX_LATENCY_MS": "400",  # each hashtag batch takes a while
        "LAYERS_EXECUTOR_ID": "worker-a",
    }
    command = layers_command("up", "--port", str(port))
    first = start_server(command, env, port)
    try:
        _live, test = first.keys()
        headers = {"Authorization": f"Bearer {test}"}
        project = httpx.post(f"{first.base_url}/v1/projects", json=ACME, headers=headers).json()
        job_id = _research_job(isolated_database_url, project["id"])

        def mid_research() -> bool:
            job = httpx.get(f"{first.base_url}/v1/jobs/{job_id}", headers=headers).json()
            return job["stage"] == "measuring" and 0.2 < job["progress"] < 0.8

        wait_for(mid_research, timeout=30, every=0.05)
    finally:
        first.kill()  # SIGKILL: no shutdown code runs

    with sa.create_engine(normalize_url(isolated_database_url)).connect() as conn:
        status = conn.execute(
            sa.text("SELECT status FROM jobs WHERE id = :j"), {"j": job_id}
        ).scalar()
    assert status == "running"

    second = start_server(command, env, port)
    try:

        def finished() -> dict | None:  # type: ignore[type-arg]
            job = httpx.get(f"{second.base_url}/v1/jobs/{job_id}", headers=headers).json()
            return job if job["status"] != "running" else None

        job = wait_for(finished, timeout=60)
        assert job["status"] == "completed", job
        bank = httpx.get(
            f"{second.base_url}/v1/projects/{project['id']}/keywords", headers=headers
        ).json()
        assert bank["refreshedAt"] and len(bank["hashtags"]) >= 5
    finally:
        second.kill()

    # Steps finished before the kill were not run again: one recorded output per step.
    with sa.create_engine(normalize_url(isolated_database_url)).connect() as conn:
        table = (
            "dbos.operation_outputs"
            if "postgresql" in isolated_database_url
            else "operation_outputs"
        )
        rows = conn.execute(
            sa.text(
                f"SELECT function_name, COUNT(*) FROM {table} WHERE workflow_uuid = :w "
                "GROUP BY function_id, function_name"
            ),
            {"w": job_id},
        ).all()
    assert rows and all(count == 1 for _, count in rows)
    assert sum(1 for name, _ in rows if name == "keywords.load_brief") == 1


def _research_job(url: str, project_id: str) -> str:
    with sa.create_engine(normalize_url(url)).connect() as conn:
        job_id = conn.execute(
            sa.text("SELECT id FROM jobs WHERE project_id = :p AND kind = 'keyword_research'"),
            {"p": project_id},
        ).scalar()
    assert job_id
    return str(job_id)
