"""Distribution layers and the review gate: pending or rejected content never fills a slot;
approved content does; generation in a review project waits for review without generating
again for the same empty slots."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.catalog.social_distribution.helpers import (
    account,
    completed_container,
    install_layer,
    slots,
)
from tests.engine.helpers import execute, wait_for_run
from tests.support import ACME, Tenant, wait_for, wait_for_job


def _refresh(client: TestClient, headers: dict[str, str], layer_id: str) -> dict[str, object]:
    run = execute(client, headers, layer_id, "refresh-schedule")
    done = wait_for_run(client, headers, run["runId"], timeout=120)
    assert done["status"] == "completed", done
    return dict(done["output"])


def test_only_approved_or_ungated_content_fills_slots(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    project_id = client.post("/v1/projects", json=ACME, headers=headers).json()["id"]
    free = completed_container(project_id)
    approved = completed_container(project_id, approval_status="approved")
    pending = completed_container(project_id, approval_status="pending")
    rejected = completed_container(project_id, approval_status="rejected")
    layer = install_layer(client, tenant, project_id, account(project_id))
    held = {s.container_id for s in slots(layer["id"]) if s.container_id}
    assert held == {free, approved}

    attach = execute(client, headers, layer["id"], "attach-to-schedule", {"containerId": pending})
    failed = wait_for_run(client, headers, attach["runId"])
    assert failed["status"] == "failed" and "approve it first" in str(failed["error"])

    assert (
        client.post(f"/v1/content/{pending}/approve", json={}, headers=headers).status_code == 200
    )
    _refresh(client, headers, layer["id"])
    held = {s.container_id for s in slots(layer["id"]) if s.container_id}
    assert pending in held and rejected not in held


def test_generation_in_a_review_project_waits_for_review(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = client.post("/v1/projects", json=ACME, headers=headers).json()["id"]
    policy = client.patch(
        f"/v1/projects/{project_id}/content-review-policy",
        json={"policy": "review_all"},
        headers=headers,
    )
    assert policy.status_code == 200
    layer = install_layer(
        client, tenant, project_id, account(project_id), generationMode="automatic"
    )
    run = client.get(f"/v1/runs/{layer['installRunId']}", headers=headers).json()
    started = run["output"]["generated"]["started"]
    assert len(started) == 3
    assert all(s["approvalStatus"] == "pending" and "scheduledPostId" not in s for s in started)
    assert all(s.container_id is None for s in slots(layer["id"]))  # nothing pending attached
    for item in started:
        wait_for_job(client, item["jobId"], headers)

    again = _refresh(client, headers, layer["id"])
    assert again["generateCount"] == 0  # the held content counts as on its way

    queue = client.get(f"/v1/projects/{project_id}/content/review-queue", headers=headers).json()
    assert {c["id"] for c in queue["items"]} == {s["containerId"] for s in started}
    first = started[0]["containerId"]
    client.post(f"/v1/content/{first}/approve", json={}, headers=headers)
    _refresh(client, headers, layer["id"])
    wait_for(lambda: any(s.container_id == first for s in slots(layer["id"])))
