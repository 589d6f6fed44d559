"""kill -9 of a real server process between a committed change and its delivery: after a
restart the event is delivered, once."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from layers.kit.db import normalize_url
from tests.social.helpers import local_path
from tests.support import REPO, free_port, start_server, wait_for
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.slow


def command(port: int) -> list[str]:
    return [sys.executable, "-m", "layers.cli.main", "up", "--port", str(port)]


def test_kill_9_with_the_delivery_in_flight_then_restart(
    tmp_path: Path, isolated_database_url: str
) -> None:
    receiver = Receiver(hold=threading.Event()).start()  # the first request is never answered
    port = free_port()
    env = {
        "LAYERS_DATA_DIR": str(tmp_path / "data"),
        "LAYERS_DATABASE_URL": isolated_database_url,
        "LAYERS_EXECUTOR_ID": "worker-a",
        "LAYERS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    engine = sa.create_engine(normalize_url(isolated_database_url))

    def delivery() -> tuple[str, int, str]:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT status, attempts, event_id FROM webhook_deliveries")
            ).one()
        return str(row[0]), int(row[1]), str(row[2])

    first = start_server(command(port), env, port, cwd=REPO)
    try:
        _live, test = first.keys()
        api = httpx.Client(
            base_url=first.base_url, headers={"Authorization": f"Bearer {test}"}, timeout=30
        )
        created = api.post(
            "/v1/webhook-endpoints",
            json={"url": receiver.url, "events": ["social_account.connected"]},
        ).json()
        receiver.secrets.append(created["signingSecret"])
        project = api.post("/v1/projects", json={"name": "Crash Coffee", "timezone": "UTC"}).json()
        started = api.post(
            f"/v1/projects/{project['id']}/social/oauth-url",
            json={"platform": "tiktok", "returnUrl": "http://localhost:3000/done"},
        ).json()
        # The change: the sandbox consent completes the connection (and records the event).
        allowed = api.get(
            local_path(started["authorizeUrl"]) + "&decision=allow&handle=crash.coffee",
            follow_redirects=False,
        )
        back = api.get(local_path(allowed.headers["location"]), follow_redirects=False)
        assert back.status_code == 302, back.text
        assert receiver.arrived.wait(60), "the delivery never reached the receiver"
    finally:
        first.kill()  # SIGKILL while the receiver holds the request
    status, attempts, event_id = delivery()
    assert (status, attempts) == ("delivering", 1)
    assert receiver.received == []  # nothing was answered

    receiver.hold = None  # the receiver works again
    second = start_server(command(port), env, port, cwd=REPO)
    try:
        wait_for(lambda: delivery()[0] == "delivered", timeout=60, every=0.2)
    finally:
        second.kill()
        receiver.close()
    assert delivery() == ("delivered", 1, event_id)  # the same attempt, resumed
    [got] = receiver.received
    assert got.event_id == event_id and got.verified
    assert got.body["type"] == "social_account.connected"
    engine.dispose()


def test_an_event_committed_by_an_api_process_killed_at_once_is_delivered_by_a_worker(
    tmp_path: Path, isolated_database_url: str
) -> None:
    """An API-only process commits the change and dies (kill -9) before any worker ran;
    the delivery was enqueued with the change, so the next worker delivers it, once."""
    receiver = Receiver().start()
    port = free_port()
    env = {
        "LAYERS_DATA_DIR": str(tmp_path / "data"),
        "LAYERS_DATABASE_URL": isolated_database_url,
        "LAYERS_EXECUTOR_ID": "worker-a",
        "LAYERS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    engine = sa.create_engine(normalize_url(isolated_database_url))
    setup = start_server(command(port), env, port, cwd=REPO)
    try:
        _live, test = setup.keys()
        headers = {"Authorization": f"Bearer {test}"}
        created = httpx.post(
            f"{setup.base_url}/v1/webhook-endpoints",
            json={"url": receiver.url, "events": ["test.ping"]},
            headers=headers,
        ).json()
        receiver.secrets.append(created["signingSecret"])
    finally:
        setup.kill()
    endpoint_id = created["endpoint"]["id"]
    api_only = [sys.executable, "-m", "layers.cli.main", "api", "--port", str(port)]
    first = start_server(api_only, env, port, cwd=REPO)
    try:
        sent = httpx.post(
            f"{first.base_url}/v1/webhook-endpoints/{endpoint_id}/test", headers=headers, json={}
        ).json()
    finally:
        first.kill()
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT status, attempts FROM webhook_deliveries")).one()
    assert tuple(row) == ("pending", 0)
    assert receiver.received == []
    second = start_server(command(port), env, port, cwd=REPO)
    try:
        wait_for(lambda: len(receiver.received) == 1, timeout=60, every=0.2)
        rows = httpx.get(
            f"{second.base_url}/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=headers
        ).json()
    finally:
        second.kill()
        receiver.close()
    [delivered] = rows["items"]
    assert delivered["id"] == sent["deliveryId"] and delivered["status"] == "delivered"
    assert delivered["attempts"] == 1
    assert [r.event_id for r in receiver.received] == [sent["eventId"]]
    assert receiver.received[0].verified
    engine.dispose()
