"""The seed's TypeScript quickstart, run under Node 20 against `make up` with a test key.

`quickstart.ts` is the published code of steps 1 to 5; this test changes only the host, the
key, the scheduledFor (made future), and adds the one fetch that stands in for the person who
consents. Then it reads back, through the API, everything the script made.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from tests.support import REPO, free_port, layers_command, start_server

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
TYPESCRIPT = REPO / ".venv" / "node" / "node_modules" / "typescript"


def test_the_typescript_quickstart_completes(tmp_path: Path, isolated_database_url: str) -> None:
    assert TYPESCRIPT.is_dir(), "`make test` installs the TypeScript compiler this test uses"
    port = free_port()
    env = {"LAYERS_DATA_DIR": str(tmp_path / "data"), "LAYERS_DATABASE_URL": isolated_database_url}
    server = start_server(["make", "--no-print-directory", "up", f"PORT={port}"], env, port)
    try:
        # The key of the quickstart: a test key whose allowed return domain is the one its
        # returnUrl names.
        issued = subprocess.run(
            layers_command("keys", "create", "--test", "--allow-return-domain", "yourapp.com"),
            cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, check=True,
        )  # fmt: skip
        key = issued.stdout.strip()
        pacific = timezone(timedelta(hours=-7))
        when = (datetime.now(UTC) + timedelta(days=2)).astimezone(pacific).replace(microsecond=0)
        scheduled_for = when.isoformat()
        substitutions = {
            "https://api.layers.com": server.base_url,
            "2026-05-15T09:00:00-07:00": scheduled_for,
        }
        run = subprocess.run(
            ["node", str(HERE / "run_typescript.mjs"), str(TYPESCRIPT), str(HERE / "quickstart.ts"),
             json.dumps(substitutions)],
            env={**os.environ, "LAYERS_API_KEY": key}, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr

        api = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"})
        projects = api.get("/v1/projects", params={"customerExternalId": "acme-coffee"}).json()
        assert [p["name"] for p in projects["items"]] == ["Acme Coffee"]
        project_id = projects["items"][0]["id"]
        media = api.get(f"/v1/projects/{project_id}/app-media").json()["items"]
        assert sorted(m["kind"] for m in media) == ["demo-video", "logo", "screenshot"]
        accounts = api.get(f"/v1/projects/{project_id}/social-accounts").json()["items"]
        assert [(a["platform"], a["status"]) for a in accounts] == [("tiktok", "connected")]
        content = api.get(f"/v1/projects/{project_id}/content").json()["items"]
        assert [(c["format"], c["status"]) for c in content] == [("slideshow-remix", "completed")]
        preview = content[0]["preview"]
        assert preview["kind"] == "slideshow" and preview["imageUrls"]
        image = httpx.get(preview["imageUrls"][0])
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
        posts = api.get(f"/v1/projects/{project_id}/scheduled-posts").json()["items"]
        assert len(posts) == 1
        assert posts[0]["socialAccountId"] == accounts[0]["socialAccountId"]
        assert posts[0]["containerId"] == content[0]["id"]
        assert datetime.fromisoformat(posts[0]["scheduledFor"]) == when
        assert posts[0]["status"] == "queued"
    finally:
        server.kill()
