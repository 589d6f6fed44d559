from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import ACME, Tenant, assert_error


def create(client: TestClient, tenant: Tenant, *, test: bool = False, **fields: Any) -> Any:
    response = client.post(
        "/v1/projects", json={**ACME, **fields}, headers=tenant.headers(test=test)
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_acme_coffee_creates_a_project(client: TestClient, tenant: Tenant) -> None:
    project = create(client, tenant)
    assert project["id"].startswith("prj_")
    for field in (
        "name",
        "timezone",
        "appName",
        "appDescription",
        "tagline",
        "brandVoice",
        "targetGender",
        "primaryLanguage",
        "customerExternalId",
    ):
        assert project[field] == ACME[field]
    assert project["status"] == "active"
    assert project["createdAt"].endswith("Z")
    assert client.get(f"/v1/projects/{project['id']}", headers=tenant.headers()).json() == project


def test_defaults(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/v1/projects", json={"name": "Bare", "timezone": "UTC"}, headers=tenant.headers()
    )
    body = response.json()
    assert response.status_code == 201
    assert (body["brandVoice"], body["targetGender"], body["primaryLanguage"]) == (
        "authentic",
        "all",
        "en",
    )
    assert body["appDescription"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "ab"),
        ("name", "x" * 31),
        ("timezone", "Mars/Olympus"),
        ("timezone", "PST"),
        ("appName", "ab"),
        ("appName", "y" * 31),
        ("appDescription", "too short"),
        ("appDescription", "z" * 1001),
        ("tagline", "t" * 81),
        ("brandVoice", "shouty"),
        ("targetGender", "robots"),
        ("primaryLanguage", "english!"),
        ("primaryLanguage", "e"),
        ("customerExternalId", ""),
        ("ownerEmail", "not-an-email"),
        ("ownerEmail", "<script>alert(1)</script>@example.com"),
        ("ownerEmail", "ops\u0007team@example.com"),
        ("ownerEmail", "ops@exa mple.com"),
        ("ownerEmail", "ops@@example.com"),
    ],
)
def test_each_bad_field_is_named(
    client: TestClient, tenant: Tenant, field: str, value: Any
) -> None:
    response = client.post("/v1/projects", json={**ACME, field: value}, headers=tenant.headers())
    error = assert_error(response, 422, "VALIDATION")
    assert field in {f["field"] for f in error["details"]["fields"]}


def test_owner_email_is_kept_as_an_address(client: TestClient, tenant: Tenant) -> None:
    project = create(client, tenant, ownerEmail="Ops.Team+layers@Example.COM")
    assert project["ownerEmail"] == "Ops.Team+layers@example.com"  # the domain is case-blind
    patched = client.patch(
        f"/v1/projects/{project['id']}",
        json={"ownerEmail": "<b>@example.com"},
        headers=tenant.headers(),
    )
    assert_error(patched, 422, "VALIDATION")
    fetched = client.get(f"/v1/projects/{project['id']}", headers=tenant.headers()).json()
    assert fetched["ownerEmail"] == "Ops.Team+layers@example.com"


def test_several_bad_fields_are_all_named(client: TestClient, tenant: Tenant) -> None:
    body = {"name": "x", "timezone": "Nowhere/City", "brandVoice": "loud", "extra": 1}
    error = assert_error(
        client.post("/v1/projects", json=body, headers=tenant.headers()), 422, "VALIDATION"
    )
    assert {f["field"] for f in error["details"]["fields"]} >= {
        "name",
        "timezone",
        "brandVoice",
        "extra",
    }


@pytest.mark.parametrize("tag", ["en", "es-MX", "zh-Hans-CN", "pt-BR", "sr-Latn-RS", "es-419"])
def test_bcp47_tags_are_accepted(client: TestClient, tenant: Tenant, tag: str) -> None:
    assert create(client, tenant, primaryLanguage=tag)["primaryLanguage"] == tag


