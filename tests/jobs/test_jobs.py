from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import ACME, Tenant, assert_error, wait_for


def test_job_polling_with_etag_and_sticky_terminal_state(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project = client.post("/v1/projects", json=ACME, headers=headers).json()
    job = client.post(f"/v1/projects/{project['id']}/keywords/refresh", headers=headers).json()
    done = wait_for(
        lambda: (
            (r := client.get(job["locationUrl"], headers=headers)).json()["status"] == "completed"
            and r
        )
    )
    tag = done.headers["etag"]
    not_modified = client.get(job["locationUrl"], headers={**headers, "If-None-Match": tag})
    assert not_modified.status_code == 304 and not_modified.headers["etag"] == tag
    body = done.json()
    assert body["progress"] == 1.0 and body["finishedAt"].endswith("Z")
    assert_error(client.post(f"/v1/jobs/{job['jobId']}/cancel", headers=headers), 409, "CONFLICT")
    assert client.get(job["locationUrl"], headers=headers).json()["status"] == "completed"


def test_cancel_a_running_job(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    project = client.post(
        "/v1/projects", json={"name": "Cancel me", "timezone": "UTC"}, headers=headers
    ).json()
    accepted = client.post(
        f"/v1/projects/{project['id']}/influencers", json={}, headers=headers
    ).json()
    response = client.post(f"/v1/jobs/{accepted['jobId']}/cancel", headers=headers)
    if response.status_code == 409:  # it finished first: that is allowed, and sticky
        assert client.get(accepted["locationUrl"], headers=headers).json()["status"] == "completed"
        return
    assert response.status_code == 200 and response.json()["status"] == "canceled"
    again = client.post(f"/v1/jobs/{accepted['jobId']}/cancel", headers=headers)
    assert again.status_code == 200 and again.json()["status"] == "canceled"
    influencer = client.get(f"/v1/influencers/{accepted['influencerId']}", headers=headers).json()
    assert influencer["status"] in ("failed", "ready")


def test_jobs_are_tenant_scoped(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    project = client.post("/v1/projects", json=ACME, headers=tenant.headers(test=True)).json()
    job = client.post(
        f"/v1/projects/{project['id']}/keywords/refresh", headers=tenant.headers(test=True)
    ).json()
    for headers in (tenant.headers(), other_tenant.headers(test=True)):
        assert_error(client.get(job["locationUrl"], headers=headers), 404, "NOT_FOUND")
    assert_error(client.get("/v1/jobs/job_garbage", headers=tenant.headers()), 404, "NOT_FOUND")
