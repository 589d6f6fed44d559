from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.dialects import sqlite

from layers.engine.runs.repository import last_runs_query
from layers.kit.db import get_database
from tests.console.helpers import browser, sign_in
from tests.engine.helpers import execute, install, new_project, wait_for_run
from tests.support import Tenant, assert_error, key_with_scopes


def test_catalog_lists_templates_with_commands(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers()
    items = client.get("/v1/layer-templates", headers=headers).json()["items"]
    ids = [t["id"] for t in items]
    assert "test-pipeline" in ids and ids == sorted(ids)
    template = client.get("/v1/layer-templates/test-pipeline", headers=headers).json()
    assert template["version"] == "1.0.0"
    assert template["defaultConfig"] == {"greeting": "hello", "size": 3, "work": False}
    commands = template["commands"]
    assert commands["initialize"]["trigger"] == "internal"
    assert commands["three-steps"] == {
        "trigger": "executable",
        "workflow": "test-three",
        "workflowVersion": 2,
        "description": "load, transform, save",
        "defaultCron": None,
        "cronOverride": False,
        "parametersSchema": commands["three-steps"]["parametersSchema"],
    }
    assert commands["nightly"]["defaultCron"] == "0 3 * * *"
    assert commands["nightly"]["cronOverride"] is True
    # The engine publishes the cron override in the config schema.
    schedule = template["configSchema"]["properties"]["schedule"]["properties"]
    assert set(schedule) == {"times", "cron"}
    assert template["configChangeTriggers"] == [
        {"commandId": "refresh", "keys": ["greeting", "schedule.times"]}
    ]
    assert_error(client.get("/v1/layer-templates/nope", headers=headers), 404, "NOT_FOUND")
    reader = key_with_scopes(tenant, ["projects:read"])
    denied = client.get("/v1/layer-templates", headers={"Authorization": f"Bearer {reader}"})
    assert_error(denied, 403, "FORBIDDEN_SCOPE")


def test_install_runs_initialize_then_the_layer_is_active(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, headers)
    response = client.post(
        f"/v1/projects/{project_id}/layers",
        json={"templateId": "test-pipeline", "config": {"greeting": "hey"}},
        headers=headers,
    )
    assert response.status_code == 201
    layer = response.json()
    assert layer["status"] == "installing" and layer["id"].startswith("lyr_")
    assert layer["config"] == {"greeting": "hey", "size": 3, "work": False}
    assert layer["configVersion"] == 1 and layer["templateVersion"] == "1.0.0"
    install_run = wait_for_run(client, headers, layer["installRunId"])
    assert install_run["trigger"] == "install" and install_run["commandId"] == "initialize"
    assert install_run["status"] == "completed"
    active = client.get(f"/v1/layers/{layer['id']}", headers=headers).json()
    assert active["status"] == "active" and active["error"] is None
    assert active["commands"]["nightly"]["nextRunAt"].endswith("03:00:00.000Z")
    assert active["commands"]["three-steps"]["nextRunAt"] is None
    listed = client.get(f"/v1/projects/{project_id}/layers", headers=headers).json()["items"]
    assert [item["id"] for item in listed] == [layer["id"]]
    org_wide = client.get(
        "/v1/layers", params={"templateId": "test-pipeline", "status": "active"}, headers=headers
    ).json()
    assert layer["id"] in [item["id"] for item in org_wide["items"]]


def test_a_failing_initialize_leaves_the_layer_failed_with_its_error(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers), {"failInstall": True})
    assert layer["status"] == "failed"
    assert layer["error"]["code"] == "CONFLICT"
    assert layer["error"]["message"] == "this activity always conflicts"
    run = client.get(f"/v1/runs/{layer['error']['runId']}", headers=headers).json()
    assert run["status"] == "failed" and "Conflict" in run["error"]["stackTrace"]
    # A 4xx domain error is not retried.
    assert run["activities"][0]["attempts"] == 1
    assert_error(
        client.post(
            f"/api/project-layers/{layer['id']}/execute",
            json={"commandId": "refresh"},
            headers=headers,
        ),
        409,
        "CONFLICT",
    )
    assert_error(client.post(f"/v1/layers/{layer['id']}/pause", headers=headers), 409, "CONFLICT")


