"""OAuth connect: return URLs, states (single use, expiring), the callback, reconnects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit import db as kit_db
from layers.kit.settings import Settings
from layers.models.social import OAuthState
from layers.models.vault import VaultSecret
from layers.orgs import service as orgs
from layers.social.vault import get_vault
from tests.social.fake_platforms import FakePlatforms
from tests.social.helpers import (
    RETURN_URL,
    account_row,
    connect_live,
    connect_sandbox,
    events_of,
    follow_platform_consent,
    local_path,
    make_state,
    new_project,
    oauth_url,
    query_of,
    update_account,
)
from tests.support import Tenant, assert_error, new_tenant


def status_of(client: TestClient, tenant: Tenant, project_id: str, state: str, **kw: bool) -> dict:  # type: ignore[type-arg]
    response = client.get(
        f"/v1/projects/{project_id}/social/oauth-status",
        params={"state": state},
        headers=tenant.headers(**kw),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


# ---- return URLs ----


def key_allowing(tenant: Tenant, domains: list[str], *, test: bool = True) -> dict[str, str]:
    with kit_db.get_database().transaction() as session:
        org = session.get(orgs.Organization, tenant.org_id)
        assert org is not None
        _, token = orgs.create_api_key(
            session, org, livemode=not test, name="web", scopes=["*"],
            allowed_return_domains=domains,
        )  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("return_url", "status", "code"),
    [
        ("https://App.Example.com/social/done?x=1", 200, None),
        ("https://app.example.com:8443/done", 200, None),
        ("https://evil.example.com/done", 422, "RETURN_URL_NOT_ALLOWED"),
        ("https://app.example.com.evil.io/done", 422, "RETURN_URL_NOT_ALLOWED"),
        ("https://sub.app.example.com/done", 422, "RETURN_URL_NOT_ALLOWED"),
        ("http://app.example.com/done", 422, "VALIDATION"),
        ("javascript:alert(1)", 422, "VALIDATION"),
        ("/relative/path", 422, "VALIDATION"),
        ("https://user:pw@app.example.com/done", 422, "VALIDATION"),
    ],
)
def test_return_url_host_must_be_on_the_key_allowlist(
    client: TestClient, tenant: Tenant, return_url: str, status: int, code: str | None
) -> None:
    project_id = new_project(client, tenant, test=True)
    headers = key_allowing(tenant, ["app.example.com"])
    response = client.post(
        f"/v1/projects/{project_id}/social/oauth-url",
        json={"platform": "tiktok", "returnUrl": return_url},
        headers=headers,
    )
    if code is None:
        assert response.status_code == status, response.text
    else:
        error = assert_error(response, status, code)
        if code == "RETURN_URL_NOT_ALLOWED":
            assert error["details"]["allowedReturnDomains"] == ["app.example.com"]


@pytest.mark.parametrize(
    "return_url",
    ["http://[abc/done", "https://[::1/done", "0000", "https://app.example.com@evil.io/"],
)
def test_a_return_url_that_is_no_url_is_a_422(
    client: TestClient, tenant: Tenant, return_url: str
) -> None:
    """Found by the fuzz run: ``http://[abc`` made urlsplit raise, a 500 on oauth-url and
    reauth-url; and the document let any string through that the server then refused."""
    project_id = new_project(client, tenant, test=True)
    headers = key_allowing(tenant, ["app.example.com"])
    for path, body in (
        ("oauth-url", {"platform": "tiktok"}),
        ("reauth-url", {"socialAccountId": "sa_01J00000000000000000000000"}),
    ):
        response = client.post(
            f"/v1/projects/{project_id}/social/{path}",
            json={**body, "returnUrl": return_url},
            headers=headers,
        )
        assert assert_error(response, 422, "VALIDATION")["details"]["fields"][0]["field"] == (
            "returnUrl"
        )


def test_the_return_url_check_refuses_what_urlsplit_cannot_read() -> None:
    from types import SimpleNamespace

    from layers.kit.errors import Validation
    from layers.social.oauth import check_return_url

    principal: Any = SimpleNamespace(allowed_return_domains=["app.example.com"])
    for console in (False, True):
        with pytest.raises(Validation) as refused:
            check_return_url(principal, "http://[abc/done", console=console)
        assert refused.value.details["fields"][0]["type"] == "url_invalid"


def test_localhost_is_allowed_on_bootstrap_keys_only(client: TestClient, tenant: Tenant) -> None:
    project_id = new_project(client, tenant, test=True)
    oauth_url(client, tenant, project_id, "instagram", test=True)  # tenant keys allow localhost
    assert_error(
        client.post(
            f"/v1/projects/{project_id}/social/oauth-url",
            json={"platform": "tiktok", "returnUrl": RETURN_URL},
            headers=key_allowing(tenant, ["app.example.com"]),
        ),
        422,
        "RETURN_URL_NOT_ALLOWED",
    )


def test_live_mode_without_platform_credentials_is_a_clear_error(
    client: TestClient, tenant: Tenant, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "tiktok_client_key", None)
    project_id = new_project(client, tenant)
    error = assert_error(
        client.post(
            f"/v1/projects/{project_id}/social/oauth-url",
            json={"platform": "tiktok", "returnUrl": RETURN_URL},
            headers=tenant.headers(),
        ),
        422,
        "PLATFORM_NOT_CONFIGURED",
    )
    assert "LAYERS_TIKTOK_CLIENT_KEY" in error["message"]


def test_an_archived_project_cannot_connect(client: TestClient, tenant: Tenant) -> None:
    project_id = new_project(client, tenant, test=True)
    client.delete(f"/v1/projects/{project_id}", headers=tenant.headers(test=True))
    assert_error(
        client.post(
            f"/v1/projects/{project_id}/social/oauth-url",
            json={"platform": "tiktok", "returnUrl": RETURN_URL},
            headers=tenant.headers(test=True),
        ),
        409,
        "CONFLICT",
    )


# ---- live connects through the fake platforms ----


def test_tiktok_connect_stores_encrypted_tokens_and_their_lifetimes(
    client: TestClient, tenant: Tenant, fake: FakePlatforms
) -> None:
    project_id = new_project(client, tenant)
    started = oauth_url(client, tenant, project_id, "tiktok")
    authorize = httpx.URL(started["authorizeUrl"])
    assert authorize.path == "/v2/auth/authorize/"
    params = dict(authorize.params)
    assert params["client_key"] == "fake-tiktok-client" and params["response_type"] == "code"
    assert params["state"] == started["state"]
    assert params["redirect_uri"] == "http://testserver/v1/social/oauth/callback/tiktok"
    assert "video.publish" in params["scope"].split(",")

    back = follow_platform_consent(client, started["authorizeUrl"])
    assert query_of(back.headers["location"])["status"] == "success"
    account_id = status_of(client, tenant, project_id, started["state"])["socialAccountId"]

    account = account_row(account_id)
    assert account.platform_account_id == fake.accounts["tiktok"]["open_id"]
    assert account.handle == "acme.coffee" and account.display_name == "Acme Coffee"
    assert account.token_expires_at and account.refresh_token_expires_at
    assert timedelta(hours=23) < account.token_expires_at - clock.now() <= timedelta(hours=24)
    assert account.refresh_token_expires_at - clock.now() > timedelta(days=364)
    assert "video.publish" in account.meta["scopes"]
    with kit_db.get_database().transaction(write=False) as session:
        vault = get_vault()
        access = vault.read(session, account.access_token_vault_id or "")
        refresh = vault.read(session, account.refresh_token_vault_id or "")
        sealed = session.get(VaultSecret, account.access_token_vault_id)
        assert sealed is not None
        assert access.reveal().encode() not in sealed.ciphertext
    assert access.reveal() in fake.tokens and refresh.reveal() in fake.refresh_tokens
    assert len(events_of(account_id, "social_account.connected")) == 1


def test_instagram_connect_exchanges_for_a_long_lived_token(
    client: TestClient, tenant: Tenant, fake: FakePlatforms
) -> None:
    project_id = new_project(client, tenant)
    account_id, started = connect_live(client, tenant, project_id, "instagram")
    authorize = httpx.URL(started["authorizeUrl"])
    assert authorize.path == "/oauth/authorize"
    assert dict(authorize.params)["scope"] == (
        "instagram_business_basic,instagram_business_content_publish"
    )
    account = account_row(account_id)
    assert account.platform_account_id == fake.accounts["instagram"]["user_id"]
    assert account.meta["accountType"] == "BUSINESS"
    assert account.refresh_token_vault_id is None  # Instagram has no refresh token
    assert account.token_expires_at
    assert account.token_expires_at - clock.now() > timedelta(days=59)
    with kit_db.get_database().transaction(write=False) as session:
        token = get_vault().read(session, account.access_token_vault_id or "").reveal()
    assert fake.tokens[token].kind == "long"


def test_the_state_is_single_use(client: TestClient, tenant: Tenant, fake: FakePlatforms) -> None:
    project_id = new_project(client, tenant)
    started = oauth_url(client, tenant, project_id, "tiktok")
    consent = httpx.get(started["authorizeUrl"], follow_redirects=False)
    callback = local_path(consent.headers["location"])
    first = client.get(callback, follow_redirects=False)
    exchanges = fake.count_calls("/v2/oauth/token/")
    replay = client.get(callback, follow_redirects=False)
    assert query_of(first.headers["location"])["status"] == "success"
    assert query_of(replay.headers["location"])["status"] == "success"  # reports, no redo
    assert fake.count_calls("/v2/oauth/token/") == exchanges
    assert status_of(client, tenant, project_id, started["state"])["status"] == "completed"
    # A second consent (a fresh code) with the used state is refused without an exchange.
    again = httpx.get(started["authorizeUrl"], follow_redirects=False)
    reused = client.get(local_path(again.headers["location"]), follow_redirects=False)
    assert query_of(reused.headers["location"])["status"] == "success"  # still the first one
    assert fake.count_calls("/v2/oauth/token/") == exchanges


def test_an_expired_state_fails_without_an_exchange(
    client: TestClient, tenant: Tenant, fake: FakePlatforms
) -> None:
    project_id = new_project(client, tenant)
    started = oauth_url(client, tenant, project_id, "tiktok")
    consent = httpx.get(started["authorizeUrl"], follow_redirects=False)
    with kit_db.get_database().transaction() as session:
        session.execute(
            sa.update(OAuthState)
            .where(OAuthState.id == started["state"])
            .values(expires_at=clock.now() - timedelta(seconds=1))
        )
    assert status_of(client, tenant, project_id, started["state"])["status"] == "failed"
    back = client.get(local_path(consent.headers["location"]), follow_redirects=False)
    assert query_of(back.headers["location"]) == {
        "state": started["state"],
        "status": "error",
        "error": "STATE_EXPIRED",
    }
    assert fake.count_calls("/v2/oauth/token/") == 0
    failed = status_of(client, tenant, project_id, started["state"])
    assert failed["error"]["code"] == "STATE_EXPIRED" and failed["socialAccountId"] is None


def test_a_refused_consent_and_a_bad_code_fail_the_state(
    client: TestClient, tenant: Tenant, fake: FakePlatforms
) -> None:
    project_id = new_project(client, tenant, test=True)
    started = oauth_url(client, tenant, project_id, "instagram", test=True)
    denied = client.get(
        local_path(started["authorizeUrl"]) + "&decision=deny", follow_redirects=False
    )
    back = client.get(local_path(denied.headers["location"]), follow_redirects=False)
    assert query_of(back.headers["location"])["error"] == "ACCESS_DENIED"
    failed = status_of(client, tenant, project_id, started["state"], test=True)
    assert failed["status"] == "failed" and failed["error"]["code"] == "ACCESS_DENIED"

    live_project = new_project(client, tenant)
    live = oauth_url(client, tenant, live_project, "tiktok")
    forged = client.get(
        f"/v1/social/oauth/callback/tiktok?code=forged&state={live['state']}",
        follow_redirects=False,
    )
    assert query_of(forged.headers["location"])["error"] == "PLATFORM_ERROR"
    error = status_of(client, tenant, live_project, live["state"])["error"]
    assert error["code"] == "PLATFORM_ERROR" and "invalid_grant" in error["message"]


def test_a_callback_error_with_nul_characters_fails_the_state_cleanly(
    client: TestClient, tenant: Tenant
) -> None:
    # PostgreSQL stores no NUL character: the platform's text is stored without it.
    project_id = new_project(client, tenant, test=True)
    started = oauth_url(client, tenant, project_id, "tiktok", test=True)
    back = client.get(
        f"/v1/social/oauth/callback/tiktok?state={started['state']}"
        "&error=server%00error&error_description=went%00wrong",
        follow_redirects=False,
    )
    assert back.status_code == 302, back.text
    assert query_of(back.headers["location"])["error"] == "OAUTH_ERROR"
    failed = status_of(client, tenant, project_id, started["state"], test=True)
    assert failed["status"] == "failed" and failed["error"]["message"] == "wentwrong"


@pytest.mark.parametrize(
    "query", ["", "?state=nope", "?state=st_01J00000000000000000000000&code=x", "?code=x"]
)
def test_a_callback_without_a_known_state_is_an_error_page(client: TestClient, query: str) -> None:
    response = client.get(f"/v1/social/oauth/callback/tiktok{query}", follow_redirects=False)
    assert response.status_code in (400, 404)
    assert "text/html" in response.headers["content-type"]
    assert "could not connect" in response.text
    assert client.get("/v1/social/oauth/callback/myspace?state=x").status_code == 404


def test_a_state_of_another_platform_is_unknown_to_the_callback(
    client: TestClient, tenant: Tenant
) -> None:
    project_id = new_project(client, tenant, test=True)
    started = oauth_url(client, tenant, project_id, "tiktok", test=True)
    response = client.get(f"/v1/social/oauth/callback/instagram?state={started['state']}&code=x")
    assert response.status_code == 404


# ---- status scoping ----


def test_oauth_status_is_scoped_to_project_org_mode_and_key(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    project_id = new_project(client, tenant, test=True)
    other_project = new_project(client, tenant, test=True)
    started = oauth_url(client, tenant, project_id, "tiktok", test=True)
    state = started["state"]
    assert status_of(client, tenant, project_id, state, test=True)["status"] == "pending"
    for project, headers in (
        (other_project, tenant.headers(test=True)),
        (project_id, tenant.headers()),
        (project_id, other_tenant.headers(test=True)),
    ):
        response = client.get(
            f"/v1/projects/{project}/social/oauth-status", params={"state": state}, headers=headers
        )
        assert_error(response, 404, "NOT_FOUND")
    # By state alone: only the key that created it.
    assert (
        client.get(f"/v1/social/oauth-status/{state}", headers=tenant.headers(test=True)).json()[
            "status"
        ]
        == "pending"
    )
    second_key = key_allowing(tenant, ["localhost"])
    assert_error(
        client.get(f"/v1/social/oauth-status/{state}", headers=second_key), 404, "NOT_FOUND"
    )
    # The project-scoped status serves every key of the organization.
    assert (
        client.get(
            f"/v1/projects/{project_id}/social/oauth-status",
            params={"state": state},
            headers=second_key,
        ).status_code
        == 200
    )


# ---- reconnect ----


def test_reconnecting_updates_the_account_in_place_and_clears_token_error(
    client: TestClient, tenant: Tenant, fake: FakePlatforms
) -> None:
    project_id = new_project(client, tenant)
    account_id, _ = connect_live(client, tenant, project_id, "tiktok")
    first = account_row(account_id)
    update_account(
        account_id,
        healthy=False,
        status="reauth_required",
        meta={**first.meta, "token_error": {"code": "CREDENTIAL_INVALID", "message": "x"}},
    )
    fake.set_account("tiktok", handle="acme.renamed")
    again, _ = connect_live(client, tenant, project_id, "tiktok")
    assert again == account_id
    account = account_row(account_id)
    assert account.healthy and account.status == "connected"
    assert "token_error" not in account.meta and account.handle == "acme.renamed"
    assert account.access_token_vault_id == first.access_token_vault_id  # rotated in place
    assert account.token_generation == first.token_generation + 1
    listed = client.get(f"/v1/projects/{project_id}/social-accounts", headers=tenant.headers())
    assert [a["socialAccountId"] for a in listed.json()["items"]] == [account_id]
    connected = events_of(account_id, "social_account.connected")
    assert [e.data["reconnected"] for e in connected] == [False, True]


def test_reauth_url_binds_to_the_account_and_refuses_another(
    client: TestClient, tenant: Tenant, fake: FakePlatforms
) -> None:
    project_id = new_project(client, tenant)
    account_id, _ = connect_live(client, tenant, project_id, "tiktok")
    started = client.post(
        f"/v1/projects/{project_id}/social/reauth-url",
        json={"socialAccountId": account_id, "returnUrl": RETURN_URL},
        headers=tenant.headers(),
    ).json()
    assert httpx.URL(started["authorizeUrl"]).path == "/v2/auth/authorize/"
    fake.set_account("tiktok", open_id="someone-else")
    back = follow_platform_consent(client, started["authorizeUrl"])
    assert query_of(back.headers["location"])["error"] == "ACCOUNT_MISMATCH"
    assert status_of(client, tenant, project_id, started["state"])["status"] == "failed"
    listed = client.get(f"/v1/projects/{project_id}/social-accounts", headers=tenant.headers())
    assert len(listed.json()["items"]) == 1

    missing = client.post(
        f"/v1/projects/{project_id}/social/reauth-url",
        json={"socialAccountId": "sa_01J00000000000000000000000", "returnUrl": RETURN_URL},
        headers=tenant.headers(),
    )
    assert_error(missing, 404, "NOT_FOUND")


def test_sandbox_handles_are_accounts_and_the_consent_page_rejects_bad_ones(
    client: TestClient, tenant: Tenant
) -> None:
    project_id = new_project(client, tenant, test=True)
    first = connect_sandbox(client, tenant, project_id, "instagram", handle="acme.one")
    again = connect_sandbox(client, tenant, project_id, "instagram", handle="acme.one")
    other = connect_sandbox(client, tenant, project_id, "instagram", handle="acme.two")
    assert first == again != other
    started = oauth_url(client, tenant, project_id, "instagram", test=True)
    bad = client.get(local_path(started["authorizeUrl"]) + "&decision=allow&handle=<script>")
    assert bad.status_code == 400 and "<script>" not in bad.text
    # A live state has no sandbox consent page.
    live = new_tenant()
    live_project = new_project(client, live)
    key_id = client.get("/v1/whoami", headers=live.headers()).json()["apiKeyId"]
    state = make_state(live_project, key_id)
    assert client.get(f"/sandbox/oauth/tiktok/authorize?state={state}").status_code == 404


def test_a_script_fetching_the_test_mode_authorize_url_connects_in_one_request(
    client: TestClient, tenant: Tenant
) -> None:
    """What the seed's quickstart does: one fetch stands in for the person who consents."""
    project_id = new_project(client, tenant, test=True)
    started = oauth_url(client, tenant, project_id, "instagram", test=True)
    answer = client.get(
        local_path(started["authorizeUrl"]), headers={"Accept": "*/*"}, follow_redirects=False
    )
    assert answer.status_code == 302
    assert query_of(answer.headers["location"]) == {
        "state": started["state"],
        "status": "success",
    }
    status = status_of(client, tenant, project_id, started["state"], test=True)
    assert status["status"] == "completed" and status["socialAccountId"].startswith("sa_")
    # single use: the same URL again does not connect twice
    again = client.get(local_path(started["authorizeUrl"]), follow_redirects=False)
    assert again.status_code == 400 and "used or has expired" in again.text
