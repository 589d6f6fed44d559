"""Installing the Social Distribution layer: config rules, binding, planning, re-planning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit.db import get_database
from layers.models.social import AccountHealthSnapshot
from tests.catalog.social_distribution.helpers import (
    TEMPLATE,
    account,
    completed_container,
    install_layer,
    project,
    slots,
)
from tests.engine.helpers import execute, wait_for_run
from tests.support import Tenant, assert_error, wait_for

LA = ZoneInfo("America/Los_Angeles")


def _install(client: TestClient, tenant: Tenant, project_id: str, config: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(
        f"/v1/projects/{project_id}/layers",
        json={"templateId": TEMPLATE, "config": config},
        headers=tenant.headers(test=True),
    )


def _runs(client: TestClient, tenant: Tenant, layer_id: str, command: str) -> list[dict]:  # type: ignore[type-arg]
    body = client.get(
        "/v1/runs", params={"layerId": layer_id, "limit": 100}, headers=tenant.headers(test=True)
    ).json()
    return [r for r in body["items"] if r["commandId"] == command]


def test_the_template_is_in_the_catalog_with_its_commands(
    client: TestClient, tenant: Tenant
) -> None:
    body = client.get(f"/v1/layer-templates/{TEMPLATE}", headers=tenant.headers(test=True)).json()
    commands = body["commands"]
    assert commands["initialize"]["trigger"] == "internal"
    assert commands["refresh-schedule"]["trigger"] == "executable"
    assert commands["attach-to-schedule"]["trigger"] == "executable"
    assert commands["refresh-schedule-scheduled"]["defaultCron"] == "0 3 * * *"
    assert commands["process-due"]["defaultCron"] == "* * * * *"
    assert commands["recover-overdue"]["defaultCron"] == "*/5 * * * *"
    assert commands["initialize"]["workflow"] == "social-distribution-plan"


def test_install_plans_cold_slots_at_ten_local_for_three_days(
    client: TestClient, tenant: Tenant
) -> None:
    project_id = project(client, tenant)
    layer = install_layer(client, tenant, project_id, account(project_id))
    assert layer["config"]["distributionMode"] == "automatic"
    assert layer["config"]["willPublish"] is False
    assert layer["config"]["generationMode"] == "manual"
    rows = slots(layer["id"])
    assert len(rows) == 3
    now = clock.now()
    for row in rows:
        assert row.status == "pending" and row.container_id is None and row.origin == "slot"
        assert row.scheduled_at.astimezone(LA).strftime("%H:%M") == "10:00"
        assert now < row.scheduled_at <= now + timedelta(days=3)
        assert row.local_time is not None and row.local_time.endswith("T10:00:00")
    run = client.get(f"/v1/runs/{layer['installRunId']}", headers=tenant.headers(test=True)).json()
    assert run["status"] == "completed" and run["output"]["temperature"] == "cold"


def test_temperature_from_the_latest_health_snapshot(client: TestClient, tenant: Tenant) -> None:
    project_id = project(client, tenant)
    account_id = account(project_id)
    with get_database().transaction() as session:
        from layers.models.social import SocialAccount
        from layers.social import health

        found = session.get(SocialAccount, account_id)
        assert found is not None
        snapshot = health.take_snapshot(session, found, reason="test")
        snapshot.temperature = "hot"
    layer = install_layer(client, tenant, project_id, account_id)
    times = sorted({r.scheduled_at.astimezone(LA).strftime("%H:%M") for r in slots(layer["id"])})
    assert times == ["10:00", "15:00", "19:00"]
    assert AccountHealthSnapshot  # the snapshot table is the source


def test_config_rules_name_the_field(client: TestClient, tenant: Tenant) -> None:
    project_id = project(client, tenant)
    account_id = account(project_id)
    social = {"socialAccountId": account_id}
    cases: list[tuple[dict[str, object], str]] = [
        ({}, "config.social.socialAccountId"),
        ({"social": {"socialAccountId": "sa_nope"}}, "config.social.socialAccountId"),
        ({"social": social, "schedule": {"times": ["09:00"]}}, "config.schedule.times"),
        ({"social": social, "distributionMode": "custom"}, "config.schedule.times"),
        (
            {"social": social, "distributionMode": "custom", "schedule": {"times": ["9:00"]}},
            "config.schedule.times.0",
        ),
        (
            {
                "social": social,
                "distributionMode": "custom",
                "schedule": {"times": ["09:00", "09:00"]},
            },
            "config.schedule.times",
        ),
        (
            {
                "social": social,
                "distributionMode": "custom",
                "schedule": {"times": [f"0{h}:00" for h in range(6)]},
            },
            "config.schedule.times",
        ),
        (
            {
                "social": social,
                "distributionMode": "custom",
                "schedule": {"times": ["09:00"]},
                "postsPerDay": 2,
            },
            "config.postsPerDay",
        ),
        ({"social": social, "postsPerDay": 6}, "config.postsPerDay"),
        ({"social": social, "distributionMode": "sometimes"}, "config.distributionMode"),
        ({"social": social, "generationMode": "auto"}, "config.generationMode"),
    ]
    for config, field in cases:
        error = assert_error(_install(client, tenant, project_id, config), 422, "VALIDATION")
        assert field in [f["field"] for f in error["details"]["fields"]], (config, error)


def test_one_layer_per_account(client: TestClient, tenant: Tenant) -> None:
    project_id = project(client, tenant)
    account_id = account(project_id)
    first = install_layer(client, tenant, project_id, account_id)
    config = {"social": {"socialAccountId": account_id}}
    error = assert_error(_install(client, tenant, project_id, config), 409, "CONFLICT")
    assert error["details"]["layerId"] == first["id"]
    other = install_layer(client, tenant, project_id, account(project_id, "instagram"))
    patched = client.patch(
        f"/v1/layers/{other['id']}", json={"config": config}, headers=tenant.headers(test=True)
    )
    assert_error(patched, 409, "CONFLICT")
    gone = client.delete(f"/v1/layers/{first['id']}", headers=tenant.headers(test=True))
    assert gone.status_code in (200, 204), gone.text
    install_layer(client, tenant, project_id, account_id)


def test_custom_times_replan_and_keep_slots_holding_content(
    client: TestClient, tenant: Tenant
) -> None:
    project_id = project(client, tenant)
    layer = install_layer(client, tenant, project_id, account(project_id))
    first = slots(layer["id"])[0]
    held = completed_container(project_id)
    run = execute(
        client, tenant.headers(test=True), layer["id"], "attach-to-schedule", {"containerId": held}
    )
    done = wait_for_run(client, tenant.headers(test=True), run["runId"])
    assert done["status"] == "completed", done
    assert done["output"]["scheduledPostId"] == first.id
    patch = {"config": {"distributionMode": "custom", "schedule": {"times": ["08:15", "20:45"]}}}
    response = client.patch(
        f"/v1/layers/{layer['id']}", json=patch, headers=tenant.headers(test=True)
    )
    assert response.status_code == 200, response.text
    refresh = wait_for(lambda: _runs(client, tenant, layer["id"], "refresh-schedule"))
    assert refresh[0]["trigger"] == "config_change"
    wait_for_run(client, tenant.headers(test=True), refresh[0]["id"])
    rows = slots(layer["id"])
    kept = [r for r in rows if r.id == first.id]
    assert kept and kept[0].container_id == held and kept[0].status == "ready"
    empty = [r for r in rows if r.container_id is None]
    assert {r.scheduled_at.astimezone(LA).strftime("%H:%M") for r in empty} == {"08:15", "20:45"}
    assert len(empty) == 6
    # Manual mode: no empty slots left; the one holding content stays.
    response = client.patch(
        f"/v1/layers/{layer['id']}",
        json={"config": {"distributionMode": "manual", "schedule": None}},
        headers=tenant.headers(test=True),
    )
    assert response.status_code == 200, response.text
    wait_for(lambda: [r.id for r in slots(layer["id"])] == [first.id])


def test_every_trigger_key_starts_refresh_schedule(client: TestClient, tenant: Tenant) -> None:
    project_id = project(client, tenant)
    layer = install_layer(client, tenant, project_id, account(project_id))
    patches: list[dict[str, object]] = [
        {"distributionMode": "custom", "schedule": {"times": ["09:00"]}},
        {"schedule": {"times": ["09:00", "12:00"]}},
        {"postsPerDay": 2},
        {"willPublish": True},
        {"contentLayerSourceIds": [layer["id"]]},
        {"generationMode": "manual"},  # the default: no change, no run
        {"generationMode": "automatic"},
    ]
    counts = []
    for patch in patches:
        response = client.patch(
            f"/v1/layers/{layer['id']}", json={"config": patch}, headers=tenant.headers(test=True)
        )
        assert response.status_code == 200, (patch, response.text)
        counts.append(len(_runs(client, tenant, layer["id"], "refresh-schedule")))
    assert counts == [1, 2, 3, 4, 5, 5, 6]


def test_a_timezone_change_does_not_move_scheduled_posts(
    client: TestClient, tenant: Tenant
) -> None:
    project_id = project(client, tenant)
    layer = install_layer(client, tenant, project_id, account(project_id))
    container = completed_container(project_id)
    run = execute(
        client,
        tenant.headers(test=True),
        layer["id"],
        "attach-to-schedule",
        {"containerId": container},
    )
    wait_for_run(client, tenant.headers(test=True), run["runId"])
    before = {r.id: r.scheduled_at for r in slots(layer["id"]) if r.container_id}
    response = client.patch(
        f"/v1/projects/{project_id}",
        json={"timezone": "Asia/Kathmandu"},
        headers=tenant.headers(test=True),
    )
    assert response.status_code == 200, response.text
    assert {r.id: r.scheduled_at for r in slots(layer["id"]) if r.container_id} == before
    refresh = execute(client, tenant.headers(test=True), layer["id"], "refresh-schedule")
    wait_for_run(client, tenant.headers(test=True), refresh["runId"])
    rows = slots(layer["id"])
    assert {r.id: r.scheduled_at for r in rows if r.container_id} == before
    kathmandu = ZoneInfo("Asia/Kathmandu")
    empty = {
        r.scheduled_at.astimezone(kathmandu).strftime("%H:%M") for r in rows if not r.container_id
    }
    assert empty == {"10:00"}


def test_ready_content_fills_the_earliest_slots_and_widens_the_horizon(
    client: TestClient, tenant: Tenant
) -> None:
    project_id = project(client, tenant)
    account_id = account(project_id)
    containers = [completed_container(project_id) for _ in range(5)]
    completed_container(project_id, social_account_id=account(project_id, "instagram"))
    layer = install_layer(client, tenant, project_id, account_id)
    rows = slots(layer["id"])
    assert len(rows) == 5  # horizon = max(3, ceil(5 / 1)) days of one slot
    assert [r.container_id for r in rows] == containers  # oldest content first
    assert all(r.status == "ready" for r in rows)


def test_execute_refuses_internal_and_scheduled_commands(
    client: TestClient, tenant: Tenant
) -> None:
    project_id = project(client, tenant)
    layer = install_layer(client, tenant, project_id, account(project_id))
    for command in ("initialize", "process-due", "recover-overdue"):
        response = client.post(
            f"/api/project-layers/{layer['id']}/execute",
            json={"commandId": command, "parameters": {}},
            headers=tenant.headers(test=True),
        )
        assert_error(response, 422, "COMMAND_NOT_EXECUTABLE")
    response = client.post(
        f"/api/project-layers/{layer['id']}/execute",
        json={"commandId": "attach-to-schedule", "parameters": {}},
        headers=tenant.headers(test=True),
    )
    assert_error(response, 422, "VALIDATION")


def test_attach_without_empty_slot_is_a_clean_conflict(client: TestClient, tenant: Tenant) -> None:
    project_id = project(client, tenant)
    layer = install_layer(
        client, tenant, project_id, account(project_id), distributionMode="manual"
    )
    run = execute(
        client,
        tenant.headers(test=True),
        layer["id"],
        "attach-to-schedule",
        {"containerId": completed_container(project_id)},
    )
    failed = wait_for_run(client, tenant.headers(test=True), run["runId"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "CONFLICT"
    assert datetime.now(UTC)  # (the run's error is the envelope's code)
