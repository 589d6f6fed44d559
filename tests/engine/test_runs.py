from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from tests.engine import plugin
from tests.engine.helpers import execute, install, new_project, wait_for_run
from tests.support import Tenant, assert_error, wait_for


def test_execute_runs_three_activities_in_order(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers), {"greeting": "hi"})
    assert layer["status"] == "active", layer
    marker = f"order-{uuid.uuid4().hex[:8]}"
    accepted = execute(client, headers, layer["id"], "three-steps", {"marker": marker, "size": 4})
    assert accepted["status"] == "queued"
    assert accepted["locationUrl"] == f"/v1/runs/{accepted['runId']}"
    run = wait_for_run(client, headers, accepted["runId"])
    assert run["status"] == "completed", run
    assert [a["name"] for a in run["activities"]] == ["test.load", "test.transform", "test.save"]
    assert [a["position"] for a in run["activities"]] == [1, 2, 3]
    load, transform, save = run["activities"]
    assert load["input"] == {"marker": marker, "size": 4}
    assert load["output"] == {"items": [0, 1, 2, 3]}
    assert transform["output"] == [0, 2, 4, 6]
    assert save["output"] == {"saved": 4, "total": 12}
    assert run["output"] == {"saved": 4, "total": 12, "workflowVersion": 2, "greeting": "hi"}
    assert all(a["status"] == "completed" and a["attempts"] == 1 for a in run["activities"])
    assert run["trigger"] == "api" and run["workflow"] == "test-three"
    logs = client.get(f"/v1/runs/{run['id']}/logs", headers=headers).json()["items"]
    messages = [line["message"] for line in logs]
    assert messages[0].startswith("run started: three-steps")
    assert "loaded 4 items for " + marker in messages
    assert messages[-1].startswith("run completed")


