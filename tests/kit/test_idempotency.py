from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit import clock, idempotency
from layers.kit.db import get_database
from layers.kit.idempotency import IdempotencyRecord
from layers.models.projects import Project
from tests.support import ACME, Tenant, assert_error, idempotency_key


def count_projects(org_id: str) -> int:
    with get_database().transaction(write=False) as session:
        return int(session.scalar(sa.select(sa.func.count()).where(Project.org_id == org_id)) or 0)


def test_same_key_same_body_replays_byte_for_byte(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(**{"Idempotency-Key": idempotency_key()})
    first = client.post("/v1/projects", json=ACME, headers=headers)
    assert first.status_code == 201
    again = client.post("/v1/projects", json=ACME, headers=headers)
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert count_projects(tenant.org_id) == 1


def test_json_key_order_does_not_matter(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(**{"Idempotency-Key": idempotency_key()})
    first = client.post("/v1/projects", json=ACME, headers=headers)
    reordered = dict(reversed(list(ACME.items())))
    assert client.post("/v1/projects", json=reordered, headers=headers).content == first.content


def test_same_key_other_body_is_a_conflict(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(**{"Idempotency-Key": idempotency_key()})
    assert client.post("/v1/projects", json=ACME, headers=headers).status_code == 201
    other = client.post("/v1/projects", json={**ACME, "name": "Other Coffee"}, headers=headers)
    assert_error(other, 409, "IDEMPOTENCY_CONFLICT")
    assert count_projects(tenant.org_id) == 1


def test_keys_are_scoped_to_the_organization_and_mode(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    key = idempotency_key()
    for headers in (tenant.headers(), tenant.headers(test=True), other_tenant.headers()):
        response = client.post(
            "/v1/projects", json=ACME, headers={**headers, "Idempotency-Key": key}
        )
        assert response.status_code == 201
        assert "idempotent-replayed" not in response.headers


def test_errors_are_not_stored(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(**{"Idempotency-Key": idempotency_key()})
    bad = {**ACME, "name": "x"}
    assert_error(client.post("/v1/projects", json=bad, headers=headers), 422, "VALIDATION")
    assert client.post("/v1/projects", json=ACME, headers=headers).status_code == 201


def test_twenty_concurrent_identical_requests_create_one_project(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(**{"Idempotency-Key": idempotency_key()})
    barrier = threading.Barrier(20)
    responses = []
    lock = threading.Lock()

    def fire() -> None:
        barrier.wait()
        response = client.post("/v1/projects", json=ACME, headers=headers)
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=fire) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in responses if r.status_code == 201]
    assert created and len({r.content for r in created}) == 1
    for response in responses:
        if response.status_code == 409:
            assert_error(response, 409, "IDEMPOTENCY_IN_PROGRESS")
            assert response.headers["retry-after"] == "1"
    assert count_projects(tenant.org_id) == 1


def test_bad_idempotency_keys_are_rejected(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/v1/projects", json=ACME, headers=tenant.headers(**{"Idempotency-Key": "k" * 256})
    )
    assert_error(response, 422, "VALIDATION")
    assert count_projects(tenant.org_id) == 0


def test_records_expire_after_24_hours(client: TestClient, tenant: Tenant) -> None:
    key = idempotency_key()
    headers = tenant.headers(**{"Idempotency-Key": key})
    first = client.post("/v1/projects", json=ACME, headers=headers)
    with get_database().transaction() as session:
        session.execute(
            sa.update(IdempotencyRecord)
            .where(IdempotencyRecord.key == key)
            .values(created_at=clock.now() - timedelta(hours=25))
        )
    later = client.post("/v1/projects", json=ACME, headers=headers)
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
    with get_database().transaction() as session:
        session.execute(
            sa.update(IdempotencyRecord)
            .where(IdempotencyRecord.key == key)
            .values(created_at=clock.now() - timedelta(hours=25))
        )
        assert idempotency.purge_expired(session) >= 1
        remaining = session.scalar(sa.select(sa.func.count()).where(IdempotencyRecord.key == key))
    assert remaining == 0


def test_a_crashed_first_request_releases_its_key_after_the_lease(tenant: Tenant) -> None:
    db = get_database()
    fp = idempotency.fingerprint("POST", "/v1/projects", "", b"{}")
    key = idempotency_key()
    first = idempotency.claim(
        db, org_id=tenant.org_id, livemode=True, key=key, method="POST", path="/v1/projects", fp=fp
    )
    try:
        idempotency.claim(
            db,
            org_id=tenant.org_id,
            livemode=True,
            key=key,
            method="POST",
            path="/v1/projects",
            fp=fp,
        )
        raise AssertionError("a second claim while in flight must be refused")
    except idempotency.IdempotencyInProgress:
        pass
    with db.transaction() as session:
        session.execute(
            sa.update(IdempotencyRecord)
            .where(IdempotencyRecord.id == first)
            .values(locked_until=clock.now() - timedelta(seconds=1))
        )
    assert (
        idempotency.claim(
            db,
            org_id=tenant.org_id,
            livemode=True,
            key=key,
            method="POST",
            path="/v1/projects",
            fp=fp,
        )
        == first
    )
