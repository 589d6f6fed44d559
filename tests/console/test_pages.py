"""The console's screens through a browser-like client: sign-in, every page, CSRF, sessions."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from layers.kit import db as kit_db
from layers.orgs import service as orgs
from tests.console.helpers import browser, csrf_of, follow, post, sign_in
from tests.engine.helpers import execute, install, new_project, wait_for_run
from tests.support import ACME, Tenant, key_with_scopes, new_social_account, wait_for_job


def test_root_and_console_send_a_stranger_to_sign_in(app: Any) -> None:
    web = browser(app)
    assert web.get("/").headers["location"] == "/console"
    assert web.get("/console").headers["location"] == "/console/sign-in"
    page = web.get("/console/projects")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/console/sign-in?next=")
    sign_in_page = web.get("/console/sign-in")
    assert "Sign in to Layers" in sign_in_page.text
    assert "layers_signin_csrf" in sign_in_page.headers["set-cookie"]


def test_sign_in_sets_a_signed_httponly_cookie_without_the_secret(app: Any, tenant: Tenant) -> None:
    web = browser(app)
    sign_in(web, tenant.test)
    cookie = next(c for c in web.cookies.jar if c.name == "layers_session")
    assert tenant.test.split("_")[-1] not in cookie.value
    assert cookie.has_nonstandard_attr("HttpOnly")
    page = web.get("/console/projects")
    assert "Test mode" in page.text


def test_sign_in_refuses_a_bad_key_and_a_forged_form(app: Any, tenant: Tenant) -> None:
    web = browser(app)
    page = web.get("/console/sign-in")
    bad = web.post("/console/sign-in", data={"apiKey": "lp_test_nope", "csrf": csrf_of(page.text)})
    assert bad.status_code == 303
    again = web.get(bad.headers["location"])
    assert "Sign-in refused" in again.text and "Malformed API key" in again.text
    forged = browser(app).post("/console/sign-in", data={"apiKey": tenant.test, "csrf": "x"})
    assert forged.status_code == 403
    assert "CSRF_REFUSED" in forged.text


def test_every_post_needs_the_session_csrf_token(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, headers)
    layer = install(client, headers, project_id)
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    url = f"/console/layers/{layer['id']}/execute"
    refused = web.post(url, data={"commandId": "refresh"})
    assert refused.status_code == 403
    wrong = web.post(url, data={"commandId": "refresh", "csrf": "not-it"})
    assert wrong.status_code == 403
    runs = client.get(f"/v1/layers/{layer['id']}/runs?commandId=refresh", headers=headers).json()
    assert runs["items"] == []
    by_header = web.post(url, data={"commandId": "refresh"}, headers={"X-CSRF-Token": csrf})
    assert by_header.status_code == 303


def test_sign_out_ends_the_session(app: Any, tenant: Tenant) -> None:
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    out = post(web, "/console/sign-out", csrf)
    assert out.status_code == 303 and out.headers["location"] == "/console/sign-in"
    assert web.get("/console/projects").status_code == 303


def test_a_revoked_key_ends_its_console_session(app: Any, tenant: Tenant) -> None:
    token = key_with_scopes(tenant, ["*"], test=True)
    web = browser(app)
    sign_in(web, token)
    with kit_db.get_database().transaction() as db:
        principal = orgs.authenticate(db, f"Bearer {tenant.test}", None)
        key_id = orgs.authenticate(db, f"Bearer {token}", None).key_id
        orgs.revoke_key(db, principal, key_id)
    page = web.get("/console/projects")
    assert page.status_code == 303
    back = web.get("/console/sign-in")
    assert "revoked" in back.text


def test_test_and_live_data_never_mix(client: TestClient, app: Any, tenant: Tenant) -> None:
    live_project = new_project(client, tenant.headers(), name="Live only project")
    test_project = new_project(client, tenant.headers(test=True), name="Test only project")
    web = browser(app)
    sign_in(web, tenant.test)
    page = web.get("/console/projects").text
    assert "Test only project" in page and "Live only project" not in page
    assert web.get(f"/console/projects/{live_project}").status_code == 404
    live = browser(app)
    sign_in(live, tenant.live)
    page = live.get("/console/projects").text
    assert "Live only project" in page and "Test only project" not in page
    assert live.get(f"/console/projects/{test_project}").status_code == 404


def test_other_tenants_objects_are_not_found(
    client: TestClient, app: Any, tenant: Tenant, other_tenant: Tenant
) -> None:
    headers = other_tenant.headers(test=True)
    project_id = new_project(client, headers)
    layer = install(client, headers, project_id)
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    assert web.get(f"/console/projects/{project_id}").status_code == 404
    assert web.get(f"/console/layers/{layer['id']}").status_code == 404
    refused = post(web, f"/console/layers/{layer['id']}/execute", csrf, commandId="refresh")
    page = follow(web, refused)
    assert "No project layer" in page.text or "No layer" in page.text


def test_every_screen_renders(client: TestClient, app: Any, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, headers, name="Screens project")
    new_social_account(project_id, handle="screens.shop")
    layer = install(client, headers, project_id)
    run = execute(client, headers, layer["id"], "three-steps", {"marker": "screens"})
    wait_for_run(client, headers, run["runId"])
    web = browser(app)
    sign_in(web, tenant.test)
    pages = {
        "/console/projects": ["Screens project"],
        f"/console/projects/{project_id}": ["Brief", "Keywords", "Influencers", "App media"],
        f"/console/projects/{project_id}/layers": ["Test pipeline", layer["id"]],
        f"/console/projects/{project_id}/content": ["No content yet"],
        f"/console/projects/{project_id}/schedule": ["Week from", "Nothing scheduled"],
        f"/console/projects/{project_id}/settings": ["@screens.shop", "Connect account"],
        f"/console/catalog?project={project_id}": ["Test pipeline", "Install…", "three-steps"],
        f"/console/layers/{layer['id']}?tab=config": ["Greeting", "View as JSON", "History"],
        f"/console/layers/{layer['id']}?tab=commands": ["three-steps", "Run now", "Marker"],
        f"/console/layers/{layer['id']}?tab=runs": [run["runId"], "test.transform", "Logs"],
        f"/console/layers/{layer['id']}?tab=schedule": ["Week from"],
        f"/console/runs/{run['runId']}/panel": ["test.load", "test.save", "completed"],
        f"/console/runs/{run['runId']}/logs": ["loaded 3 items for screens", "End of log"],
    }
    for url, needles in pages.items():
        page = web.get(url)
        assert page.status_code == 200, (url, page.text[:500])
        for needle in needles:
            assert needle in page.text, (url, needle)
    for start in ("0001-01-01", "9999-12-31", "2026-99-99"):  # a week off the calendar: today's
        page = web.get(f"/console/projects/{project_id}/schedule?start={start}")
        assert page.status_code == 200 and "Week from" in page.text, (start, page.text[:500])


def test_a_key_without_the_scope_is_refused_like_the_api(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, headers)
    layer = install(client, headers, project_id)
    reader = key_with_scopes(tenant, ["projects:read", "layers:read"], test=True)
    web = browser(app)
    csrf = sign_in(web, reader)
    assert web.get(f"/console/layers/{layer['id']}?tab=commands").status_code == 200
    assert web.get(f"/console/layers/{layer['id']}?tab=config").status_code == 200
    assert "Install…" not in web.get("/console/catalog").text
    refused = post(web, f"/console/layers/{layer['id']}/execute", csrf, commandId="refresh")
    page = follow(web, refused)
    assert "lacks the &#39;layers:execute&#39; scope" in page.text
    api = client.post(
        f"/api/project-layers/{layer['id']}/execute",
        json={"commandId": "refresh"},
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert api.status_code == 403
    assert web.get(f"/console/projects/{project_id}/settings").status_code == 403


def test_a_running_activity_shows_its_heartbeat_and_the_panel_keeps_polling(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    from tests.support import wait_for

    headers = tenant.headers(test=True)
    layer = install(client, headers, new_project(client, headers))
    run = execute(client, headers, layer["id"], "crunch", {"items": 40, "delay": 0.05})
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    url = f"/console/runs/{run['runId']}/panel"

    def beating() -> str | None:
        text: str = web.get(url).text
        return text if "♥" in text else None

    live = wait_for(beating, timeout=20)
    assert 'hx-trigger="every 1s"' in live and "test.crunch" in live and "Cancel" in live
    logs = web.get(f"/console/runs/{run['runId']}/logs?after=0").text
    assert "crunched item 0" in logs and 'hx-trigger="every 1s"' in logs
    follow(web, post(web, f"/console/runs/{run['runId']}/cancel", csrf))
    done = wait_run_terminal(client, headers, run["runId"])
    assert done["status"] == "canceled"
    final = web.get(url)
    assert "hx-trigger" not in final.text and final.headers["HX-Trigger"] == "run-finished"


def wait_run_terminal(client: TestClient, headers: dict[str, str], run_id: str) -> Any:
    return wait_for_run(client, headers, run_id)


def test_the_schedule_says_why_a_post_will_not_publish(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    from datetime import UTC, datetime, timedelta

    from layers.publishing.protocol import publish_post
    from tests.social.helpers import make_account

    headers = tenant.headers(test=True)
    project = client.post("/v1/projects", json=ACME, headers=headers).json()
    job = client.post(
        f"/v1/projects/{project['id']}/content/slideshow-builder",
        json={"hook": "Beans before you run out"},
        headers=headers,
    ).json()
    assert wait_for_job(client, job["jobId"], headers)["status"] == "completed"
    manual = make_account(project["id"], handle="manual.tt", posting_mode="manual")

    def schedule(when: datetime) -> str:
        response = client.post(
            f"/v1/content/{job['containerId']}/schedule",
            json={
                "scheduledFor": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "targets": [{"socialAccountId": manual, "mode": "publish"}],
            },
            headers=headers,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["scheduledPostIds"][0])

    upcoming = schedule(datetime.now(UTC) + timedelta(hours=2))
    sent = schedule(datetime.now(UTC))
    assert publish_post(sent).status == "draft"
    web = browser(app)
    sign_in(web, tenant.test)
    page = web.get(f"/console/projects/{project['id']}/schedule").text
    assert upcoming in page and sent in page
    assert "to drafts" in page  # on the chip itself, without opening it
    assert (
        "Will not be published automatically: the TikTok account&#39;s posting mode is manual"
        in page
    )
    assert (
        "Sent to the creator&#39;s TikTok drafts inbox instead of published: the account&#39;s "
        "posting mode is manual" in page
    )
    assert 'class="small err"' not in page  # the reason is a warning, not shown twice as error
