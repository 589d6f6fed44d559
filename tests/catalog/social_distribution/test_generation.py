"""generationMode automatic: the planner generates for its empty slots through the content
pipeline's generate-and-attach (visible as jobs and as pending_assets posts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit.db import get_database
from layers.models.content import ContentContainer
from layers.models.jobs import Job
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount
from layers.social import health
from tests.catalog.social_distribution.helpers import account, install_layer, slots
from tests.engine.helpers import execute, wait_for_run
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


def _generations(project_id: str) -> list[tuple[str, str, str | None]]:
    """Every content generation of the project: (job id, job status, container id)."""
    with get_database().transaction(write=False) as session:
        rows = session.execute(
            sa.select(Job.id, Job.status, Job.subject_id).where(
                Job.project_id == project_id, Job.kind == "content_generate"
            )
        ).all()
        return [(str(i), str(s), str(c) if c else None) for i, s, c in rows]


def _runs(client: TestClient, headers: dict[str, str], layer_id: str) -> list[dict[str, Any]]:
    body = client.get("/v1/runs", params={"layerId": layer_id, "limit": 100}, headers=headers)
    return [r for r in body.json()["items"] if r["commandId"] == "refresh-schedule"]


def _refresh(client: TestClient, headers: dict[str, str], layer_id: str) -> dict[str, Any]:
    run = execute(client, headers, layer_id, "refresh-schedule")
    done = wait_for_run(client, headers, run["runId"], timeout=120)
    assert done["status"] == "completed", done
    output: dict[str, Any] = done["output"]
    return output


def _one_generation_per_slot(project_id: str, layer_id: str, output: dict[str, Any]) -> None:
    """Every generation sits in a slot of its own, and the generations in flight (their
    content still generating) are no more than the slots of the planned horizon without
    ready content: each holds one of those slots."""
    end = datetime.fromisoformat(output["horizonEnd"].replace("Z", "+00:00"))
    with get_database().transaction(write=False) as session:  # one snapshot of both
        generated = dict(
            session.execute(
                sa.select(ContentContainer.id, ContentContainer.status)
                .join(Job, Job.subject_id == ContentContainer.id)
                .where(Job.project_id == project_id, Job.kind == "content_generate")
            ).all()
        )
        held = dict(
            session.execute(
                sa.select(ScheduledPost.container_id, ScheduledPost.scheduled_at).where(
                    ScheduledPost.layer_id == layer_id, ScheduledPost.container_id.is_not(None)
                )
            ).all()
        )
        unready = session.scalar(
            sa.select(sa.func.count())
            .select_from(ScheduledPost)
            .where(
                ScheduledPost.layer_id == layer_id,
                ScheduledPost.scheduled_at <= end,
                ScheduledPost.status.in_(("pending", "pending_assets")),
            )
        )
    assert set(generated) <= set(held)  # (a dict: one slot per container)
    in_flight = [c for c, status in generated.items() if status in ("queued", "processing")]
    assert all(held[c] <= end for c in in_flight)
    assert len(in_flight) <= (unready or 0)


def test_replanning_an_unchanged_layer_plans_and_generates_nothing_more(
    client: TestClient, tenant: Tenant
) -> None:
    """The horizon comes from the config and the clock, not from the content in the slots:
    content kept in slots off the configured times (a slot holding content is never moved)
    used to widen it at every plan, and each new empty slot started one more generation."""
    headers = tenant.headers(test=True)
    response = client.post("/v1/projects", json=ACME, headers=headers)
    assert response.status_code == 201, response.text
    project_id = response.json()["id"]
    account_id = account(project_id)
    with get_database().transaction() as session:
        found = session.get(SocialAccount, account_id)
        assert found is not None
        health.take_snapshot(session, found, reason="test").temperature = "hot"
    layer = install_layer(client, tenant, project_id, account_id, generationMode="automatic")
    install = client.get(f"/v1/runs/{layer['installRunId']}", headers=headers).json()
    assert install["output"]["horizonDays"] == 3 and install["output"]["generateCount"] == 9
    assert len(_generations(project_id)) == 9  # 3 days × 10:00, 15:00, 19:00
    _one_generation_per_slot(project_id, layer["id"], install["output"])
    wait_for(lambda: all(r.status == "ready" for r in slots(layer["id"])), timeout=120)

    # One post a day from now on: the 15:00 and 19:00 slots keep their content, and the
    # 10:00 slots of the 3-day horizon all hold content already.
    response = client.patch(
        f"/v1/layers/{layer['id']}", json={"config": {"postsPerDay": 1}}, headers=headers
    )
    assert response.status_code == 200, response.text
    changed = wait_for(lambda: _runs(client, headers, layer["id"]))
    assert changed[0]["trigger"] == "config_change"
    output = wait_for_run(client, headers, changed[0]["id"], timeout=120)["output"]
    assert (output["times"], output["horizonDays"]) == (["10:00"], 3)
    assert (output["created"], output["removed"], output["generateCount"]) == (0, 0, 0)
    assert len(_generations(project_id)) == 9
    before = slots(layer["id"])
    latest = max(r.scheduled_at for r in before)

    # Re-planning the unchanged layer: no new slot, the horizon stays, no generation.
    for _ in range(3):
        output = _refresh(client, headers, layer["id"])
        assert output["horizonDays"] == 3
        assert (output["created"], output["removed"]) == (0, 0)
        assert output["generateCount"] == 0 and "generated" not in output
        rows = slots(layer["id"])
        assert {r.id for r in rows} == {r.id for r in before}
        assert max(r.scheduled_at for r in rows) == latest
        assert len(_generations(project_id)) == 9
        _one_generation_per_slot(project_id, layer["id"], output)


def test_generation_fills_only_the_empty_slots_of_the_horizon(
    client: TestClient, tenant: Tenant
) -> None:
    """A wider horizon asked once (horizonDays) adds its empty slots and one generation for
    each; the following plans, in flight or not, start none."""
    headers = tenant.headers(test=True)
    response = client.post("/v1/projects", json=ACME, headers=headers)
    assert response.status_code == 201, response.text
    project_id = response.json()["id"]
    layer = install_layer(
        client, tenant, project_id, account(project_id), generationMode="automatic"
    )
    assert len(_generations(project_id)) == 3
    run = execute(client, headers, layer["id"], "refresh-schedule", {"horizonDays": 5})
    output = wait_for_run(client, headers, run["runId"], timeout=120)["output"]
    assert output["horizonDays"] == 5 and output["created"] == 2
    assert output["missingSlots"] == 5 and output["generateCount"] == 5 - output["inFlight"]
    assert len(output["generated"]["started"]) == output["generateCount"]
    assert len(_generations(project_id)) == 5
    _one_generation_per_slot(project_id, layer["id"], output)
    wait_for(lambda: all(r.status == "ready" for r in slots(layer["id"])), timeout=120)
    for _ in range(2):
        output = _refresh(client, headers, layer["id"])
        assert output["horizonDays"] == 3 and output["created"] == 0
        assert output["generateCount"] == 0 and "generated" not in output
        assert len(slots(layer["id"])) == 5 and len(_generations(project_id)) == 5
        _one_generation_per_slot(project_id, layer["id"], output)