def test_list_is_newest_first_with_cursor_and_external_id_filter(
    client: TestClient, tenant: Tenant
) -> None:
    ids = [
        create(client, tenant, customerExternalId=f"cust-{i % 2}", appDescription=None)["id"]
        for i in range(5)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/projects", params=params, headers=tenant.headers()).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    filtered = client.get(
        "/v1/projects", params={"customerExternalId": "cust-1"}, headers=tenant.headers()
    ).json()["items"]
    assert [p["id"] for p in filtered] == [ids[3], ids[1]]
    assert_error(
        client.get("/v1/projects", params={"cursor": "%%bad"}, headers=tenant.headers()),
        422,
        "VALIDATION",
    )
    assert_error(
        client.get("/v1/projects", params={"limit": 0}, headers=tenant.headers()), 422, "VALIDATION"
    )


def test_patch_changes_only_given_fields_and_null_clears(
    client: TestClient, tenant: Tenant
) -> None:
    project = create(client, tenant, appDescription=None)
    response = client.patch(
        f"/v1/projects/{project['id']}",
        json={"tagline": None, "name": "Renamed"},
        headers=tenant.headers(),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Renamed" and body["tagline"] is None
    assert body["appName"] == ACME["appName"]
    for bad in (
        {"name": None},
        {"timezone": None},
        {"id": "prj_x"},
        {"createdAt": "2026"},
        {"name": "no"},
    ):
        assert_error(
            client.patch(f"/v1/projects/{project['id']}", json=bad, headers=tenant.headers()),
            422,
            "VALIDATION",
        )


def test_the_document_offers_null_only_where_null_clears() -> None:
    """Found by the fuzz run: the document allowed ``{"timezone": null}`` on PATCH, which is
    a 422 (a project always has a timezone); a schema-valid request must not be refused."""
    from layers.app import openapi_document

    fields = openapi_document()["components"]["schemas"]["ProjectUpdate"]["properties"]

    def nullable(schema: dict[str, Any]) -> bool:
        return any(option.get("type") == "null" for option in schema.get("anyOf", []))

    kept = ("name", "timezone", "primaryLanguage", "brandVoice", "targetGender")
    assert [name for name in kept if nullable(fields[name])] == []
    assert all(nullable(fields[name]) for name in ("tagline", "appName", "customerExternalId"))


def test_delete_archives_idempotently_and_patch_restores(
    client: TestClient, tenant: Tenant
) -> None:
    project = create(client, tenant, appDescription=None)
    first = client.delete(f"/v1/projects/{project['id']}", headers=tenant.headers())
    assert first.status_code == 200
    assert first.json()["status"] == "archived" and first.json()["canceledScheduledPosts"] == 0
    second = client.delete(f"/v1/projects/{project['id']}", headers=tenant.headers())
    assert second.status_code == 200
    archived = client.get("/v1/projects", params={"status": "archived"}, headers=tenant.headers())
    assert project["id"] in {p["id"] for p in archived.json()["items"]}
    restored = client.patch(
        f"/v1/projects/{project['id']}", json={"status": "active"}, headers=tenant.headers()
    )
    assert restored.json()["status"] == "active" and restored.json()["archivedAt"] is None


def test_tenants_and_modes_never_mix(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    live = create(client, tenant, appDescription=None)
    test = create(client, tenant, test=True, appDescription=None)
    assert test["livemode"] is False and live["livemode"] is True
    assert_error(
        client.get(f"/v1/projects/{live['id']}", headers=tenant.headers(test=True)),
        404,
        "NOT_FOUND",
    )
    assert_error(
        client.get(f"/v1/projects/{test['id']}", headers=tenant.headers()), 404, "NOT_FOUND"
    )
    assert_error(
        client.get(f"/v1/projects/{live['id']}", headers=other_tenant.headers()), 404, "NOT_FOUND"
    )
    live_ids = {
        p["id"] for p in client.get("/v1/projects", headers=tenant.headers()).json()["items"]
    }
    test_ids = {
        p["id"]
        for p in client.get("/v1/projects", headers=tenant.headers(test=True)).json()["items"]
    }
    assert live["id"] in live_ids and test["id"] not in live_ids
    assert test["id"] in test_ids and live["id"] not in test_ids
