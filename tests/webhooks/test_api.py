"""The endpoints API: validation, the URL guard, scopes, tenancy, PATCH semantics, delete."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import Tenant, assert_error, key_with_scopes, new_tenant
from tests.webhooks.helpers import create_endpoint
from tests.webhooks.receiver import Receiver

BASE = "/v1/webhook-endpoints"


def test_create_list_get_patch_delete(
    client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    headers = tenant.headers(test=True)
    created = client.post(
        BASE,
        headers=headers,
        json={
            "url": receiver.url,
            "events": ["post.published", "post.failed", "post.published"],
            "description": "Ops channel",
            "metadata": {"team": "growth", "env": "dev"},
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["signingSecret"].startswith("whsec_") and len(body["signingSecret"]) > 40
    endpoint = body["endpoint"]
    assert endpoint["id"].startswith("whe_") and endpoint["status"] == "active"
    assert endpoint["events"] == ["post.published", "post.failed"]  # duplicates dropped
    assert endpoint["apiVersion"] == "v1" and endpoint["scope"] == "own"
    assert endpoint["organizationId"] == tenant.org_id and endpoint["livemode"] is False
    assert endpoint["consecutiveFailureCount"] == 0 and endpoint["lastSuccessAt"] is None
    assert "signingSecret" not in endpoint

    listed = client.get(BASE, headers=headers).json()
    assert [e["id"] for e in listed["items"]] == [endpoint["id"]] and listed["nextCursor"] is None
    assert client.get(BASE, headers=headers, params={"status": "paused"}).json()["items"] == []
    got = client.get(f"{BASE}/{endpoint['id']}", headers=headers).json()
    assert got == endpoint
    assert "signingSecret" not in client.get(f"{BASE}/{endpoint['id']}", headers=headers).text

    patched = client.patch(
        f"{BASE}/{endpoint['id']}",
        headers=headers,
        json={"description": None, "metadata": {"env": "", "owner": "ana"}, "status": "paused"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["description"] is None
    assert patched.json()["metadata"] == {"team": "growth", "owner": "ana"}
    assert patched.json()["status"] == "paused"
    cleared = client.patch(f"{BASE}/{endpoint['id']}", headers=headers, json={"metadata": None})
    assert cleared.json()["metadata"] == {}
    assert_error(
        client.patch(f"{BASE}/{endpoint['id']}", headers=headers, json={}), 422, "VALIDATION"
    )
    assert_error(
        client.patch(f"{BASE}/{endpoint['id']}", headers=headers, json={"status": "auto_paused"}),
        422,
        "VALIDATION",
    )

    deleted = client.delete(f"{BASE}/{endpoint['id']}", headers=headers)
    assert deleted.status_code == 200 and deleted.json() == {"id": endpoint["id"], "deleted": True}
    assert_error(client.get(f"{BASE}/{endpoint['id']}", headers=headers), 404, "NOT_FOUND")


def test_unknown_events_and_bad_bodies_are_422(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    url = "http://localhost:9/hooks"
    unknown = client.post(BASE, headers=headers, json={"url": url, "events": ["post.exploded"]})
    error = assert_error(unknown, 422, "VALIDATION")
    assert error["details"]["fields"][0]["field"] == "events[0]"
    for body in (
        {"url": url, "events": []},
        {"url": url, "events": ["test.ping"] * 51},
        {"url": url},
        {"events": ["test.ping"]},
        {"url": url, "events": ["test.ping"], "scope": "everyone"},
        {"url": url, "events": ["test.ping"], "extra": 1},
    ):
        assert_error(client.post(BASE, headers=headers, json=body), 422, "VALIDATION")
    missing = client.post(
        BASE,
        headers=headers,
        json={"url": url, "events": ["test.ping"], "projectId": "prj_01J00000000000000000000000"},
    )
    assert_error(missing, 404, "NOT_FOUND")


def test_the_url_guard(client: TestClient, tenant: Tenant) -> None:
    live, test = tenant.headers(), tenant.headers(test=True)

    def status(headers: dict[str, str], url: str) -> int:
        response = client.post(BASE, headers=headers, json={"url": url, "events": ["test.ping"]})
        if response.status_code != 201:
            assert response.json()["error"]["code"] in ("URL_NOT_ALLOWED", "VALIDATION")
        return response.status_code

    # Live: public HTTPS only.
    assert status(live, "https://hooks.partner.example.com/layers") == 201
    for url in (
        "http://hooks.partner.example.com/layers",
        "http://localhost:3000/hooks",
        "https://localhost/hooks",
        "https://127.0.0.1/hooks",
        "https://10.0.0.8/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://user:pw@hooks.partner.example.com/",
        "https://2130706433/hooks",
        "ftp://hooks.partner.example.com/",
    ):
        assert status(live, url) == 422, url
    # Test mode: a loopback receiver too, and still nothing else that is private.
    for url in ("http://localhost:3000/hooks", "http://127.0.0.1:8080/x", "http://[::1]:9/x"):
        assert status(test, url) == 201, url
    for url in ("http://10.0.0.8/hooks", "https://192.168.1.2/x", "http://hooks.example.com/"):
        assert status(test, url) == 422, url


def test_scopes_and_tenancy(client: TestClient, tenant: Tenant, receiver: Receiver) -> None:
    endpoint = create_endpoint(client, tenant, receiver)
    reader = {"Authorization": f"Bearer {key_with_scopes(tenant, ['webhooks:read'], test=True)}"}
    assert client.get(BASE, headers=reader).status_code == 200
    denied = client.post(BASE, headers=reader, json={"url": receiver.url, "events": ["test.ping"]})
    assert_error(denied, 403, "FORBIDDEN_SCOPE")
    assert_error(
        client.post(f"{BASE}/{endpoint['id']}/test", headers=reader, json={}),
        403,
        "FORBIDDEN_SCOPE",
    )
    other = {"Authorization": f"Bearer {key_with_scopes(tenant, ['projects:read'], test=True)}"}
    assert_error(client.get(BASE, headers=other), 403, "FORBIDDEN_SCOPE")
    # The firehose needs org:admin.
    writer = {"Authorization": f"Bearer {key_with_scopes(tenant, ['webhooks:write'], test=True)}"}
    firehose = client.post(
        BASE,
        headers=writer,
        json={"url": receiver.url, "events": ["test.ping"], "scope": "all_children"},
    )
    assert_error(firehose, 403, "FORBIDDEN_SCOPE")
    # Another organization, and the other mode, see a 404.
    stranger = new_tenant("Stranger")
    for headers in (stranger.headers(test=True), tenant.headers()):
        assert_error(client.get(f"{BASE}/{endpoint['id']}", headers=headers), 404, "NOT_FOUND")
        assert_error(client.delete(f"{BASE}/{endpoint['id']}", headers=headers), 404, "NOT_FOUND")
        assert client.get(BASE, headers=headers).json()["items"] == []
    assert_error(
        client.post(
            "/v1/webhook-deliveries/whd_01J00000000000000000000000/replay",
            headers=tenant.headers(test=True),
        ),
        404,
        "NOT_FOUND",
    )


def test_pagination(client: TestClient, tenant: Tenant, receiver: Receiver) -> None:
    ids = [create_endpoint(client, tenant, receiver)["id"] for _ in range(3)]
    headers = tenant.headers(test=True)
    first = client.get(BASE, headers=headers, params={"limit": 2}).json()
    assert [e["id"] for e in first["items"]] == ids[::-1][:2] and first["nextCursor"]
    rest = client.get(
        BASE, headers=headers, params={"limit": 2, "cursor": first["nextCursor"]}
    ).json()
    assert [e["id"] for e in rest["items"]] == [ids[0]] and rest["nextCursor"] is None
    assert_error(client.get(BASE, headers=headers, params={"limit": 101}), 422, "VALIDATION")
