"""API keys over HTTP: child keys and the organization's own (fact sheet §20)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit import db as kit_db
from layers.kit.clock import ManualClock
from layers.kit.idempotency import IdempotencyRecord
from tests.orgs.helpers import bearer, create_child, mint_child_key
from tests.support import Tenant, assert_error, idempotency_key, key_with_scopes


def test_mint_a_child_key_shows_the_secret_once(client: TestClient, tenant: Tenant) -> None:
    child = create_child(client, tenant)
    key = mint_child_key(client, tenant, child["id"], ["content:read", "content:write"])
    assert key["key"].startswith("lp_live_")
    assert key["organizationId"] == child["id"]
    assert key["env"] == "live" and key["status"] == "active"
    assert key["scopes"] == ["content:read", "content:write"]
    assert key["key"].startswith(key["prefix"] + "_") and len(key["prefix"]) == 24

    who = client.get("/v1/whoami", headers=bearer(key["key"])).json()
    assert who["organizationId"] == child["id"]
    assert who["parentOrganizationId"] == tenant.org_id

    listed = client.get(f"/v1/organizations/{child['id']}/api-keys", headers=tenant.headers())
    items = listed.json()["items"]
    assert [k["id"] for k in items] == [key["id"]]
    assert "key" not in items[0] and key["key"] not in listed.text
    assert "secretHash" not in items[0]


def test_child_scopes_are_a_subset_and_never_org_admin(client: TestClient, tenant: Tenant) -> None:
    child = create_child(client, tenant)
    for scopes in (["org:admin"], ["*"], ["projects:read", "org:admin"]):
        assert_error(
            client.post(
                f"/v1/organizations/{child['id']}/api-keys",
                json={"name": "k", "scopes": scopes},
                headers=tenant.headers(),
            ),
            403,
            "FORBIDDEN_SCOPE",
        )
    for body in ({"name": "k", "scopes": []}, {"name": "k"}, {"name": "k", "scopes": ["nope"]}):
        assert_error(
            client.post(
                f"/v1/organizations/{child['id']}/api-keys", json=body, headers=tenant.headers()
            ),
            422,
            "VALIDATION",
        )
    narrow = key_with_scopes(tenant, ["org:admin", "projects:read"])
    error = assert_error(
        client.post(
            f"/v1/organizations/{child['id']}/api-keys",
            json={"name": "k", "scopes": ["projects:read", "content:write"]},
            headers=bearer(narrow),
        ),
        403,
        "FORBIDDEN_SCOPE",
    )
    assert error["details"]["scopes"] == ["content:write"]
    ok = client.post(
        f"/v1/organizations/{child['id']}/api-keys",
        json={"name": "k", "scopes": ["projects:read"]},
        headers=bearer(narrow),
    )
    assert ok.status_code == 201


def test_an_idempotent_replay_returns_the_same_secret_stored_sealed(
    client: TestClient, tenant: Tenant
) -> None:
    child = create_child(client, tenant)
    idem = idempotency_key()
    headers = tenant.headers(**{"Idempotency-Key": idem})
    body = {"name": "ci", "scopes": ["projects:read"]}
    first = client.post(f"/v1/organizations/{child['id']}/api-keys", json=body, headers=headers)
    second = client.post(f"/v1/organizations/{child['id']}/api-keys", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert first.json()["key"] == second.json()["key"]
    secret = first.json()["key"][25:]
    assert len(secret) == 43
    with kit_db.get_database().transaction(write=False) as session:
        stored = session.scalar(
            sa.select(IdempotencyRecord.response_body).where(IdempotencyRecord.key == idem)
        )
    assert stored is not None and secret.encode() not in stored
    listed = client.get(f"/v1/organizations/{child['id']}/api-keys", headers=tenant.headers())
    assert len(listed.json()["items"]) == 1


def test_rotate_gives_24h_grace_and_only_once(client: TestClient, tenant: Tenant) -> None:
    child = create_child(client, tenant)
    old = mint_child_key(client, tenant, child["id"], ["projects:read"])
    rotated = client.post(
        f"/v1/organizations/{child['id']}/api-keys/{old['id']}/rotate", headers=tenant.headers()
    )
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    new = body["apiKey"]
    assert new["id"] != old["id"] and new["key"] != old["key"]
    assert new["scopes"] == old["scopes"] and new["env"] == old["env"]
    assert body["previous"]["supersededBy"] == new["id"]
    assert body["previous"]["graceUntil"]
    assert body["previous"]["status"] == "active"
    for token in (old["key"], new["key"]):
        assert client.get("/v1/whoami", headers=bearer(token)).status_code == 200

    assert_error(
        client.post(
            f"/v1/organizations/{child['id']}/api-keys/{old['id']}/rotate",
            headers=tenant.headers(),
        ),
        409,
        "CONFLICT",
    )
    manual = ManualClock(clock.now() + timedelta(hours=24, seconds=1))
    previous = clock.use_clock(manual)
    try:
        assert_error(client.get("/v1/whoami", headers=bearer(old["key"])), 401, "UNAUTHENTICATED")
        assert client.get("/v1/whoami", headers=bearer(new["key"])).status_code == 200
    finally:
        clock.use_clock(previous)


def test_delete_is_immediate_and_idempotent(client: TestClient, tenant: Tenant) -> None:
    child = create_child(client, tenant)
    key = mint_child_key(client, tenant, child["id"], ["projects:read"])
    path = f"/v1/organizations/{child['id']}/api-keys/{key['id']}"
    first = client.delete(path, headers=tenant.headers())
    assert first.status_code == 200 and first.json()["status"] == "revoked"
    assert_error(client.get("/v1/whoami", headers=bearer(key["key"])), 401, "UNAUTHENTICATED")
    assert client.delete(path, headers=tenant.headers()).json()["status"] == "revoked"
    other = create_child(client, tenant, "Other")
    assert_error(
        client.delete(
            f"/v1/organizations/{other['id']}/api-keys/{key['id']}", headers=tenant.headers()
        ),
        404,
        "NOT_FOUND",
    )


def test_own_keys_mint_rotate_and_delete(client: TestClient, tenant: Tenant) -> None:
    minted = client.post(
        "/v1/api-keys",
        json={"name": "deploy", "scopes": ["projects:read", "org:admin"]},
        headers=tenant.headers(),
    )
    assert minted.status_code == 201, minted.text
    key = minted.json()
    assert key["organizationId"] == tenant.org_id and key["env"] == "live"
    assert client.get("/v1/organizations", headers=bearer(key["key"])).status_code == 200

    rotated = client.post(f"/v1/api-keys/{key['id']}/rotate", headers=tenant.headers()).json()
    new = rotated["apiKey"]
    assert client.get("/v1/whoami", headers=bearer(key["key"])).status_code == 200
    listed = client.get("/v1/api-keys", headers=tenant.headers()).json()["items"]
    by_id = {k["id"]: k for k in listed}
    assert by_id[key["id"]]["supersededBy"] == new["id"]

    assert client.delete(f"/v1/api-keys/{new['id']}", headers=tenant.headers()).status_code == 200
    assert_error(client.get("/v1/whoami", headers=bearer(new["key"])), 401, "UNAUTHENTICATED")
    # A test key mints test keys only.
    assert_error(
        client.post(
            "/v1/api-keys",
            json={"name": "x", "scopes": ["projects:read"], "env": "live"},
            headers=tenant.headers(test=True),
        ),
        422,
        "VALIDATION",
    )
