from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.engine import plugin
from tests.engine.helpers import install, new_project, wait_for_run
from tests.support import Tenant, assert_error


def _fleet(client: TestClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    one, two = new_project(client, headers, "Fleet one"), new_project(client, headers, "Fleet two")
    fleet = {
        "tiktok_a": install(
            client,
            headers,
            one,
            {"greeting": "a", "social": {"platform": "tiktok"}, "tags": ["x", "y"]},
        ),
        "instagram": install(
            client, headers, one, {"greeting": "b", "social": {"platform": "instagram"}}
        ),
        "tiktok_b": install(
            client, headers, two, {"greeting": "c", "social": {"platform": "tiktok"}, "tags": ["y"]}
        ),
        "paused": install(
            client, headers, two, {"greeting": "d", "social": {"platform": "tiktok"}}
        ),
        "single": install(client, headers, two, template_id="test-single"),
    }
    client.post(f"/v1/layers/{fleet['paused']['id']}/pause", headers=headers)
    fleet["projects"] = {"one": one, "two": two}  # type: ignore[assignment]
    return fleet


def _execute(
    client: TestClient, headers: dict[str, str], command: str, **body: Any
) -> dict[str, Any]:
    response = client.post(
        "/api/commands/execute", json={"commandId": command, **body}, headers=headers
    )
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


def _child_layers(client: TestClient, headers: dict[str, str], parent: dict[str, Any]) -> set[str]:
    runs = client.get(
        "/v1/runs", params={"parentRunId": parent["runId"], "limit": 200}, headers=headers
    ).json()["items"]
    assert {r["id"] for r in runs} == set(parent["childRunIds"])
    return {r["layerId"] for r in runs}


def test_where_contains_selects_the_right_layers(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    fleet = _fleet(client, headers)
    ids = {name: layer["id"] for name, layer in fleet.items() if name != "projects"}

    tiktok = _execute(
        client, headers, "refresh", filters={"whereContains": {"social": {"platform": "tiktok"}}}
    )
    assert _child_layers(client, headers, tiktok) == {ids["tiktok_a"], ids["tiktok_b"]}
    tagged = _execute(client, headers, "refresh", filters={"whereContains": {"tags": ["y"]}})
    assert _child_layers(client, headers, tagged) == {ids["tiktok_a"], ids["tiktok_b"]}
    both_tags = _execute(
        client, headers, "refresh", filters={"whereContains": {"tags": ["y", "x"]}}
    )
    assert _child_layers(client, headers, both_tags) == {ids["tiktok_a"]}
    nothing = _execute(client, headers, "refresh", filters={"whereContains": {"tags": "y"}})
    assert nothing["childRunIds"] == [] and nothing["status"] == "completed"

    # Every template with the command, every active layer; the paused one is listed as skipped.
    everything = _execute(
        client, headers, "refresh", filters={"statusFilter": ["active", "paused"]}
    )
    assert _child_layers(client, headers, everything) == {
        ids["tiktok_a"],
        ids["instagram"],
        ids["tiktok_b"],
        ids["single"],
    }
    assert [s["layerId"] for s in everything["skipped"]] == [ids["paused"]]
    only_two = _execute(
        client,
        headers,
        "refresh",
        filters={"projectId": fleet["projects"]["two"], "templateIds": ["test-pipeline"]},
    )
    assert _child_layers(client, headers, only_two) == {ids["tiktok_b"]}

    parent = wait_for_run(client, headers, everything["runId"])
    assert parent["status"] == "completed" and parent["layerId"] is None
    assert parent["children"] == {
        "total": 4,
        "queued": 0,
        "running": 0,
        "completed": 4,
        "failed": 0,
        "canceled": 0,
    }
    assert parent["filters"] == {"statusFilter": ["active", "paused"]}


def test_a_failed_child_fails_the_parent_and_retry_reruns_only_it(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project = new_project(client, headers)
    good = install(client, headers, project, {"greeting": "good"})
    bad = install(client, headers, project, {"greeting": "bad"})
    marker = f"fan-{uuid.uuid4().hex[:8]}"
    plugin.FAILING.add(f"{marker}-bad")
    try:
        parent = _execute(
            client,
            headers,
            "three-steps",
            parameters={"marker": marker, "byGreeting": True},
            filters={"projectId": project},
        )
        assert parent["status"] == "running" and len(parent["childRunIds"]) == 2
        done = wait_for_run(client, headers, parent["runId"])
    finally:
        plugin.FAILING.discard(f"{marker}-bad")
    assert done["status"] == "failed" and done["error"]["code"] == "CHILD_RUNS_FAILED"
    assert done["children"]["completed"] == 1 and done["children"]["failed"] == 1
    retry = client.post(f"/v1/runs/{parent['runId']}/retry", headers=headers)
    assert retry.status_code == 202
    again = wait_for_run(client, headers, retry.json()["runId"])
    assert again["status"] == "completed" and again["retryOf"] == parent["runId"]
    children = client.get("/v1/runs", params={"parentRunId": again["id"]}, headers=headers).json()[
        "items"
    ]
    assert [c["layerId"] for c in children] == [bad["id"]]
    assert children[0]["retryOf"] in parent["childRunIds"]
    assert plugin.EFFECTS[f"{marker}-good:transform"] == 1
    assert plugin.EFFECTS[f"{marker}-bad:load"] == 1  # kept by the retry
    assert plugin.EFFECTS[f"{marker}-bad:save"] == 1
    assert good["id"] != bad["id"]


def test_cross_layer_execution_validates_and_cancels(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    import threading

    headers = tenant.headers(test=True)
    project = new_project(client, headers)
    layer = install(client, headers, project)
    url = "/api/commands/execute"
    unknown = client.post(url, json={"commandId": "nope"}, headers=headers)
    assert assert_error(unknown, 404, "NOT_FOUND")["details"] == {"commandId": "nope"}
    assert_error(
        client.post(url, json={"commandId": "nightly"}, headers=headers),
        422,
        "COMMAND_NOT_EXECUTABLE",
    )
    invalid = client.post(
        url, json={"commandId": "three-steps", "parameters": {"size": "x"}}, headers=headers
    )
    assert_error(invalid, 422, "VALIDATION")
    marker = f"fan-cancel-{uuid.uuid4().hex[:8]}"
    gate = plugin.BLOCKED[marker] = threading.Event()
    try:
        parent = _execute(
            client,
            headers,
            "three-steps",
            parameters={"marker": marker},
            filters={"projectId": project},
        )
        canceled = client.post(f"/v1/runs/{parent['runId']}/cancel", headers=headers).json()
        assert canceled["status"] == "canceled"
    finally:
        gate.set()
        plugin.BLOCKED.pop(marker, None)
    (child_id,) = parent["childRunIds"]
    child = client.get(f"/v1/runs/{child_id}", headers=headers).json()
    assert child["status"] == "canceled" and child["layerId"] == layer["id"]
    # Another organization, and the other mode, match none of these layers.
    for foreign in (other_tenant.headers(test=True), tenant.headers()):
        response = client.post(url, json={"commandId": "refresh"}, headers=foreign)
        assert response.status_code == 202 and response.json()["childRunIds"] == []
