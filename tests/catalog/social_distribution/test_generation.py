"""generationMode automatic: the planner generates for its empty slots through the content
pipeline's generate-and-attach (visible as jobs and as pending_assets posts)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.catalog.social_distribution.helpers import account, install_layer, slots
from tests.support import ACME, Tenant, wait_for


def test_automatic_generation_fills_the_empty_slots(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    response = client.post("/v1/projects", json=ACME, headers=headers)
    assert response.status_code == 201, response.text
    project_id = response.json()["id"]
    layer = install_layer(
        client, tenant, project_id, account(project_id), generationMode="automatic"
    )
    run = client.get(f"/v1/runs/{layer['installRunId']}", headers=headers).json()
    assert run["output"]["missingSlots"] == 3 and run["output"]["generateCount"] == 3
    started = run["output"]["generated"]["started"]
    assert len(started) == 3 and run["output"]["generated"]["errors"] == []
    rows = slots(layer["id"])
    assert {r.id for r in rows} == {s["scheduledPostId"] for s in started}
    assert all(r.container_id for r in rows)
    for item in started:
        job = client.get(f"/v1/jobs/{item['jobId']}", headers=headers).json()
        assert job["kind"] == "content_generate"
    wait_for(lambda: all(r.status == "ready" for r in slots(layer["id"])), timeout=120)
    # Nothing is missing any more: a refresh generates nothing new.
    refresh = client.post(
        f"/api/project-layers/{layer['id']}/execute",
        json={"commandId": "refresh-schedule", "parameters": {}},
        headers=headers,
    ).json()

    def done() -> dict[str, object] | None:
        body: dict[str, object] = client.get(f"/v1/runs/{refresh['runId']}", headers=headers).json()
        return body if body["status"] in ("completed", "failed") else None

    assert wait_for(done)["output"]["generateCount"] == 0  # type: ignore[index]
