"""Sub-organization lifecycle over HTTP (fact sheet §20)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from layers.kit import db as kit_db
from layers.models.orgs import Organization
from layers.orgs import service as orgs
from layers.orgs.wallet import service as wallet
from tests.orgs.helpers import admin_tenant, bearer, create_child, mint_child_key
from tests.support import ACME, Tenant, assert_error, idempotency_key, key_with_scopes


def test_create_get_list_and_update_a_child(client: TestClient, tenant: Tenant) -> None:
    child = create_child(
        client, tenant, "Acme", metadata={"crm": "123"}, billingEmail="ap@acme.example"
    )
    assert child["id"].startswith("org_")
    assert child["status"] == "active"
    assert child["parentOrganizationId"] == tenant.org_id
    assert child["metadata"] == {"crm": "123"}
    assert child["billingEmail"] == "ap@acme.example"

    detail = client.get(f"/v1/organizations/{child['id']}", headers=tenant.headers()).json()
    assert detail["projects"] == {"total": 0, "active": 0, "archived": 0}
    assert detail["credits"] == {"balance": 0, "available": 0, "reservedCredits": 0}
    assert detail["apiKeys"] == 0

    listed = client.get("/v1/organizations", headers=tenant.headers()).json()
    assert [o["id"] for o in listed["items"]] == [child["id"]]
    assert listed["nextCursor"] is None

    patched = client.patch(
        f"/v1/organizations/{child['id']}",
        json={"name": "Acme Coffee", "metadata": {"crm": "", "tier": "gold"}},
        headers=tenant.headers(),
    ).json()
    assert patched["name"] == "Acme Coffee"
    assert patched["metadata"] == {"tier": "gold"}
    cleared = client.patch(
        f"/v1/organizations/{child['id']}", json={"metadata": None}, headers=tenant.headers()
    ).json()
    assert cleared["metadata"] == {}
    assert_error(
        client.patch(f"/v1/organizations/{child['id']}", json={}, headers=tenant.headers()),
        422,
        "VALIDATION",
    )


def test_the_project_summary_counts_the_childs_projects(client: TestClient, tenant: Tenant) -> None:
    child = create_child(client, tenant)
    acting = tenant.headers(**{"X-Layers-Organization": child["id"]})
    assert client.post("/v1/projects", json=ACME, headers=acting).status_code == 201
    detail = client.get(f"/v1/organizations/{child['id']}", headers=tenant.headers()).json()
    assert detail["projects"] == {"total": 1, "active": 1, "archived": 0}


def test_list_pages_with_a_cursor_and_filters_by_status(client: TestClient) -> None:
    parent = admin_tenant()
    ids = [create_child(client, parent, f"Child {i}")["id"] for i in range(3)]
    first = client.get("/v1/organizations?limit=2", headers=parent.headers()).json()
    assert [o["id"] for o in first["items"]] == ids[::-1][:2]
    rest = client.get(
        f"/v1/organizations?limit=2&cursor={first['nextCursor']}", headers=parent.headers()
    ).json()
    assert [o["id"] for o in rest["items"]] == [ids[0]]
    client.post(f"/v1/organizations/{ids[1]}/suspend", headers=parent.headers())
    suspended = client.get("/v1/organizations?status=suspended", headers=parent.headers()).json()
    assert [o["id"] for o in suspended["items"]] == [ids[1]]


def test_validation_of_the_create_body(client: TestClient, tenant: Tenant) -> None:
    for body in (
        {},
        {"name": ""},
        {"name": "x" * 129},
        {"name": "ok", "metadata": {"k" * 41: "v"}},
        {"name": "ok", "metadata": {"k": "v" * 501}},
        {"name": "ok", "metadata": {f"k{i}": "v" for i in range(51)}},
        {"name": "ok", "billingEmail": "not-an-email"},
    ):
        assert_error(
            client.post("/v1/organizations", json=body, headers=tenant.headers()),
            422,
            "VALIDATION",
        )


def test_one_level_deep(client: TestClient, tenant: Tenant) -> None:
    child = create_child(client, tenant)
    # A child key holding org:admin can only come from an operator (the API refuses it).
    with kit_db.get_database().transaction() as session:
        org = session.get(Organization, child["id"])
        assert org is not None
        _, token = orgs.create_api_key(
            session, org, livemode=True, name="operator", scopes=["org:admin"]
        )
    error = assert_error(
        client.post("/v1/organizations", json={"name": "Grandchild"}, headers=bearer(token)),
        422,
        "VALIDATION",
    )
    assert error["details"]["fields"][0]["field"] == "parentOrganizationId"


def test_org_admin_is_required_and_denied_by_default(client: TestClient, tenant: Tenant) -> None:
    reader = key_with_scopes(tenant, ["projects:read", "projects:write"])
    error = assert_error(
        client.post("/v1/organizations", json={"name": "X"}, headers=bearer(reader)),
        403,
        "FORBIDDEN_SCOPE",
    )
    assert error["details"]["requiredScope"] == "org:admin"
    assert_error(client.get("/v1/organizations", headers=bearer(reader)), 403, "FORBIDDEN_SCOPE")


def test_other_parents_children_are_404_and_malformed_ids_422(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    child = create_child(client, tenant)
    for method, path in (
        ("GET", f"/v1/organizations/{child['id']}"),
        ("POST", f"/v1/organizations/{child['id']}/suspend"),
        ("DELETE", f"/v1/organizations/{child['id']}"),
        ("GET", f"/v1/organizations/{child['id']}/api-keys"),
    ):
        assert_error(client.request(method, path, headers=other_tenant.headers()), 404, "NOT_FOUND")
        # The parent's test key does not see its live children (modes never mix).
        assert_error(
            client.request(method, path, headers=tenant.headers(test=True)), 404, "NOT_FOUND"
        )
    # The parent itself is not its own child.
    assert_error(
        client.get(f"/v1/organizations/{tenant.org_id}", headers=tenant.headers()), 404, "NOT_FOUND"
    )
    assert_error(
        client.get("/v1/organizations/not-an-id", headers=tenant.headers()), 422, "VALIDATION"
    )


def test_suspend_blocks_the_childs_keys_and_resume_restores_them(
    client: TestClient, tenant: Tenant
) -> None:
    child = create_child(client, tenant)
    key = mint_child_key(client, tenant, child["id"], ["projects:read", "content:write"])
    assert client.get("/v1/whoami", headers=bearer(key["key"])).status_code == 200

    suspended = client.post(f"/v1/organizations/{child['id']}/suspend", headers=tenant.headers())
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["suspendedAt"]
    again = client.post(f"/v1/organizations/{child['id']}/suspend", headers=tenant.headers())
    assert again.json()["status"] == "suspended"  # idempotent by state

    error = assert_error(client.get("/v1/whoami", headers=bearer(key["key"])), 503, "KILL_SWITCH")
    assert error["details"]["scope"] == "organization"
    assert_error(client.get("/v1/projects", headers=bearer(key["key"])), 503, "KILL_SWITCH")

    # The parent still manages it, acting in it …
    acting = tenant.headers(**{"X-Layers-Organization": child["id"]})
    project = client.post("/v1/projects", json=ACME, headers=acting)
    assert project.status_code == 201
    assert client.get("/v1/projects", headers=acting).status_code == 200
    # … but nothing generates (or publishes) for it.
    error = assert_error(
        client.post(
            f"/v1/projects/{project.json()['id']}/content/slideshow-builder",
            json={"hook": "Hi"},
            headers=acting,
        ),
        503,
        "KILL_SWITCH",
    )
    assert error["details"]["scope"] == "organization"
    assert (
        client.get(f"/v1/organizations/{child['id']}", headers=tenant.headers()).status_code == 200
    )

    resumed = client.post(f"/v1/organizations/{child['id']}/resume", headers=tenant.headers())
    assert resumed.json()["status"] == "active"
    assert resumed.json()["suspendedAt"] is None
    assert client.get("/v1/whoami", headers=bearer(key["key"])).status_code == 200


def test_archive_revokes_keys_and_is_terminal(client: TestClient, tenant: Tenant) -> None:
    child = create_child(client, tenant)
    first = mint_child_key(client, tenant, child["id"], ["projects:read"])
    mint_child_key(client, tenant, child["id"], ["projects:read"], env="test")

    archived = client.delete(f"/v1/organizations/{child['id']}", headers=tenant.headers())
    assert archived.status_code == 200
    body = archived.json()
    assert body["status"] == "archived"
    assert body["revokedApiKeys"] == 2
    assert body["reclaimedCredits"] == 0
    assert body["archivedAt"]
    assert_error(client.get("/v1/whoami", headers=bearer(first["key"])), 401, "UNAUTHENTICATED")

    again = client.delete(f"/v1/organizations/{child['id']}", headers=tenant.headers()).json()
    assert again["status"] == "archived" and again["revokedApiKeys"] == 0
    assert again["archivedAt"] == body["archivedAt"]
    for action in ("suspend", "resume"):
        assert_error(
            client.post(f"/v1/organizations/{child['id']}/{action}", headers=tenant.headers()),
            409,
            "CONFLICT",
        )
    assert_error(
        client.patch(
            f"/v1/organizations/{child['id']}", json={"name": "X"}, headers=tenant.headers()
        ),
        409,
        "CONFLICT",
    )
    acting = tenant.headers(**{"X-Layers-Organization": child["id"]})
    assert_error(client.get("/v1/projects", headers=acting), 404, "NOT_FOUND")


def test_archive_sweeps_unspent_credits_back(client: TestClient, tenant: Tenant) -> None:
    child = create_child(client, tenant)
    with kit_db.get_database().transaction() as session:
        wallet.grant(session, child["id"], 300, description="test")
    detail = client.get(f"/v1/organizations/{child['id']}", headers=tenant.headers()).json()
    assert detail["credits"] == {"balance": 300, "available": 300, "reservedCredits": 0}
    archived = client.delete(f"/v1/organizations/{child['id']}", headers=tenant.headers()).json()
    assert archived["reclaimedCredits"] == 300
    after = client.get(f"/v1/organizations/{child['id']}", headers=tenant.headers()).json()
    assert after["credits"]["balance"] == 0


def test_create_is_idempotent(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(**{"Idempotency-Key": idempotency_key()})
    first = client.post("/v1/organizations", json={"name": "Once"}, headers=headers)
    second = client.post("/v1/organizations", json={"name": "Once"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    listed = client.get("/v1/organizations", headers=tenant.headers()).json()
    assert [o["name"] for o in listed["items"]].count("Once") == 1


def test_a_test_key_makes_sandbox_children(client: TestClient, tenant: Tenant) -> None:
    child = create_child(client, tenant, "Sandbox", test=True)
    assert child["livemode"] is False
    assert client.get("/v1/organizations", headers=tenant.headers()).json()["items"] == []
    listed = client.get("/v1/organizations", headers=tenant.headers(test=True)).json()
    assert [o["id"] for o in listed["items"]] == [child["id"]]
    key = mint_child_key(client, tenant, child["id"], ["projects:read"], test=True)
    assert key["env"] == "test" and key["key"].startswith("lp_test_")
    assert_error(
        client.post(
            f"/v1/organizations/{child['id']}/api-keys",
            json={"name": "live", "scopes": ["projects:read"], "env": "live"},
            headers=tenant.headers(test=True),
        ),
        422,
        "VALIDATION",
    )
