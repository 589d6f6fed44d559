"""Rate limits (§4): endpoint classes in the OpenAPI document and on every response, the
per-key buckets of a tier with a correct Retry-After, the daily write cap, the concurrent-jobs
cap, and one key's limit shared by two `layers api` processes on PostgreSQL."""

from __future__ import annotations

import math
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from layers.app import openapi_document
from layers.jobs import service as jobs
from layers.kit import db as kit_db
from layers.kit.settings import Settings
from layers.models.orgs import ApiKey
from layers.orgs.limits import tiers
from layers.orgs.limits.classes import CLASSES
from tests.support import (
    ACME,
    Tenant,
    assert_error,
    free_port,
    idempotency_key,
    layers_command,
    start_server,
)

WINDOW = 20


@pytest.fixture
def limited(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The published limits, with a short window so that waiting one out is quick."""
    monkeypatch.setattr(settings, "rate_limit_scale", 1.0)
    monkeypatch.setattr(settings, "rate_limit_window_seconds", WINDOW)
    return settings


def test_every_operation_declares_its_class_in_the_openapi_document() -> None:
    operations = {
        (method.upper(), path): operation
        for path, item in openapi_document()["paths"].items()
        for method, operation in item.items()
    }
    assert operations
    assert all(op.get("x-rate-limit-class") in CLASSES for op in operations.values())
    assert all(
        op["x-rate-limit-class"] == "read-light"
        for (method, _), op in operations.items()
        if method == "GET"
    )
    builder = operations[("POST", "/v1/projects/{project_id}/content/slideshow-builder")]
    assert builder["x-rate-limit-class"] == "long-running"
    allocate = operations[("POST", "/v1/organizations/{org_id}/credits/allocate")]
    assert allocate["x-rate-limit-class"] == "write-light"
    assert operations[("PATCH", "/v1/projects/{project_id}")]["x-rate-limit-class"] == (
        "write-light"
    )


def test_every_response_carries_the_class_and_the_bucket_state(
    client: TestClient, tenant: Tenant, limited: Settings
) -> None:
    before = time.time()
    ok = client.get("/v1/whoami", headers=tenant.headers())
    assert ok.status_code == 200
    assert ok.headers["x-ratelimit-endpoint-class"] == "read-light"
    assert ok.headers["x-ratelimit-limit"] == "120"
    assert ok.headers["x-ratelimit-remaining"] == "119"
    assert before <= int(ok.headers["x-ratelimit-reset"]) <= math.ceil(time.time()) + WINDOW

    missing = client.get("/v1/projects/prj_01ARZ3NDEKTSV4RRFFQ69G5FAV", headers=tenant.headers())
    assert_error(missing, 404, "NOT_FOUND")
    assert missing.headers["x-ratelimit-remaining"] == "118"

    write = client.patch(
        "/v1/projects/prj_01ARZ3NDEKTSV4RRFFQ69G5FAV", json={}, headers=tenant.headers()
    )
    assert write.headers["x-ratelimit-endpoint-class"] == "write-light"
    assert write.headers["x-ratelimit-limit"] == "60"

    anonymous = client.get("/v1/whoami")
    assert_error(anonymous, 401, "UNAUTHENTICATED")
    assert anonymous.headers["x-ratelimit-endpoint-class"] == "read-light"
    assert "x-ratelimit-limit" not in anonymous.headers  # no key, no bucket

    generate = client.post(
        "/v1/projects/prj_01ARZ3NDEKTSV4RRFFQ69G5FAV/content/slideshow-builder",
        json={"hook": "x"},
        headers=tenant.headers(test=True),
    )
    assert generate.headers["x-ratelimit-endpoint-class"] == "long-running"
    assert generate.headers["x-ratelimit-limit"] == "20"


def test_the_61st_write_in_a_window_is_429_until_the_window_ends(
    client: TestClient, tenant: Tenant, limited: Settings
) -> None:
    limited.rate_limit_scale = 1000  # the set-up's write counts in another bucket
    created = client.post("/v1/projects", json=ACME, headers=tenant.headers())
    assert created.status_code == 201, created.text
    limited.rate_limit_scale = 1.0
    path = f"/v1/projects/{created.json()['id']}"
    # Start at a window's beginning: on PostgreSQL the windows are aligned on the clock, and
    # sixty writes straddling a boundary would be counted in two windows.
    time.sleep(WINDOW - time.time() % WINDOW + 0.05)
    for n in range(60):  # refused writes count too (and are quick)
        response = client.patch(path, json={"unknown": n}, headers=tenant.headers())
        assert response.status_code == 422, (n, response.text)
    assert response.headers["x-ratelimit-remaining"] == "0"
    reset = int(response.headers["x-ratelimit-reset"])

    refused = client.patch(path, json={"tagline": "one too many"}, headers=tenant.headers())
    error = assert_error(refused, 429, "RATE_LIMITED")
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= WINDOW
    assert abs(retry_after - (reset - time.time())) <= 1.5
    assert error["details"]["retryAfter"] == retry_after
    assert error["details"]["endpointClass"] == "write-light"
    assert refused.headers["x-ratelimit-endpoint-class"] == "write-light"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    # Reads have their own bucket.
    assert client.get(path, headers=tenant.headers()).status_code == 200
    # The refusal is in the audit log.
    audit = client.get("/v1/audit-log?eventType=auth.rate_limited", headers=tenant.headers())
    assert audit.status_code == 200, audit.text
    (row,) = audit.json()["items"]
    assert row["data"]["endpointClass"] == "write-light"

    time.sleep(retry_after)
    again = client.patch(path, json={"tagline": "after the wait"}, headers=tenant.headers())
    assert again.status_code == 200, again.text
    assert again.headers["x-ratelimit-remaining"] == "59"


def test_a_key_on_a_higher_tier_has_higher_limits(
    client: TestClient, tenant: Tenant, limited: Settings
) -> None:
    with kit_db.get_database().transaction() as session:
        for key in session.query(ApiKey).filter(ApiKey.org_id == tenant.org_id):
            key.rate_limit_tier = "partner"
    response = client.get("/v1/whoami", headers=tenant.headers())
    assert response.json()["rateLimitTier"] == "partner"
    assert response.headers["x-ratelimit-limit"] == "6000"


def test_the_daily_write_cap(
    client: TestClient, tenant: Tenant, limited: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = tiers.Tier(dict(tiers.TIERS["standard"].per_minute), 2, 10)
    monkeypatch.setitem(tiers.TIERS, "standard", small)
    path = "/v1/projects/prj_01ARZ3NDEKTSV4RRFFQ69G5FAV"
    for _ in range(2):
        assert client.patch(path, json={}, headers=tenant.headers()).status_code == 404
    refused = client.patch(path, json={}, headers=tenant.headers())
    assert_error(refused, 429, "RATE_LIMITED")
    assert int(refused.headers["retry-after"]) > 3600  # the day's window, not the minute's
    assert client.get("/v1/whoami", headers=tenant.headers()).status_code == 200


def test_the_concurrent_jobs_cap_refuses_a_start(
    client: TestClient, tenant: Tenant, limited: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = tiers.Tier(dict(tiers.TIERS["standard"].per_minute), 10_000, 1)
    monkeypatch.setitem(tiers.TIERS, "standard", one)
    headers = tenant.headers(test=True)
    created = client.post(
        "/v1/projects", json={**ACME, "appDescription": None}, headers=headers
    ).json()
    with kit_db.get_database().transaction() as session:
        running = jobs.create(
            session, org_id=tenant.org_id, livemode=False, kind="test", project_id=None
        )
        running_id = running.id
    path = f"/v1/projects/{created['id']}/content/slideshow-builder"
    refused = client.post(path, json={"hook": "Hi"}, headers=headers)
    error = assert_error(refused, 429, "RATE_LIMITED")
    assert error["details"]["concurrentJobs"] == 1 and error["details"]["limit"] == 1
    assert refused.headers["retry-after"]
    jobs.fail(running_id, "TEST", "done")
    assert client.post(path, json={"hook": "Hi"}, headers=headers).status_code == 202


@pytest.mark.slow
@pytest.mark.parametrize("storage_url", ["", "redis://127.0.0.1:6379/0"], ids=["postgres", "redis"])
def test_two_api_processes_share_one_keys_limit(
    tmp_path: Path, isolated_database_url: str, storage_url: str
) -> None:
    if not isolated_database_url.startswith("postgresql"):
        pytest.skip("several API processes share one database on PostgreSQL")
    env = {
        "LAYERS_DATA_DIR": str(tmp_path / "data"),
        "LAYERS_DATABASE_URL": isolated_database_url,
        "LAYERS_RATE_LIMIT_SCALE": "1",
        "LAYERS_RATE_LIMIT_WINDOW_SECONDS": "60",
        "LAYERS_RATE_LIMIT_STORAGE_URL": storage_url,
    }
    cli = {**os.environ, **env}
    subprocess.run(layers_command("orgs", "create", "Shared"), env=cli, check=True)
    key = subprocess.run(
        layers_command("keys", "create", "--test"),
        env=cli,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ports = [free_port(), free_port()]
    servers = [start_server(layers_command("api", "--port", str(p)), env, p) for p in ports]
    try:
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency_key()}
        path = "/v1/api-keys/key_01ARZ3NDEKTSV4RRFFQ69G5FAV"
        statuses = []
        for n in range(61):  # alternate between the two processes
            base = servers[n % 2].base_url
            response = httpx.delete(base + path, headers=headers, timeout=10)
            statuses.append(response.status_code)
        assert statuses[:60] == [404] * 60
        assert statuses[60] == 429
        assert response.headers["x-ratelimit-endpoint-class"] == "write-light"
        assert 1 <= int(response.headers["retry-after"]) <= 60
        other = httpx.delete(servers[0].base_url + path, headers=headers, timeout=10)
        assert other.status_code == 429
    finally:
        for server in servers:
            server.kill()
