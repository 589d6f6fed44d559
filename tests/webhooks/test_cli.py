"""`layers webhooks …` as subprocesses against a real `layers up` server and a real receiver."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support import REPO, free_port, layers_command, start_server, wait_for
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.slow


def test_webhooks_commands(tmp_path: Path, isolated_database_url: str, receiver: Receiver) -> None:
    port = free_port()
    server = start_server(
        layers_command("up", "--port", str(port)),
        {
            "LAYERS_DATA_DIR": str(tmp_path / "data"),
            "LAYERS_DATABASE_URL": isolated_database_url,
            "LAYERS_LOG_LEVEL": "WARNING",
        },
        port,
    )
    try:
        _live, test = server.keys()
        clean = {k: v for k, v in os.environ.items() if not k.startswith("LAYERS_")}
        env = {
            **clean,
            "LAYERS_API_KEY": test,
            "LAYERS_BASE_URL": server.base_url,
            "LAYERS_CONFIG_DIR": str(tmp_path / "config"),
        }

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                layers_command("webhooks", *args), cwd=REPO, env=env,
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip

        created = cli("create", receiver.url, "-e", "job.completed", "-e", "post.published")
        assert created.returncode == 0, created.stderr
        assert "Store the secret now" in created.stderr
        secret = created.stdout.split()[-1]
        assert secret.startswith("whsec_")
        receiver.secrets.append(secret)

        listed = cli("list", "--json")
        assert listed.returncode == 0, listed.stderr
        [endpoint] = json.loads(listed.stdout)["items"]
        assert endpoint["events"] == ["job.completed", "post.published"]
        table = cli("list")
        assert endpoint["id"] in table.stdout and "active" in table.stdout

        bad = cli("create", receiver.url, "-e", "post.exploded")
        assert bad.returncode != 0 and "unknown event type" in bad.stderr

        sent = cli("test", endpoint["id"], "--json")
        assert sent.returncode == 0, sent.stderr
        event_id = json.loads(sent.stdout)["eventId"]
        wait_for(lambda: len(receiver.received) == 1, timeout=30)
        assert receiver.received[0].event_id == event_id and receiver.received[0].verified

        def delivered() -> dict[str, object] | None:
            rows = json.loads(cli("deliveries", endpoint["id"], "--json").stdout)["items"]
            return rows[0] if rows and rows[0]["status"] == "delivered" else None

        row = wait_for(delivered, timeout=30, every=0.5)
        shown = cli("deliveries", endpoint["id"])
        assert "test.ping" in shown.stdout and "delivered" in shown.stdout

        replayed = cli("replay", str(row["id"]))
        assert replayed.returncode == 0 and "Queued replay" in replayed.stderr
        wait_for(lambda: len(receiver.received) == 2, timeout=30)
        assert receiver.received[1].body["replayOf"] == row["id"]

        rotated = cli("rotate-secret", endpoint["id"])
        assert rotated.returncode == 0 and rotated.stdout.split()[-1].startswith("whsec_")

        deleted = cli("delete", endpoint["id"])
        assert deleted.returncode == 0 and "Deleted" in deleted.stderr
        assert json.loads(cli("list", "--json").stdout)["items"] == []
    finally:
        server.kill()
