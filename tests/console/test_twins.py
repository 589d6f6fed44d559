"""No back door: every console action is an API operation too, through the same service.

Each mutating console route names its API twin; the twin exists in the OpenAPI document with a
compatible method, and doing the action on one side shows on the other.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from layers.app import openapi_document
from layers.console import twins
from layers.console.router import router as console_router
from layers.kit.db import get_database
from layers.models.publishing import ScheduledPost
from tests.catalog.social_distribution.helpers import (
    account,
    completed_container,
    install_layer,
    slots,
)
from tests.catalog.social_distribution.helpers import project as la_project
from tests.console.helpers import browser, follow, post, sign_in
from tests.engine.helpers import execute, install, new_project, wait_for_run
from tests.support import Tenant

MUTATING = {"POST", "PATCH", "PUT", "DELETE"}


def _console_routes() -> list[tuple[str, str]]:
    return [
        (method, route.path)
        for route in console_router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    ]


def test_every_mutating_console_route_names_an_api_twin_in_the_openapi(app: Any) -> None:
    # (`app`: the twins learn the API's scopes when an app mounts the console.)
    document = openapi_document()
    mutating = {f"{m} {p}" for m, p in _console_routes() if m in MUTATING and "sign-" not in p}
    assert mutating == set(twins.API_TWINS)
    for console, twin in twins.API_TWINS.items():
        method, path = twin.split(" ", 1)
        assert path in document["paths"], twin
        assert method.lower() in document["paths"][path], twin
        assert method in MUTATING, (console, twin)
        assert twins.api_scope(twin), f"{twin} must require a scope"


def test_read_twins_exist_and_no_console_route_is_in_the_openapi(app: Any) -> None:
    document = openapi_document()
    for console, operations in twins.READ_TWINS.items():
        assert console.split(" ", 1)[1] in {p for _, p in _console_routes()}, console
        for op in operations:
            method, path = op.split(" ", 1)
            assert method.lower() in document["paths"][path], op
    served = app.openapi()["paths"]  # type: ignore[attr-defined]
    assert not [p for p in served if p.startswith("/console") or p == "/"]


def test_execute_and_retry_in_the_console_are_runs_in_the_api(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, headers)
    layer = install(client, headers, project_id)
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    started = post(
        web,
        f"/console/layers/{layer['id']}/execute",
        csrf,
        commandId="three-steps",
        **{"param.marker": "twin", "param.size": "4", "param.byGreeting": "false"},
    )
    page = follow(web, started)
    assert "Started three-steps." in page.text
    listed = client.get(f"/v1/layers/{layer['id']}/runs?commandId=three-steps", headers=headers)
    run = listed.json()["items"][0]
    assert run["trigger"] == "console"
    assert run["parameters"] == {"marker": "twin", "size": 4, "byGreeting": False}
    assert wait_for_run(client, headers, run["id"])["status"] == "completed"

    failing = execute(client, headers, layer["id"], "body-fails")  # through the API
    assert wait_for_run(client, headers, failing["runId"])["status"] == "failed"
    panel = web.get(f"/console/runs/{failing['runId']}/panel").text
    assert "the workflow body gave up" in panel and "Retry" in panel and "Traceback" in panel
    retried = follow(web, post(web, f"/console/runs/{failing['runId']}/retry", csrf))
    assert f"Retrying {failing['runId']}" in retried.text
    detail = client.get(f"/v1/runs/{failing['runId']}", headers=headers).json()
    assert len(detail["retriedBy"]) == 1


def test_bad_parameters_are_refused_inline_with_the_api_message(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    back = f"/console/layers/{layer['id']}?tab=commands"
    refused = post(
        web,
        f"/console/layers/{layer['id']}/execute",
        csrf,
        back=back,
        commandId="three-steps",
        **{"param.size": "500"},
    )
    assert refused.headers["location"] == back
    page = web.get(back).text
    assert 'class="flash error"' in page and "size" in page
    api = client.post(
        f"/api/project-layers/{layer['id']}/execute",
        json={"commandId": "three-steps", "parameters": {"size": 500}},
        headers=headers,
    )
    assert api.status_code == 422
    assert api.json()["error"]["message"] in page.replace("&#39;", "'")
    runs = client.get(f"/v1/layers/{layer['id']}/runs?commandId=three-steps", headers=headers)
    assert runs.json()["items"] == []


def test_config_form_json_and_rollback_are_config_versions(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers), {"tags": ["a"]})
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    url = f"/console/layers/{layer['id']}"
    saved = follow(
        web,
        post(
            web,
            f"{url}/config",
            csrf,
            **{"cfg.greeting": "bonjour", "cfg.size": "7", "cfg.tags": "x, y", "cfg.work": "false"},
        ),
    )
    assert "Config saved (version 2)" in saved.text and "Started refresh" in saved.text
    body = client.get(f"/v1/layers/{layer['id']}", headers=headers).json()
    assert body["config"]["greeting"] == "bonjour"
    assert body["config"]["size"] == 7 and body["config"]["tags"] == ["x", "y"]

    as_json = '{"greeting": "hola", "size": 7, "work": true}'
    follow(web, post(web, f"{url}/config-json", csrf, configJson=as_json))
    body = client.get(f"/v1/layers/{layer['id']}", headers=headers).json()
    assert body["config"] == {"greeting": "hola", "size": 7, "work": True}
    assert body["configVersion"] == 3

    restored = follow(web, post(web, f"{url}/rollback", csrf, version="1"))
    assert "Restored version 1" in restored.text
    history = client.get(f"/v1/layers/{layer['id']}/config-history", headers=headers).json()
    latest = history["items"][0]
    assert latest["source"] == "rollback" and latest["rolledBackTo"] == 1
    assert latest["config"]["greeting"] == "hello" and latest["config"]["tags"] == ["a"]

    invalid = post(web, f"{url}/config-json", csrf, configJson='{"size": 0}', back=url)
    assert invalid.status_code == 422  # the editor again, with what was typed and why
    assert 'class="flash error"' in invalid.text and "{&#34;size&#34;: 0}" in invalid.text
    assert client.get(f"/v1/layers/{layer['id']}", headers=headers).json()["configVersion"] == 4
    too_deep = post(web, f"{url}/config-json", csrf, configJson="[" * 100_000, back=url)
    assert too_deep.status_code == 422  # inline, not a 500
    assert "nested too deeply" in too_deep.text
    half_pair = post(
        web, f"{url}/config-json", csrf, configJson='{"greeting": "\\ud800"}', back=url
    )
    assert half_pair.status_code == 422
    assert "lone surrogates" in half_pair.text  # refused as the API refuses it
    assert client.get(f"/v1/layers/{layer['id']}", headers=headers).json()["configVersion"] == 4


def test_install_from_the_catalog_form(client: TestClient, app: Any, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, headers)
    account_id = account(project_id)
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    catalog = web.get(f"/console/catalog?project={project_id}").text
    assert "Social Distribution" in catalog and account_id in catalog
    installed = post(
        web,
        f"/console/projects/{project_id}/layers",
        csrf,
        templateId="social-distribution",
        mode="form",
        **{
            "cfg.social.socialAccountId": account_id,
            "cfg.distributionMode": "custom",
            "cfg.schedule.times": "09:30, 18:00",
            "cfg.willPublish": "false",
            "cfg.generationMode": "manual",
        },
    )
    layer_id = installed.headers["location"].split("/")[-1].split("?")[0]
    layer = wait_for_run_layer(client, headers, layer_id)
    assert layer["config"]["schedule"] == {"times": ["09:30", "18:00"]}
    assert layer["config"]["social"] == {"socialAccountId": account_id}
    assert sorted({s.local_time[11:16] for s in slots(layer_id) if s.local_time}) == [
        "09:30",
        "18:00",
    ]
    again = post(
        web,
        f"/console/projects/{project_id}/layers",
        csrf,
        templateId="social-distribution",
        mode="json",
        configJson=f'{{"social": {{"socialAccountId": "{account_id}"}}}}',
        back=f"/console/catalog?project={project_id}",
    )
    page = follow(web, again).text
    assert 'class="flash error"' in page  # one layer per account: the API's 409, inline


def wait_for_run_layer(client: TestClient, headers: dict[str, str], layer_id: str) -> Any:
    from tests.engine.helpers import wait_for_layer

    return wait_for_layer(client, headers, layer_id)


def test_schedule_actions_are_the_scheduled_post_services(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = la_project(client, tenant)
    account_id = account(project_id)
    layer = install_layer(client, tenant, project_id, account_id)
    planned = slots(layer["id"])
    assert len(planned) >= 3
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    tab = f"/console/layers/{layer['id']}?tab=schedule"
    page = web.get(tab).text
    assert "empty slot" in page and planned[0].id in page

    # Cancel an empty slot from the calendar; the API sees it canceled.
    follow(web, post(web, f"/console/scheduled-posts/{planned[-1].id}/cancel", csrf, back=tab))
    got = client.get(f"/v1/scheduled-posts/{planned[-1].id}", headers=headers).json()
    assert got["internalStatus"] == "canceled"

    # A post waiting for a person: Retry puts it back in line.
    container_id = completed_container(project_id)
    attach = execute(
        client, headers, layer["id"], "attach-to-schedule", {"containerId": container_id}
    )
    assert wait_for_run(client, headers, attach["runId"])["status"] == "completed"
    with get_database().transaction() as db:
        post_id = db.scalar(
            sa.select(ScheduledPost.id).where(ScheduledPost.container_id == container_id)
        )
        db.execute(
            sa.update(ScheduledPost)
            .where(ScheduledPost.id == post_id)
            .values(status="pending_manual", last_error={"code": "X", "message": "by hand"})
        )
    page = web.get(tab).text
    assert "pending manual" in page
    done = follow(web, post(web, f"/console/scheduled-posts/{post_id}/retry", csrf, back=tab))
    assert f"{post_id} is back in line" in done.text
    assert (
        client.get(f"/v1/scheduled-posts/{post_id}", headers=headers).json()["internalStatus"]
        == "ready"
    )

    # Reschedule in project time; the API reports the same instant.
    moved = post(
        web,
        f"/console/scheduled-posts/{post_id}/reschedule",
        csrf,
        back=tab,
        scheduledFor="2031-03-04T11:15",
    )
    assert "Moved" in follow(web, moved).text
    got = client.get(f"/v1/scheduled-posts/{post_id}", headers=headers).json()
    assert got["scheduledFor"] == "2031-03-04T19:15:00.000Z"  # America/Los_Angeles, PST
    # And the other way: a post canceled through the API shows canceled in the console.
    client.delete(f"/v1/scheduled-posts/{post_id}", headers=headers)
    week = web.get(f"{tab}&start=2031-03-04&view=day").text
    assert post_id in week and "canceled" in week


def test_a_console_connect_comes_back_to_the_console_but_the_api_check_is_unchanged(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = la_project(client, tenant)
    console_url = f"http://testserver/console/projects/{project_id}/settings"
    api = client.post(
        f"/v1/projects/{project_id}/social/oauth-url",
        json={"platform": "tiktok", "returnUrl": console_url},
        headers=headers,
    )
    assert api.status_code == 422, api.text
    assert api.json()["error"]["code"] in ("VALIDATION", "RETURN_URL_NOT_ALLOWED")
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    started = post(web, f"/console/projects/{project_id}/social/connect", csrf, platform="tiktok")
    assert started.status_code == 303
    authorize = started.headers["location"]
    assert authorize.startswith("http://testserver/sandbox/oauth/tiktok/authorize?")
    state = authorize.split("state=")[1].split("&")[0]
    status = client.get(
        f"/v1/projects/{project_id}/social/oauth-status?state={state}", headers=headers
    )
    assert status.json()["status"] == "pending"
    foreign = post(
        web,
        f"/console/projects/{project_id}/social/connect",
        csrf,
        platform="myspace",
        back="/console/projects",
    )
    assert 'class="flash error"' in follow(web, foreign).text


def test_only_this_servers_console_counts_as_the_console(settings: Any) -> None:
    from layers.social.oauth import is_console_url

    assert is_console_url("http://testserver/console/projects/prj_1/settings")
    for url in (
        "https://testserver/console/x",
        "http://testserver.evil.example/console/x",
        "http://testserver:8080/console/x",
        "http://user@testserver/console/x",
        "http://testserver/v1/projects",
        "http://testserver/consolex",
    ):
        assert not is_console_url(url), url
