"""The catalog's events from real changes, each delivered signed: a generation (job.completed,
content.generated), scheduling (post.scheduled), publishing (post.published with
externalUrl), connecting an account, canceling a post."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from layers.kit import clock
from layers.publishing.protocol import dispatch_due
from tests.support import ACME, Tenant, new_social_account, ready_influencer, wait_for, wait_for_job
from tests.webhooks.helpers import create_endpoint
from tests.webhooks.receiver import Received, Receiver

CATALOG = [
    "job.completed",
    "content.generated",
    "post.scheduled",
    "post.published",
    "post.canceled",
    "social_account.connected",
]


def one(receiver: Receiver, type_: str, **match: Any) -> Received:
    def found() -> Received | None:
        hits = [
            r
            for r in receiver.of_type(type_)
            if all(r.body["data"].get(k) == v for k, v in match.items())
        ]
        return hits[0] if hits else None

    return wait_for(found, timeout=90, every=0.1)


def test_generation_scheduling_and_publishing_emit_signed_events(
    client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    headers = tenant.headers(test=True)
    create_endpoint(client, tenant, receiver, CATALOG)
    project = client.post("/v1/projects", json=ACME, headers=headers).json()
    ready_influencer(client, project["id"], headers)

    accepted = client.post(
        f"/v1/projects/{project['id']}/content/slideshow-builder",
        json={"hook": "Three ways to never run out of coffee"},
        headers=headers,
    )
    assert accepted.status_code == 202, accepted.text
    job_id, container_id = accepted.json()["jobId"], accepted.json()["containerId"]
    assert wait_for_job(client, job_id, headers, timeout=120)["status"] == "completed"

    completed = one(receiver, "job.completed", jobId=job_id)
    assert completed.body["data"]["kind"] == "content_generate"
    assert completed.body["data"]["result"]["containerId"] == container_id
    assert completed.body["projectId"] == project["id"]
    generated = one(receiver, "content.generated", id=container_id)
    assert generated.body["data"]["projectId"] == project["id"]
    assert generated.body["data"]["assets"] and all(
        a["assetId"].startswith("ast_") for a in generated.body["data"]["assets"]
    )

    account_id = new_social_account(project["id"])
    connected = one(receiver, "social_account.connected", socialAccountId=account_id)
    assert connected.body["data"]["platform"] == "tiktok"

    when = clock.now() + timedelta(minutes=5)
    scheduled = client.post(
        f"/v1/content/{container_id}/schedule",
        json={
            "scheduledFor": clock.isoformat_z(when),
            "targets": [{"socialAccountId": account_id, "mode": "publish"}],
        },
        headers=headers,
    )
    assert scheduled.status_code == 201, scheduled.text
    [post_id] = scheduled.json()["scheduledPostIds"]
    event = one(receiver, "post.scheduled", scheduledPostId=post_id)
    assert event.body["data"]["containerId"] == container_id
    assert event.body["data"]["scheduledFor"] == scheduled.json()["scheduledFor"]

    dispatch_due(when + timedelta(seconds=1))
    published = one(receiver, "post.published", scheduledPostId=post_id)
    data = published.body["data"]
    assert data["externalUrl"] and data["externalUrl"].startswith("https://")
    assert data["externalId"] and data["containerId"] == container_id

    second = client.post(
        f"/v1/content/{container_id}/schedule",
        json={
            "scheduledFor": clock.isoformat_z(when + timedelta(days=1)),
            "targets": [{"socialAccountId": account_id, "mode": "publish"}],
        },
        headers=headers,
    ).json()["scheduledPostIds"][0]
    assert client.delete(f"/v1/scheduled-posts/{second}", headers=headers).status_code == 200
    one(receiver, "post.canceled", scheduledPostId=second)

    # Every delivery was signed with the endpoint's secret; each event id arrived once.
    assert receiver.received and all(r.verified for r in receiver.received)
    ids = [r.event_id for r in receiver.received]
    assert len(ids) == len(set(ids))
    # The subscription filter holds: nothing outside the list was sent.
    assert {r.body["type"] for r in receiver.received} <= set(CATALOG)
