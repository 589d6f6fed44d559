"""``layers metrics show|top|override`` as subprocesses against the session's app served on
a real port, over two weeks of sandbox posts read back on a manual clock."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from fastapi.testclient import TestClient

from tests.catalog.social_distribution.helpers import completed_container, project
from tests.metrics.helpers import two_weeks_of_posts
from tests.social.conftest import Contents, contents, quick_protocol
from tests.support import REPO, Tenant, layers_command

__all__ = ["contents", "quick_protocol"]

pytestmark = pytest.mark.slow


def test_metrics_commands(
    client: TestClient, tenant: Tenant, contents: Contents, live_url: str
) -> None:
    project_id = project(client, tenant)
    containers = [completed_container(project_id) for _ in range(3)]
    two_weeks_of_posts(client, tenant, project_id, containers)
    env = {**os.environ, "LAYERS_API_KEY": tenant.test, "LAYERS_BASE_URL": live_url}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            layers_command(*args), cwd=REPO, env=env, capture_output=True, text=True, timeout=60
        )

    shown = cli("metrics", "show", project_id, "--metric", "views", "--metric", "posts_published")
    assert shown.returncode == 0, shown.stderr
    assert "views" in shown.stdout and "posts_published" in shown.stdout
    assert any(bar in shown.stdout for bar in "▂▃▄▅▆▇█")
    as_json = json.loads(cli("metrics", "show", project_id, "--metric", "views", "--json").stdout)
    series = as_json["series"][0]["points"]
    assert as_json["totals"]["views"] == sum(p["value"] for p in series) > 0

    top = json.loads(cli("metrics", "top", project_id, "--json").stdout)
    assert {row["sourceId"] for row in top["items"]} == set(containers)
    best = top["items"][0]["sourceId"]
    table = cli("metrics", "top", project_id)
    assert table.returncode == 0 and best in table.stdout and "eligible" in table.stdout

    excluded = cli("metrics", "override", project_id, best, "exclude")
    assert excluded.returncode == 0, excluded.stderr
    assert f"{best}: exclude" in excluded.stdout
    after = json.loads(cli("metrics", "top", project_id, "--json").stdout)
    assert best not in {row["sourceId"] for row in after["items"]}  # not eligible: left out
    everything = json.loads(cli("metrics", "top", project_id, "--all", "--json").stdout)
    assert {row["sourceId"]: row["override"] for row in everything["items"]}[best] == "exclude"
    cleared = cli("metrics", "override", project_id, best, "clear")
    assert cleared.returncode == 0 and "by score" in cleared.stdout

    bad = cli("metrics", "show", project_id, "--metric", "mood")
    assert bad.returncode != 0 and "VALIDATION" in bad.stderr and "metrics.0" in bad.stderr
