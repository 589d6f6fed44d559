"""The whole partner flow with a test key: connect through the sandbox consent page, see the
account, publish a post through the sandbox."""

from __future__ import annotations

from fastapi.testclient import TestClient

from layers.publishing import protocol as publishing
from tests.social.conftest import Contents
from tests.social.helpers import (
    RETURN_URL,
    attempts_of,
    events_of,
    local_path,
    new_post,
    new_project,
    oauth_url,
    post_row,
    query_of,
    set_posting_mode,
)
from tests.support import Tenant, wait_for


def test_test_key_connects_through_the_consent_page_and_publishes(
    client: TestClient, tenant: Tenant, contents: Contents
) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, tenant, test=True)

    started = oauth_url(client, tenant, project_id, "tiktok", test=True)
    assert started["state"].startswith("st_")
    assert started["authorizeUrl"].startswith("http://testserver/sandbox/oauth/tiktok/authorize?")
    assert started["expiresAt"].endswith("Z")

    status = client.get(
        f"/v1/projects/{project_id}/social/oauth-status",
        params={"state": started["state"]},
        headers=headers,
    ).json()
    assert status["status"] == "pending" and status["socialAccountId"] is None

    # The consent page is what a person (a browser) sees: one button.
    page = client.get(local_path(started["authorizeUrl"]), headers={"Accept": "text/html"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "Allow" in page.text and "TikTok" in page.text and "Acme Coffee" in page.text

    # One click (one GET) completes it: the consent page redirects to our callback, the
    # callback to the partner's returnUrl.
    allowed = client.get(
        local_path(started["authorizeUrl"]) + "&decision=allow&handle=acme.runs",
        follow_redirects=False,
    )
    assert allowed.status_code == 302
    assert allowed.headers["location"].startswith(
        "http://testserver/v1/social/oauth/callback/tiktok?"
    )
    back = client.get(local_path(allowed.headers["location"]), follow_redirects=False)
    assert back.status_code == 302
    assert back.headers["location"].startswith(RETURN_URL + "?")
    assert query_of(back.headers["location"]) == {"state": started["state"], "status": "success"}

    status = client.get(
        f"/v1/projects/{project_id}/social/oauth-status",
        params={"state": started["state"]},
        headers=headers,
    ).json()
    assert status["status"] == "completed", status
    account_id = status["socialAccountId"]
    assert account_id.startswith("sa_")

    listed = client.get(f"/v1/projects/{project_id}/social-accounts", headers=headers).json()
    assert [a["socialAccountId"] for a in listed["items"]] == [account_id]
    account = listed["items"][0]
    assert account["platform"] == "tiktok" and account["handle"] == "acme.runs"
    assert account["status"] == "connected" and account["healthy"] is True
    assert account["tokenExpiresAt"].endswith("Z")
    assert len(events_of(account_id, "social_account.connected")) == 1

    set_posting_mode(client, tenant, account_id, "automatic", test=True)
    post_id = new_post(account_id, origin="api")
    report = publishing.dispatch_due()
    assert post_id in report.claimed or post_row(post_id).status != "ready"

    posted = wait_for(lambda: (p := post_row(post_id)).status == "posted" and p)
    assert posted.platform_post_id and posted.platform_url
    assert posted.platform_url.startswith("https://www.tiktok.com/@acme.runs/photo/")
    assert posted.posted_at is not None and posted.claim_count == 1
    assert [a.status for a in attempts_of(post_id)] == ["accepted"]
    assert len(events_of(post_id, "post.published")) == 1
    assert contents.resolved.count(post_id) == 1  # other tests' posts may be dispatched too