def test_failing_activity_then_retry_keeps_what_succeeded(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    marker = f"retry-{uuid.uuid4().hex[:8]}"
    plugin.FAILING.add(marker)
    try:
        accepted = execute(client, headers, layer["id"], "three-steps", {"marker": marker})
        failed = wait_for_run(client, headers, accepted["runId"])
    finally:
        plugin.FAILING.discard(marker)
    assert failed["status"] == "failed", failed
    error = failed["error"]
    assert error["activity"] == "test.transform"
    assert error["message"].startswith(f"transform refused {marker}")
    assert "Traceback (most recent call last)" in error["stackTrace"]
    assert "in transform" in error["stackTrace"] and "RuntimeError" in error["stackTrace"]
    load, transform = failed["activities"]
    assert load["status"] == "completed"
    assert transform["status"] == "failed" and transform["attempts"] == 2
    assert [h["outcome"] for h in transform["attemptHistory"]] == ["failed", "failed"]
    assert "Traceback" in transform["error"]["stackTrace"]
    assert plugin.EFFECTS[f"{marker}:load"] == 1
    assert plugin.EFFECTS[f"{marker}:transform"] == 2
    assert plugin.EFFECTS[f"{marker}:save"] == 0

    retry = client.post(f"/v1/runs/{failed['id']}/retry", headers=headers)
    assert retry.status_code == 202, retry.text
    assert retry.json()["retryOf"] == failed["id"]
    again = wait_for_run(client, headers, retry.json()["runId"])
    assert again["status"] == "completed", again
    assert again["retryOf"] == failed["id"] and again["id"] != failed["id"]
    kept, redone, saved = again["activities"]
    assert kept["kept"] is True and kept["keptFrom"] == load["id"]
    assert kept["output"] == load["output"] and kept["status"] == "completed"
    assert not redone["kept"] and redone["attempts"] == 1 and redone["status"] == "completed"
    assert saved["status"] == "completed"
    assert again["output"]["saved"] == 3
    # The load activity was not run again; transform ran once more, save once.
    assert plugin.EFFECTS[f"{marker}:load"] == 1
    assert plugin.EFFECTS[f"{marker}:transform"] == 3
    assert plugin.EFFECTS[f"{marker}:save"] == 1
    original = client.get(f"/v1/runs/{failed['id']}", headers=headers).json()
    assert original["retriedBy"] == [again["id"]] and original["status"] == "failed"
    # Only failed and canceled runs can be retried.
    assert_error(client.post(f"/v1/runs/{again['id']}/retry", headers=headers), 409, "CONFLICT")


def test_a_workflow_body_failure_is_retried_after_its_activities(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    failed = wait_for_run(
        client, headers, execute(client, headers, layer["id"], "body-fails")["runId"]
    )
    assert failed["status"] == "failed"
    assert failed["error"]["message"] == "the workflow body gave up"
    assert "ValueError" in failed["error"]["stackTrace"]
    assert failed["error"].get("activity") is None
    retry = client.post(f"/v1/runs/{failed['id']}/retry", headers=headers).json()
    again = wait_for_run(client, headers, retry["runId"])
    assert again["status"] == "failed"
    assert [a["kept"] for a in again["activities"]] == [True]
    # The activity ran once, in the original run; the retry kept its result.
    assert plugin.EFFECTS[f"body:{failed['id']}:touch"] == 1
    assert plugin.EFFECTS[f"body:{again['id']}:touch"] == 0
    assert again["activities"][0]["output"] == f"body:{failed['id']}"


def test_execute_validates_the_command_and_its_parameters(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    url = f"/api/project-layers/{layer['id']}/execute"
    for command in ("initialize", "nightly", "every-minute"):
        error = assert_error(
            client.post(url, json={"commandId": command}, headers=headers),
            422,
            "COMMAND_NOT_EXECUTABLE",
        )
        assert error["details"]["commandId"] == command
    error = assert_error(
        client.post(url, json={"commandId": "no-such-command"}, headers=headers), 422, "VALIDATION"
    )
    assert error["details"]["fields"][0]["field"] == "commandId"
    assert "three-steps" in error["details"]["availableCommands"]
    error = assert_error(
        client.post(
            url,
            json={"commandId": "three-steps", "parameters": {"size": 0, "bogus": 1}},
            headers=headers,
        ),
        422,
        "VALIDATION",
    )
    fields = {f["field"] for f in error["details"]["fields"]}
    assert fields == {"parameters", "parameters.size"}
    runs = client.get(f"/v1/layers/{layer['id']}/runs", headers=headers).json()["items"]
    assert [r["commandId"] for r in runs] == ["initialize"]


def test_execute_honours_the_idempotency_key(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    key = {"Idempotency-Key": str(uuid.uuid4())}
    url = f"/api/project-layers/{layer['id']}/execute"
    body = {"commandId": "refresh"}
    first = client.post(url, json=body, headers={**headers, **key})
    second = client.post(url, json=body, headers={**headers, **key})
    assert first.status_code == second.status_code == 202
    assert second.headers["idempotent-replayed"] == "true"
    assert first.content == second.content
    conflict = client.post(url, json={"commandId": "three-steps"}, headers={**headers, **key})
    assert_error(conflict, 409, "IDEMPOTENCY_CONFLICT")
    runs = client.get(
        f"/v1/layers/{layer['id']}/runs", params={"commandId": "refresh"}, headers=headers
    ).json()
    assert [r["id"] for r in runs["items"]] == [first.json()["runId"]]


def test_an_older_workflow_version_still_runs(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    assert layer["commands"]["three-steps"]["workflowVersion"] == 2
    run = wait_for_run(
        client, headers, execute(client, headers, layer["id"], "three-steps-v1")["runId"]
    )
    assert run["workflowVersion"] == 1 and run["output"]["workflowVersion"] == 1


def test_cancel_a_running_run(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    marker = f"cancel-{uuid.uuid4().hex[:8]}"
    gate = plugin.BLOCKED[marker] = threading.Event()
    try:
        accepted = execute(client, headers, layer["id"], "three-steps", {"marker": marker})
        # A slow activity shows as running (its row is written once it has run a moment).
        wait_for(
            lambda: (
                [
                    a["status"]
                    for a in client.get(f"/v1/runs/{accepted['runId']}", headers=headers).json()[
                        "activities"
                    ]
                ]
                == ["running"]
            )
        )
        assert wait_for_run(client, headers, accepted["runId"], ("running",))
        canceled = client.post(f"/v1/runs/{accepted['runId']}/cancel", headers=headers)
        assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
        again = client.post(f"/v1/runs/{accepted['runId']}/cancel", headers=headers)
        assert again.status_code == 200 and again.json()["status"] == "canceled"
    finally:
        gate.set()
        plugin.BLOCKED.pop(marker, None)
    wait_for(lambda: plugin.EFFECTS[f"{marker}:load"] == 1)
    run = client.get(f"/v1/runs/{accepted['runId']}", headers=headers).json()
    assert run["status"] == "canceled" and run["finishedAt"]
    assert [a["status"] for a in run["activities"]] == ["canceled"]
    # The workflow stops at the next activity boundary: nothing after load runs.
    time.sleep(0.5)
    assert plugin.EFFECTS[f"{marker}:transform"] == 0
    done = wait_for_run(client, headers, execute(client, headers, layer["id"], "refresh")["runId"])
    assert_error(client.post(f"/v1/runs/{done['id']}/cancel", headers=headers), 409, "CONFLICT")


def test_run_detail_etag_and_log_pages(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    run = wait_for_run(
        client,
        headers,
        execute(client, headers, layer["id"], "crunch", {"items": 5, "delay": 0})["runId"],
    )
    response = client.get(f"/v1/runs/{run['id']}", headers=headers)
    tag = response.headers["etag"]
    cached = client.get(f"/v1/runs/{run['id']}", headers={**headers, "If-None-Match": tag})
    assert cached.status_code == 304
    lines: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/v1/runs/{run['id']}/logs", params=params, headers=headers).json()
        lines += [line["message"] for line in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert [m for m in lines if m.startswith("crunched")] == [
        f"crunched item {i}" for i in range(5)
    ]
    assert len(lines) == 7
    activity = run["activities"][0]
    assert activity["heartbeatDetails"] == {"done": 5} and activity["lastHeartbeatAt"]
    bad = client.get(
        f"/v1/runs/{run['id']}/logs", params={"cursor": "bm90LWEtbnVtYmVy"}, headers=headers
    )
    assert_error(bad, 422, "VALIDATION")


def test_a_long_activity_stops_at_its_next_heartbeat_when_canceled(
    client: TestClient, tenant: Tenant, tmp_path: Path
) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    effects = tmp_path / "effects.txt"
    params = {"items": 400, "delay": 0.02, "effectsFile": str(effects)}
    run_id = execute(client, headers, layer["id"], "crunch", params)["runId"]
    wait_for(lambda: effects.exists() and len(effects.read_text().split()) >= 3)
    client.post(f"/v1/runs/{run_id}/cancel", headers=headers)
    counts: list[int] = []

    def stopped() -> bool:
        counts.append(len(effects.read_text().split()))
        return len(counts) > 10 and counts[-1] == counts[-10]  # unchanged for ~0.5 s

    wait_for(stopped, timeout=20)
    assert counts[-1] < 400
    run = client.get(f"/v1/runs/{run_id}", headers=headers).json()
    assert run["status"] == "canceled" and run["activities"][0]["status"] == "canceled"
    assert run["activities"][0]["attemptHistory"][-1]["outcome"] == "canceled"


def test_a_retry_whose_original_durable_state_is_gone_fails_clearly(
    client: TestClient, tenant: Tenant
) -> None:
    from dbos import DBOS

    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    failed = wait_for_run(
        client, headers, execute(client, headers, layer["id"], "body-fails")["runId"]
    )
    DBOS.delete_workflow(failed["id"])
    retry = client.post(f"/v1/runs/{failed['id']}/retry", headers=headers).json()
    again = wait_for_run(client, headers, retry["runId"])
    assert again["status"] == "failed" and again["error"]["code"] == "RETRY_UNAVAILABLE"


def test_nan_or_infinity_in_a_body_is_a_422_not_a_stored_run(
    client: TestClient, tenant: Tenant
) -> None:
    # Python's JSON parser reads NaN and Infinity; PostgreSQL's JSON refuses them.
    headers = {**tenant.headers(test=True), "Content-Type": "application/json"}
    layer = install(client, headers, new_project(client, headers))
    body = '{"commandId": "crunch", "parameters": {"items": 1, "delay": NaN}}'
    response = client.post(
        f"/api/project-layers/{layer['id']}/execute", content=body, headers=headers
    )
    error = assert_error(response, 422, "VALIDATION")
    assert error["details"]["fields"][0]["field"] == "parameters"
    body = '{"commandId": "refresh", "filters": {"whereContains": {"n": -Infinity}}}'
    response = client.post("/api/commands/execute", content=body, headers=headers)
    assert_error(response, 422, "VALIDATION")
    runs = client.get(f"/v1/layers/{layer['id']}/runs", headers=headers).json()["items"]
    assert [r["commandId"] for r in runs] == ["initialize"]
