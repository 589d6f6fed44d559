"""Managing a project from the console: create it (the brief form), edit its brief, archive
and restore it, its app media (URL, upload, delete), its influencers (create, training card),
an account's posting mode, and why a post will not publish. Every action is checked through
the API, which must see the same thing."""

from __future__ import annotations

import html
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit.db import get_database
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount
from tests.catalog.social_distribution.helpers import (
    account,
    completed_container,
    install_layer,
    slots,
)
from tests.catalog.social_distribution.helpers import project as la_project
from tests.console.helpers import browser, follow, post, sign_in
from tests.engine.helpers import execute, wait_for_run
from tests.support import ACME, Tenant, png_bytes, wait_for_job

BRIEF = {
    "name": "Acme Coffee",
    "appName": "Acme Coffee",
    "tagline": "Coffee that shows up",
    "appDescription": "",
    "timezone": "Europe/Paris",
    "primaryLanguage": "en",
    "brandVoice": "witty",
    "targetGender": "all",
    "customerExternalId": "",
    "ownerEmail": "",
}


def _text(page: Any) -> str:
    return html.unescape(page.text)


def test_create_a_project_keeps_what_was_typed_and_says_what_is_wrong(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    empty = web.get("/console/projects")
    assert "Create your first project" in empty.text and "curl" not in empty.text
    form = web.get("/console/projects/new")
    assert form.status_code == 200
    assert 'maxlength="30"' in form.text  # the API schema's bounds
    assert 'maxlength="1000"' in form.text

    typed = {
        **BRIEF,
        "name": "ab",
        "appDescription": "Too short to be a brief.",
        "primaryLanguage": "english!",
        "ownerEmail": "owner@",
        "tagline": "x" * 81,
    }
    refused = post(web, "/console/projects", csrf, **typed)
    assert refused.status_code == 422
    page = _text(refused)
    assert "Too short: at least 3 characters (this has 2)." in page
    assert "Too short: at least 100 characters (this has 24)." in page
    assert "Not a language tag: use a code such as en, es or pt-BR." in page
    assert "Too long: at most 80 characters (this has 81)." in page
    assert "Not a valid e-mail address" in page
    # Nothing typed is lost.
    assert 'value="ab"' in refused.text and ">Too short to be a brief.</textarea>" in page
    assert 'value="english!"' in refused.text and 'value="owner@"' in refused.text
    assert '<option value="Europe/Paris" selected>' in refused.text
    assert '<option value="witty" selected>' in refused.text
    assert client.get("/v1/projects", headers=tenant.headers(test=True)).json()["items"] == []

    created = post(
        web, "/console/projects", csrf, **{**BRIEF, "appDescription": ACME["appDescription"]}
    )
    assert created.status_code == 303
    overview = follow(web, created)
    assert "Created Acme Coffee. Keyword research and the first influencer have started." in (
        _text(overview)
    )
    project_id = created.headers["location"].rsplit("/", 1)[-1]
    got = client.get(f"/v1/projects/{project_id}", headers=tenant.headers(test=True)).json()
    assert got["timezone"] == "Europe/Paris" and got["brandVoice"] == "witty"
    assert got["tagline"] == "Coffee that shows up" and got["customerExternalId"] is None
    influencers = client.get(
        f"/v1/projects/{project_id}/influencers", headers=tenant.headers(test=True)
    ).json()["items"]
    assert len(influencers) == 1  # the same side effects as the API's create


def test_edit_the_brief_archive_and_restore(client: TestClient, app: Any, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    project_id = client.post("/v1/projects", json=ACME, headers=headers).json()["id"]
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    settings = f"/console/projects/{project_id}/settings"
    page = web.get(settings).text
    assert 'value="Acme Coffee"' in page and "Archive project" in page

    values = {
        **BRIEF,
        "appDescription": ACME["appDescription"],
        "customerExternalId": "acme-coffee",
        "back": settings,
    }
    bad = post(web, f"/console/projects/{project_id}/brief", csrf, **{**values, "name": "  "})
    assert bad.status_code == 422
    assert "Not saved:" in bad.text and 'value="  "' in bad.text
    assert 'value="Coffee that shows up"' in bad.text  # the other fields as typed
    assert client.get(f"/v1/projects/{project_id}", headers=headers).json()["name"] == "Acme Coffee"

    saved = post(web, f"/console/projects/{project_id}/brief", csrf, **{**values, "tagline": ""})
    assert "Saved the brief." in _text(follow(web, saved))
    got = client.get(f"/v1/projects/{project_id}", headers=headers).json()
    assert got["tagline"] is None  # an emptied optional field is cleared, as PATCH null does
    assert got["timezone"] == "Europe/Paris" and got["brandVoice"] == "witty"

    archived = post(web, f"/console/projects/{project_id}/archive", csrf)
    assert "Archived Acme Coffee." in _text(follow(web, archived))
    assert client.get(f"/v1/projects/{project_id}", headers=headers).json()["status"] == "archived"
    assert project_id not in web.get("/console/projects").text
    listed = web.get("/console/projects?status=archived").text
    assert project_id in listed and "Restore" not in listed
    assert "Restore project" in web.get(settings).text

    restored = post(web, f"/console/projects/{project_id}/restore", csrf)
    assert "Restored Acme Coffee." in _text(follow(web, restored))
    assert client.get(f"/v1/projects/{project_id}", headers=headers).json()["status"] == "active"
    assert project_id in web.get("/console/projects").text


def test_app_media_by_url_by_upload_and_delete(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = client.post("/v1/projects", json=ACME, headers=headers).json()["id"]
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    base = f"/console/projects/{project_id}/media"
    assert "No logo yet." in web.get(base).text

    added = web.post(
        base, data={"csrf": csrf, "kind": "logo", "url": "https://cdn.acme.example/logo.png"}
    )
    assert "Added a logo (512×512, " in _text(follow(web, added))
    refused = web.post(
        base, data={"csrf": csrf, "kind": "screenshot", "url": "http://localhost/x.png"}
    )
    assert refused.status_code == 422
    assert 'value="http://localhost/x.png"' in refused.text  # kept
    assert '<option value="screenshot" selected>' in refused.text

    shot = png_bytes((590, 1278))
    uploaded = web.post(
        f"{base}/upload",
        data={"csrf": csrf, "kind": "screenshot"},
        files={"file": ("home.png", shot, "image/png")},
    )
    page = _text(follow(web, uploaded))
    assert "Added a screenshot (590×1278, " in page
    assert "590 × 1278" in page and "Uploaded home.png" in page
    wrong = web.post(
        f"{base}/upload",
        data={"csrf": csrf, "kind": "logo"},
        files={"file": ("notes.txt", b"just text", "text/plain")},
    )
    assert wrong.status_code == 422 and "notes.txt: The file is of an unknown type" in _text(wrong)
    none = web.post(f"{base}/upload", data={"csrf": csrf, "kind": "logo"})
    assert none.status_code == 422 and "Choose a file" in none.text

    items = client.get(f"/v1/projects/{project_id}/app-media", headers=headers).json()["items"]
    assert sorted(m["kind"] for m in items) == ["logo", "screenshot"]
    upload_row = next(m for m in items if m["kind"] == "screenshot")
    assert upload_row["url"] == "upload:home.png" and upload_row["byteSize"] == len(shot)
    assert f"{upload_row['byteSize'] / 1024:.1f} KB" in page

    gone = post(web, f"{base}/{upload_row['id']}/delete", csrf)
    assert "Deleted the screenshot." in _text(follow(web, gone))
    items = client.get(f"/v1/projects/{project_id}/app-media", headers=headers).json()["items"]
    assert [m["kind"] for m in items] == ["logo"]


def test_influencers_create_and_follow_training(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = client.post(
        "/v1/projects", json={"name": "No brief", "timezone": "UTC"}, headers=headers
    ).json()["id"]
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    base = f"/console/projects/{project_id}/influencers"
    assert "No influencers yet" in web.get(base).text

    too_long = post(web, base, csrf, gender="male", ageRange="adult", prompt="x" * 1001)
    assert too_long.status_code == 422
    assert "Too long: at most 1000 characters (this has 1001)." in _text(too_long)
    assert '<option value="male" selected>' in too_long.text

    created = post(web, base, csrf, gender="male", ageRange="adult", prompt="wears glasses")
    assert created.status_code == 303
    people = client.get(f"/v1/projects/{project_id}/influencers", headers=headers).json()["items"]
    assert len(people) == 1 and people[0]["gender"] == "male"
    influencer_id = people[0]["influencerId"]
    jobs = client.get(f"/v1/influencers/{influencer_id}", headers=headers).json()
    assert jobs["prompt"] == "wears glasses"
    card = web.get(f"/console/influencers/{influencer_id}/card")
    assert card.status_code == 200 and f'id="inf-{influencer_id}"' in card.text
    if 'hx-trigger="every 1s"' in card.text:  # still training: the card polls
        assert 'class="progress"' in card.text

    job_id = _job_of(influencer_id)
    assert wait_for_job(client, job_id, headers)["status"] == "completed"
    done = web.get(f"/console/influencers/{influencer_id}/card").text
    assert "every 1s" not in done and 'data-status="ready"' in done and "<img" in done


def _job_of(influencer_id: str) -> str:
    from layers.models.jobs import Job  # the job id is not in the influencer's API shape

    with get_database().transaction(write=False) as db:
        job_id = db.scalar(sa.select(Job.id).where(Job.subject_id == influencer_id))
    assert job_id
    return str(job_id)


def test_posting_mode_and_why_a_post_will_not_publish(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = la_project(client, tenant)
    account_id = account(project_id, posting_mode="automatic")
    layer = install_layer(client, tenant, project_id, account_id)  # willPublish off by default
    container_id = completed_container(project_id)
    attach = execute(
        client, headers, layer["id"], "attach-to-schedule", {"containerId": container_id}
    )
    assert wait_for_run(client, headers, attach["runId"])["status"] == "completed"
    post_id = next(p.id for p in slots(layer["id"]) if p.container_id == container_id)
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    calendar = f"/console/projects/{project_id}/schedule"

    page = _text(web.get(calendar))
    assert "publishing off" in page
    assert page.count('data-code="WILL_PUBLISH_OFF"') == 1  # the empty slots hold nothing
    assert f"/console/layers/{layer['id']}?tab=config" in page

    # Manual posting, set from Settings: the API sees it, and the post says so.
    settings = f"/console/projects/{project_id}/settings"
    changed = post(
        web,
        f"/console/social-accounts/{account_id}/posting-mode",
        csrf,
        postingMode="manual",
        back=settings,
    )
    assert "is now in manual posting" in _text(follow(web, changed))
    got = client.get(f"/v1/social-accounts/{account_id}", headers=headers).json()
    assert got["postingMode"] == "manual"
    page = _text(web.get(calendar))
    assert 'data-code="ACCOUNT_POSTING_MODE_MANUAL"' in page
    assert "Change the posting mode" in page

    # Turn willPublish on and break the account: the post says it is held.
    patched = client.patch(
        f"/v1/layers/{layer['id']}", json={"config": {"willPublish": True}}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    with get_database().transaction() as db:
        db.execute(
            sa.update(SocialAccount)
            .where(SocialAccount.id == account_id)
            .values(healthy=False, status="reauth_required")
        )
    page = _text(web.get(calendar))
    assert 'data-code="WILL_PUBLISH_OFF"' not in page
    assert 'data-code="ACCOUNT_UNHEALTHY"' in page and "needs to be reconnected" in page

    # Healthy, automatic, willPublish on: nothing to say.
    with get_database().transaction() as db:
        db.execute(
            sa.update(SocialAccount)
            .where(SocialAccount.id == account_id)
            .values(healthy=True, status="connected")
        )
    post(web, f"/console/social-accounts/{account_id}/posting-mode", csrf, postingMode="automatic")
    page = web.get(calendar).text
    assert post_id in page and "publish-notes" not in page

    # A paused layer publishes none of its slots.
    paused = client.post(f"/v1/layers/{layer['id']}/pause", headers=headers)
    assert paused.status_code == 200, paused.text
    page = _text(web.get(calendar))
    assert 'data-code="LAYER_PAUSED"' in page and "is paused" in page
    with get_database().transaction(write=False) as db:
        assert db.get(ScheduledPost, post_id) is not None


def test_a_key_without_write_scopes_sees_no_forms(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    from tests.support import key_with_scopes

    headers = tenant.headers(test=True)
    project_id = client.post("/v1/projects", json=ACME, headers=headers).json()["id"]
    reader = key_with_scopes(tenant, ["projects:read", "influencers:read"], test=True)
    web = browser(app)
    csrf = sign_in(web, reader)
    assert "New project" not in web.get("/console/projects").text
    assert "Upload from your computer" not in web.get(f"/console/projects/{project_id}/media").text
    refused = post(web, "/console/projects", csrf, **BRIEF)
    assert refused.status_code == 303
    assert "projects:write" in follow(web, refused).text
