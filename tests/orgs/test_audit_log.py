"""The audit log (fact sheet §20): what is written, how it reads, how long it stays."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.engine import maintenance
from layers.kit import clock
from layers.kit import db as kit_db
from layers.kit.ids import new_id
from layers.models.audit import AuditEvent
from layers.orgs.audit import service as audit
from tests.orgs.helpers import bearer, create_child, mint_child_key
from tests.support import ACME, Tenant, assert_error, key_with_scopes


def rows(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/audit-log", params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def count(org_id: str) -> int:
    with kit_db.get_database().transaction(write=False) as session:
        return int(
            session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.org_id == org_id)
            )
            or 0
        )


def test_every_mutation_gets_a_row_and_reads_write_nothing(
    client: TestClient, tenant: Tenant
) -> None:
    project = client.post("/v1/projects", json=ACME, headers=tenant.headers()).json()
    patched = client.patch(
        f"/v1/projects/{project['id']}", json={"tagline": "New"}, headers=tenant.headers()
    )
    assert patched.status_code == 200
    before = count(tenant.org_id)
    for _ in range(3):
        client.get("/v1/projects", headers=tenant.headers())
        client.get(f"/v1/projects/{project['id']}", headers=tenant.headers())
    assert count(tenant.org_id) == before

    requests = rows(client, tenant.headers(), eventType="api.request")
    assert [r["data"]["method"] for r in requests] == ["PATCH", "POST"]  # newest first
    newest = requests[0]
    assert newest["projectId"] == project["id"]
    assert newest["data"]["route"] == "/v1/projects/{project_id}"
    assert newest["data"]["status"] == 200
    assert newest["organizationId"] == tenant.org_id
    assert newest["actor"] == "partner_api"
    assert newest["requestId"] == patched.headers["x-request-id"]
    assert newest["apiKeyId"].startswith("key_")
    assert newest["eventId"].startswith("evt_")
    # A refused mutation changed nothing and is not an api.request.
    refused = client.patch(
        f"/v1/projects/{project['id']}", json={"timezone": "Mars/Base"}, headers=tenant.headers()
    )
    assert refused.status_code == 422
    assert len(rows(client, tenant.headers(), eventType="api.request")) == 2
    # Test-mode rows are apart from live ones.
    assert rows(client, tenant.headers(test=True), eventType="api.request") == []


def test_auth_rejections_and_scope_denials(client: TestClient, tenant: Tenant) -> None:
    wrong = tenant.live[:-4] + ("AAAA" if not tenant.live.endswith("AAAA") else "BBBB")
    assert_error(client.get("/v1/projects", headers=bearer(wrong)), 401, "UNAUTHENTICATED")
    reader = key_with_scopes(tenant, ["projects:read"])
    assert_error(
        client.post("/v1/projects", json=ACME, headers=bearer(reader)), 403, "FORBIDDEN_SCOPE"
    )
    rejected = rows(client, tenant.headers(), eventType="auth.key_rejected")
    assert len(rejected) == 1
    assert rejected[0]["data"]["code"] == "UNAUTHENTICATED"
    assert rejected[0]["data"]["path"] == "/v1/projects"
    assert wrong not in str(rejected[0])
    denied = rows(client, tenant.headers(), eventType="auth.scope_denied")
    assert len(denied) == 1 and denied[0]["data"]["requiredScope"] == "projects:write"
    assert rows(client, tenant.headers(), apiKeyId=denied[0]["apiKeyId"])[0] == denied[0]


def test_suspend_resume_and_key_events_land_in_parent_and_child(
    client: TestClient, tenant: Tenant
) -> None:
    child = create_child(client, tenant)
    key = mint_child_key(client, tenant, child["id"], ["projects:read"])
    client.post(f"/v1/organizations/{child['id']}/suspend", headers=tenant.headers())
    assert_error(client.get("/v1/whoami", headers=bearer(key["key"])), 503, "KILL_SWITCH")
    client.post(f"/v1/organizations/{child['id']}/resume", headers=tenant.headers())

    parent_types = [
        r["eventType"] for r in rows(client, tenant.headers()) if r["eventType"] != "api.request"
    ]
    assert parent_types == [
        "organization.resumed",
        "organization.suspended",
        "api_key.created",
        "organization.created",
    ]
    acting = tenant.headers(**{"X-Layers-Organization": child["id"]})
    child_types = [r["eventType"] for r in rows(client, acting)]
    assert child_types == [
        "organization.resumed",
        "auth.key_rejected",
        "organization.suspended",
        "api_key.created",
        "organization.created",
    ]


def test_keyset_cursor_filters_and_bad_input(client: TestClient, tenant: Tenant) -> None:
    for i in range(5):
        client.post("/v1/projects", json={**ACME, "name": f"Acme {i}"}, headers=tenant.headers())
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, "eventType": "api.request"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/audit-log", params=params, headers=tenant.headers()).json()
        seen += [r["eventId"] for r in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5
    everything = rows(client, tenant.headers(), eventType="api.request", limit=200)
    assert [r["eventId"] for r in everything] == seen
    times = [r["occurredAt"] for r in everything]
    assert times == sorted(times, reverse=True)

    since = everything[2]["occurredAt"]
    assert all(r["occurredAt"] >= since for r in rows(client, tenant.headers(), since=since))
    assert rows(client, tenant.headers(), until="2000-01-01T00:00:00Z") == []
    for params in (
        {"cursor": "!!"},
        {"cursor": "bm90LWEtY3Vyc29y"},
        {"since": "2026-01-01T00:00:00+00:00"},
        {"until": "yesterday"},
        {"limit": 201},
        {"limit": 0},
    ):
        assert_error(
            client.get("/v1/audit-log", params=params, headers=tenant.headers()),
            422,
            "VALIDATION",
        )


def test_audit_read_is_a_scope(client: TestClient, tenant: Tenant) -> None:
    reader = key_with_scopes(tenant, ["projects:read"])
    assert_error(client.get("/v1/audit-log", headers=bearer(reader)), 403, "FORBIDDEN_SCOPE")
    auditor = key_with_scopes(tenant, ["audit:read"])
    assert client.get("/v1/audit-log", headers=bearer(auditor)).status_code == 200


def test_rate_limit_rejections_can_be_audited(client: TestClient, tenant: Tenant) -> None:
    key_id = client.get("/v1/whoami", headers=tenant.headers()).json()["apiKeyId"]
    audit.record_rate_limited(
        org_id=tenant.org_id,
        livemode=True,
        api_key_id=key_id,
        method="POST",
        path="/v1/projects",
        endpoint_class="write-light",
        retry_after=12,
    )
    limited = rows(client, tenant.headers(), eventType="auth.rate_limited")
    assert limited[0]["data"]["retryAfter"] == 12
    assert limited[0]["apiKeyId"] == key_id


def test_retention_purge_in_the_maintenance_cron(client: TestClient, tenant: Tenant) -> None:
    old_id, fresh_id = new_id("evt"), new_id("evt")
    with kit_db.get_database().transaction() as session:
        for event_id, age in ((old_id, timedelta(days=91)), (fresh_id, timedelta(days=89))):
            session.add(
                AuditEvent(
                    id=event_id,
                    org_id=tenant.org_id,
                    livemode=True,
                    event_type="api.request",
                    occurred_at=clock.now() - age,
                    actor="partner_api",
                    data={},
                )
            )
    assert maintenance.purge_audit_log() >= 1
    with kit_db.get_database().transaction(write=False) as session:
        assert session.get(AuditEvent, old_id) is None
        assert session.get(AuditEvent, fresh_id) is not None
