"""Accounts: list, read, posting mode, disconnect, health, and the project archive hook."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit import db as kit_db
from layers.models.vault import VaultSecret
from layers.social import health, sweep
from tests.social.helpers import (
    account_row,
    connect_sandbox,
    events_of,
    make_account,
    new_post,
    new_project,
    post_row,
    update_post,
)
from tests.support import Tenant, assert_error


def test_list_filters_and_pages(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, tenant, test=True)
    tiktok = connect_sandbox(client, tenant, project_id, "tiktok", handle="acme.tt")
    instagram = connect_sandbox(client, tenant, project_id, "instagram", handle="acme.ig")
    base = f"/v1/projects/{project_id}/social-accounts"

    items = client.get(base, headers=headers).json()["items"]
    assert [a["socialAccountId"] for a in items] == [instagram, tiktok]  # newest first
    assert set(items[0]) == {
        "socialAccountId", "projectId", "platform", "handle", "displayName", "avatarUrl",
        "status", "healthy", "postingMode", "leased", "tokenError", "tokenExpiresAt",
        "connectedAt", "disconnectedAt", "disconnectedReason", "createdAt", "updatedAt",
    }  # fmt: skip
    assert items[0]["postingMode"] == "manual" and items[0]["leased"] is False

    only = client.get(base, params={"platform": "tiktok"}, headers=headers).json()["items"]
    assert [a["socialAccountId"] for a in only] == [tiktok]
    assert client.get(base, params={"leased": "true"}, headers=headers).json()["items"] == []
    assert (
        client.get(base, params={"status": "disconnected"}, headers=headers).json()["items"] == []
    )

    first = client.get(base, params={"limit": 1}, headers=headers).json()
    assert len(first["items"]) == 1 and first["nextCursor"]
    second = client.get(
        base, params={"limit": 1, "cursor": first["nextCursor"]}, headers=headers
    ).json()
    assert [a["socialAccountId"] for a in second["items"]] == [tiktok]
    assert second["nextCursor"] is None
    assert_error(
        client.get(base, params={"platform": "myspace"}, headers=headers), 422, "VALIDATION"
    )


def test_posting_mode_can_be_set(client: TestClient, tenant: Tenant) -> None:
    project_id = new_project(client, tenant, test=True)
    account_id = connect_sandbox(client, tenant, project_id, "tiktok")
    url = f"/v1/social-accounts/{account_id}"
    changed = client.patch(
        url, json={"postingMode": "automatic"}, headers=tenant.headers(test=True)
    )
    assert changed.status_code == 200 and changed.json()["postingMode"] == "automatic"
    assert client.get(url, headers=tenant.headers(test=True)).json()["postingMode"] == "automatic"
    unchanged = client.patch(url, json={}, headers=tenant.headers(test=True))
    assert unchanged.json()["postingMode"] == "automatic"
    assert_error(
        client.patch(url, json={"postingMode": "sometimes"}, headers=tenant.headers(test=True)),
        422,
        "VALIDATION",
    )


def test_disconnect_drops_tokens_and_cancels_queued_posts_at_once(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, tenant, test=True)
    account_id = connect_sandbox(client, tenant, project_id, "tiktok")
    before = account_row(account_id)
    queued = [new_post(account_id, status=s) for s in ("pending", "pending_assets", "ready")]
    kept = [new_post(account_id, status=s) for s in ("posted", "posting", "draft")]

    response = client.delete(f"/v1/social-accounts/{account_id}", headers=headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["socialAccountId"] == account_id and body["status"] == "disconnected"
    assert body["disconnectedReason"] == "revoked_by_partner"
    assert body["canceledScheduledPosts"] == 3 and body["disconnectedAt"].endswith("Z")
    assert [post_row(p).status for p in queued] == ["canceled"] * 3
    assert all(post_row(p).canceled_at for p in queued)
    assert [post_row(p).status for p in kept] == ["posted", "posting", "draft"]
    after = account_row(account_id)
    assert after.access_token_vault_id is None and after.refresh_token_vault_id is None
    with kit_db.get_database().transaction(write=False) as session:
        left = session.scalars(
            sa.select(VaultSecret.id).where(
                VaultSecret.id.in_([before.access_token_vault_id, before.refresh_token_vault_id])
            )
        ).all()
    assert left == []
    assert len(events_of(account_id, "social_account.disconnected")) == 1

    assert_error(
        client.delete(f"/v1/social-accounts/{account_id}", headers=headers), 404, "NOT_FOUND"
    )
    shown = client.get(f"/v1/social-accounts/{account_id}", headers=headers).json()
    assert shown["status"] == "disconnected" and shown["healthy"] is False
    # Connecting the same handle again brings the account back.
    again = connect_sandbox(client, tenant, project_id, "tiktok")
    assert again == account_id and account_row(account_id).status == "connected"


def test_health_reports_the_token_and_the_temperature_with_its_snapshot(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = new_project(client, tenant, test=True)
    account_id = connect_sandbox(client, tenant, project_id, "tiktok")

    body = client.get(f"/v1/social-accounts/{account_id}/health", headers=headers).json()
    assert body["healthy"] is True and body["tokenError"] is None
    assert body["temperature"] == "cold"
    assert body["tokenExpiresAt"] and body["refreshTokenExpiresAt"]
    snapshot = body["snapshot"]
    assert snapshot["reason"] == "connected" and snapshot["temperature"] == "cold"
    assert snapshot["score"] == 0 and snapshot["metrics"]["postsPublished"] == 0

    # Two posts a day for a fortnight: hot.
    now = clock.now()
    for day in range(14):
        for _ in range(2):
            post_id = new_post(account_id, status="posted")
            update_post(post_id, posted_at=now - timedelta(days=day, hours=1))
    result = sweep.run(clock.now())
    assert result["snapshots"] >= 1
    body = client.get(f"/v1/social-accounts/{account_id}/health", headers=headers).json()
    assert body["temperature"] == "hot", body
    assert body["snapshot"]["reason"] == "sweep" and body["snapshot"]["score"] == 67
    assert body["snapshot"]["metrics"]["postsPublished"] == 28


def test_temperature_formula() -> None:
    metrics = {"postsPublished": 14, "postsFailed": 0}
    assert health.score_of(metrics, True) == 33 and health.temperature_for(33) == "warm"
    assert health.score_of({"postsPublished": 42, "postsFailed": 0}, True) == 100
    assert health.score_of({"postsPublished": 14, "postsFailed": 14}, True) == 25
    assert health.score_of({"postsPublished": 0, "postsFailed": 0}, True) == 0
    assert health.score_of(metrics, False) == 0
    assert health.temperature_for(59) == "warm" and health.temperature_for(60) == "hot"
    assert health.temperature_for(24) == "cold"


def test_archiving_a_project_cancels_its_queued_posts(client: TestClient, tenant: Tenant) -> None:
    project_id = new_project(client, tenant)
    account_id = make_account(project_id)
    queued = [new_post(account_id), new_post(account_id, status="pending")]
    done = new_post(account_id, status="posted")
    response = client.delete(f"/v1/projects/{project_id}", headers=tenant.headers())
    assert response.status_code == 200
    assert response.json()["canceledScheduledPosts"] == 2
    assert [post_row(p).status for p in queued] == ["canceled", "canceled"]
    assert post_row(done).status == "posted"
    again = client.delete(f"/v1/projects/{project_id}", headers=tenant.headers())
    assert again.json()["canceledScheduledPosts"] == 0