def test_install_validates_template_and_config(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, headers)
    url = f"/v1/projects/{project_id}/layers"

    def fields(body: dict[str, Any]) -> set[str]:
        error = assert_error(client.post(url, json=body, headers=headers), 422, "VALIDATION")
        return {f["field"] for f in error["details"]["fields"]}

    assert fields({"templateId": "no-such-template"}) == {"templateId"}
    assert fields({"templateId": "test-pipeline", "config": {"size": 0, "extra": 1}}) == {
        "config",
        "config.size",
    }
    assert fields({"templateId": "test-pipeline", "config": {"greeting": None}}) == {
        "config.greeting"
    }
    for cron in ("61 * * * *", "every day", "* * * * * *", ""):
        body = {"templateId": "test-pipeline", "config": {"schedule": {"cron": cron}}}
        assert fields(body) == {"config.schedule.cron"}, cron
    error = assert_error(
        client.post(
            url,
            json={"templateId": "test-pipeline", "config": {"greeting": "forbidden"}},
            headers=headers,
        ),
        409,
        "CONFLICT",
    )
    assert error["details"] == {"field": "greeting"}
    assert client.get(url, headers=headers).json()["items"] == []


def test_config_changes_are_versioned_and_can_be_rolled_back(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    url = f"/v1/layers/{layer['id']}"

    size = client.patch(url, json={"config": {"size": 7, "tags": ["a"]}}, headers=headers)
    assert size.status_code == 200, size.text
    assert size.json()["configVersion"] == 2 and size.json()["triggeredRunIds"] == []
    greeting = client.patch(
        url, json={"config": {"greeting": "bonjour", "tags": None}}, headers=headers
    )
    body = greeting.json()
    assert body["config"] == {"greeting": "bonjour", "size": 7, "work": False}
    assert len(body["triggeredRunIds"]) == 1
    triggered = wait_for_run(client, headers, body["triggeredRunIds"][0])
    assert triggered["trigger"] == "config_change" and triggered["commandId"] == "refresh"
    assert triggered["status"] == "completed"
    same = client.patch(url, json={"config": {"greeting": "bonjour"}}, headers=headers).json()
    assert same["configVersion"] == 3 and same["triggeredRunIds"] == []
    bad = client.patch(url, json={"config": {"size": "big"}}, headers=headers)
    assert_error(bad, 422, "VALIDATION")

    history = client.get(f"{url}/config-history", headers=headers).json()["items"]
    assert [h["version"] for h in history] == [3, 2, 1]
    assert history[0]["changedKeys"] == ["greeting", "tags"]
    assert history[1]["changedKeys"] == ["size", "tags"]
    assert [h["source"] for h in history] == ["update", "update", "install"]
    assert history[0]["requestId"].startswith("req_") and history[0]["actorKeyId"]

    rolled = client.post(f"{url}/rollback", json={"version": 1}, headers=headers).json()
    assert rolled["configVersion"] == 4
    assert rolled["config"] == {"greeting": "hello", "size": 3, "work": False}
    assert len(rolled["triggeredRunIds"]) == 1  # the greeting changed back
    latest = client.get(f"{url}/config-history", params={"limit": 1}, headers=headers).json()
    assert latest["items"][0]["source"] == "rollback" and latest["items"][0]["rolledBackTo"] == 1
    assert latest["nextCursor"]
    missing = client.post(f"{url}/rollback", json={"version": 99}, headers=headers)
    assert_error(missing, 422, "VALIDATION")
    # A JSON string, boolean or fraction is not a version number (no lax coercion).
    for wrong in ("3", True, 1.0):
        refused = client.post(f"{url}/rollback", json={"version": wrong}, headers=headers)
        assert_error(refused, 422, "VALIDATION")


def test_pause_resume_and_uninstall(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    url = f"/v1/layers/{layer['id']}"
    paused = client.post(f"{url}/pause", headers=headers).json()
    assert paused["status"] == "paused" and paused["pausedAt"]
    assert paused["commands"]["nightly"]["nextRunAt"] is None
    assert client.post(f"{url}/pause", headers=headers).json()["status"] == "paused"
    refused = client.post(
        f"/api/project-layers/{layer['id']}/execute", json={"commandId": "refresh"}, headers=headers
    )
    assert_error(refused, 409, "CONFLICT")
    # A config change while paused is recorded but starts nothing.
    changed = client.patch(url, json={"config": {"greeting": "later"}}, headers=headers).json()
    assert changed["configVersion"] == 2 and changed["triggeredRunIds"] == []
    resumed = client.post(f"{url}/resume", headers=headers).json()
    assert resumed["status"] == "active" and resumed["pausedAt"] is None
    assert resumed["commands"]["nightly"]["nextRunAt"] is not None
    run = wait_for_run(client, headers, execute(client, headers, layer["id"], "refresh")["runId"])
    assert run["status"] == "completed"

    gone = client.delete(url, headers=headers)
    assert gone.status_code == 200 and gone.json()["status"] == "uninstalled"
    assert gone.json()["commands"]["nightly"]["nextRunAt"] is None
    assert client.delete(url, headers=headers).json()["status"] == "uninstalled"
    assert_error(client.post(f"{url}/resume", headers=headers), 409, "CONFLICT")
    assert_error(client.patch(url, json={"config": {"size": 2}}, headers=headers), 409, "CONFLICT")
    # The layer and its runs stay readable.
    assert client.get(f"{url}/runs", headers=headers).json()["items"]


def test_a_singleton_template_installs_once_per_project(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, headers)
    first = install(client, headers, project_id, template_id="test-single")
    assert first["status"] == "active" and first["installRunId"] is None
    url = f"/v1/projects/{project_id}/layers"
    again = client.post(url, json={"templateId": "test-single"}, headers=headers)
    assert_error(again, 409, "CONFLICT")
    client.delete(f"/v1/layers/{first['id']}", headers=headers)
    assert client.post(url, json={"templateId": "test-single"}, headers=headers).status_code == 201


def test_layers_of_an_archived_project_do_not_run(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, headers)
    layer = install(client, headers, project_id)
    client.delete(f"/v1/projects/{project_id}", headers=headers)
    refused = client.post(
        f"/api/project-layers/{layer['id']}/execute", json={"commandId": "refresh"}, headers=headers
    )
    assert_error(refused, 409, "CONFLICT")
    assert_error(
        client.post(
            f"/v1/projects/{project_id}/layers",
            json={"templateId": "test-pipeline"},
            headers=headers,
        ),
        409,
        "CONFLICT",
    )


def test_retrying_a_failed_install_activates_the_layer(client: TestClient, tenant: Tenant) -> None:
    import uuid

    from tests.engine import plugin

    headers = tenant.headers(test=True)
    greeting = f"flaky-{uuid.uuid4().hex[:8]}"
    plugin.FAILING.add(greeting)
    try:
        layer = install(client, headers, new_project(client, headers), {"greeting": greeting})
    finally:
        plugin.FAILING.discard(greeting)
    assert layer["status"] == "failed" and layer["error"]["message"] == f"{greeting} is failing"
    retry = client.post(f"/v1/runs/{layer['installRunId']}/retry", headers=headers)
    assert retry.status_code == 202
    assert client.get(f"/v1/layers/{layer['id']}", headers=headers).json()["status"] == (
        "installing"
    )
    assert wait_for_run(client, headers, retry.json()["runId"])["status"] == "completed"
    active = client.get(f"/v1/layers/{layer['id']}", headers=headers).json()
    assert active["status"] == "active" and active["error"] is None
    assert active["commands"]["nightly"]["nextRunAt"] is not None


def test_each_command_shows_its_last_run_whatever_started_it(
    app: object, client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, headers)
    layer = install(client, headers, project_id)
    layer_id = layer["id"]

    def shown() -> dict[str, Any]:
        body: dict[str, Any] = client.get(f"/v1/layers/{layer_id}", headers=headers).json()
        return body

    def listed(path: str, **params: str) -> dict[str, Any]:
        items = client.get(path, params=params, headers=headers).json()["items"]
        return next(item for item in items if item["id"] == layer_id)

    def last(body: dict[str, Any], command_id: str) -> tuple[str | None, str | None]:
        command = body["commands"][command_id]
        return command["lastRunId"], command["lastRunAt"]

    install_run = wait_for_run(client, headers, layer["installRunId"])
    installed = shown()
    assert last(installed, "initialize") == (install_run["id"], install_run["createdAt"])
    assert (installed["lastRunId"], installed["lastRunAt"]) == last(installed, "initialize")
    assert last(installed, "three-steps") == (None, None)

    accepted = execute(client, headers, layer_id, "three-steps", {"marker": "last-run"})
    run = client.get(f"/v1/runs/{accepted['runId']}", headers=headers).json()
    assert run["createdAt"] >= install_run["createdAt"]
    for body in (
        shown(),
        listed("/v1/layers", projectId=project_id),
        listed(f"/v1/projects/{project_id}/layers"),
    ):
        assert last(body, "three-steps") == (run["id"], run["createdAt"])
        assert (body["lastRunId"], body["lastRunAt"]) == (run["id"], run["createdAt"])
        assert last(body, "initialize") == (install_run["id"], install_run["createdAt"])
        assert last(body, "refresh") == (None, None)
    wait_for_run(client, headers, run["id"])

    # a retry is a run of its command too
    failed = wait_for_run(
        client, headers, execute(client, headers, layer_id, "body-fails")["runId"]
    )
    assert last(shown(), "body-fails") == (failed["id"], failed["createdAt"])
    retried = client.post(f"/v1/runs/{failed['id']}/retry", headers=headers).json()
    assert last(shown(), "body-fails")[0] == retried["runId"] == shown()["lastRunId"]
    wait_for_run(client, headers, retried["runId"])

    # so is a run a config change starts: the PATCH response already shows it
    patched = client.patch(
        f"/v1/layers/{layer_id}", json={"config": {"greeting": "hey"}}, headers=headers
    ).json()
    [refresh] = patched["triggeredRunIds"]
    assert last(patched, "refresh")[0] == refresh == patched["lastRunId"]
    assert last(shown(), "three-steps") == (run["id"], run["createdAt"]), "per command"
    wait_for_run(client, headers, refresh)

    # the console's Commands tab links each command's last run
    web = browser(app)
    sign_in(web, tenant.test)
    page = web.get(f"/console/layers/{layer_id}?tab=commands")
    assert page.status_code == 200, page.text
    rows = dict(re.findall(r'<tr id="cmd-([a-z0-9-]+)">(.*?)</tr>', page.text, re.S))
    assert f'href="?tab=runs&run={run["id"]}"' in rows["three-steps"]
    assert f'href="?tab=runs&run={refresh}"' in rows["refresh"]
    assert "?tab=runs" not in rows["crunch"]


def test_last_runs_are_found_through_the_index() -> None:
    db = get_database()
    if db.dialect != "sqlite":
        pytest.skip("the plan is checked on SQLite; PostgreSQL plans by table size")
    query = last_runs_query([("lyr_a", "refresh"), ("lyr_b", "nightly")])
    sql = query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    with db.engine.connect() as conn:
        plan = [str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    seeks = [step for step in plan if "layer_runs" in step]
    assert len(seeks) == 2, plan
    assert all("USING COVERING INDEX ix_layer_runs_layer_command" in step for step in seeks), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
