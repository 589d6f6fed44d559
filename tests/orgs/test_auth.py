from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit.db import get_database
from layers.models.orgs import ApiKey
from tests.support import ACME, Tenant, assert_error, key_with_scopes


def test_whoami_describes_the_key(client: TestClient, tenant: Tenant) -> None:
    response = client.get("/v1/whoami", headers=tenant.headers())
    assert response.status_code == 200
    body = response.json()
    assert body["organizationId"] == tenant.org_id
    assert body["apiKeyId"].startswith("key_")
    assert body["livemode"] is True
    assert body["scopes"] == ["*"]
    assert body["parentOrganizationId"] is None
    assert response.headers["x-request-id"].startswith("req_")
    test_body = client.get("/v1/whoami", headers=tenant.headers(test=True)).json()
    assert test_body["livemode"] is False


def test_missing_malformed_and_wrong_keys_are_401(client: TestClient, tenant: Tenant) -> None:
    assert_error(client.get("/v1/whoami"), 401, "UNAUTHENTICATED")
    for header in ("Bearer nope", "Basic abc", tenant.live, "Bearer lp_live_X_Y"):
        assert_error(
            client.get("/v1/whoami", headers={"Authorization": header}), 401, "UNAUTHENTICATED"
        )
    wrong_secret = tenant.live[:-4] + ("AAAA" if not tenant.live.endswith("AAAA") else "BBBB")
    assert_error(
        client.get("/v1/whoami", headers={"Authorization": f"Bearer {wrong_secret}"}),
        401,
        "UNAUTHENTICATED",
    )


def test_env_prefix_must_match_the_stored_key(client: TestClient, tenant: Tenant) -> None:
    swapped = tenant.live.replace("lp_live_", "lp_test_", 1)
    response = client.get("/v1/whoami", headers={"Authorization": f"Bearer {swapped}"})
    assert_error(response, 401, "UNAUTHENTICATED")


def test_the_secret_is_stored_only_as_a_hash(client: TestClient, tenant: Tenant) -> None:
    secret = tenant.live.split("_", 3)[3]
    with get_database().transaction(write=False) as session:
        hashes = session.scalars(
            sa.select(ApiKey.secret_hash).where(ApiKey.org_id == tenant.org_id)
        )
        stored = list(hashes)
    assert stored and all(secret not in h and len(h) == 64 for h in stored)


def test_scopes_deny_by_default(client: TestClient, tenant: Tenant) -> None:
    reader = key_with_scopes(tenant, ["projects:read"])
    headers = {"Authorization": f"Bearer {reader}"}
    assert client.get("/v1/projects", headers=headers).status_code == 200
    error = assert_error(
        client.post("/v1/projects", json=ACME, headers=headers), 403, "FORBIDDEN_SCOPE"
    )
    assert error["details"]["requiredScope"] == "projects:write"
    assert_error(client.get("/v1/api-keys", headers=headers), 403, "FORBIDDEN_SCOPE")


def test_kill_switch_then_503_on_every_call(client: TestClient, tenant: Tenant) -> None:
    victim = key_with_scopes(tenant, ["projects:read"])
    victim_id = client.get("/v1/whoami", headers={"Authorization": f"Bearer {victim}"}).json()[
        "apiKeyId"
    ]
    killed = client.post(f"/v1/api-keys/{victim_id}/kill", headers=tenant.headers())
    assert killed.status_code == 200
    body = killed.json()
    assert body["killed"] is True
    assert body["apiKey"]["killSwitch"] is True and body["apiKey"]["isActive"] is False
    assert body["apiKey"]["revokedAt"].endswith("Z")
    again = client.post(f"/v1/api-keys/{victim_id}/kill", headers=tenant.headers())
    assert again.json()["apiKey"]["revokedAt"] == body["apiKey"]["revokedAt"]
    for path in ("/v1/whoami", "/v1/projects"):
        error = assert_error(
            client.get(path, headers={"Authorization": f"Bearer {victim}"}), 503, "KILL_SWITCH"
        )
        assert error["details"]["scope"] == "key"


def test_a_key_cannot_kill_another_organizations_key(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    other_id = client.get("/v1/whoami", headers=other_tenant.headers()).json()["apiKeyId"]
    response = client.post(f"/v1/api-keys/{other_id}/kill", headers=tenant.headers())
    assert_error(response, 404, "NOT_FOUND")
    assert client.get("/v1/whoami", headers=other_tenant.headers()).status_code == 200


def test_revoked_keys_are_401(client: TestClient, tenant: Tenant) -> None:
    doomed = key_with_scopes(tenant, ["projects:read"])
    doomed_id = client.get("/v1/whoami", headers={"Authorization": f"Bearer {doomed}"}).json()[
        "apiKeyId"
    ]
    revoked = client.delete(f"/v1/api-keys/{doomed_id}", headers=tenant.headers())
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    response = client.get("/v1/whoami", headers={"Authorization": f"Bearer {doomed}"})
    assert_error(response, 401, "UNAUTHENTICATED")


def test_api_key_list_never_shows_secrets(client: TestClient, tenant: Tenant) -> None:
    response = client.get("/v1/api-keys", headers=tenant.headers())
    assert response.status_code == 200
    text = response.text
    assert tenant.live.split("_", 3)[3] not in text and tenant.test.split("_", 3)[3] not in text
    prefixes = {item["prefix"] for item in response.json()["items"]}
    assert "_".join(tenant.live.split("_")[:3]) in prefixes


def test_parent_key_acts_in_a_child_organization(client: TestClient, tenant: Tenant) -> None:
    from layers.orgs import service

    with get_database().transaction() as session:
        child = service.create_organization(session, "Child", parent_id=tenant.org_id)
        child_id = child.id
    headers = tenant.headers(**{"X-Layers-Organization": child_id})
    body = client.get("/v1/whoami", headers=headers).json()
    assert body["organizationId"] == child_id
    assert body["parentOrganizationId"] == tenant.org_id
    created = client.post("/v1/projects", json={"name": "Kid", "timezone": "UTC"}, headers=headers)
    assert created.status_code == 201 and created.json()["organizationId"] == child_id
    # the parent's own listing does not include the child's project
    own = client.get("/v1/projects", headers=tenant.headers()).json()["items"]
    assert created.json()["id"] not in {p["id"] for p in own}


def test_unknown_acting_organization_is_404(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    for target in (other_tenant.org_id, "org_nope", "garbage"):
        headers = tenant.headers(**{"X-Layers-Organization": target})
        assert_error(client.get("/v1/whoami", headers=headers), 404, "NOT_FOUND")
