"""Delivery against a real receiver on 127.0.0.1: signatures, retries, auto-pause, replay,
rotation, and the outbox's atomicity with the change."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from layers.events import service as events
from layers.kit import db as kit_db
from layers.kit.ids import new_id
from layers.models.webhooks import WebhookDelivery
from tests import support
from tests.support import Tenant
from tests.webhooks.helpers import create_endpoint, deliveries, record, settled
from tests.webhooks.receiver import Receiver, verify

pytestmark = pytest.mark.usefixtures("short_ladder")


def test_a_recorded_event_is_delivered_signed(
    client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    endpoint = create_endpoint(client, tenant, receiver, ["job.completed"])
    job_id = new_id("job")
    event_id = record(tenant, "job.completed", job_id, result={"ok": True})
    [row] = settled(client, tenant, endpoint["id"], 1)
    assert row["status"] == "delivered"
    assert row["attempts"] == 1
    assert row["eventId"] == event_id
    assert row["lastResponseStatus"] == 200
    [got] = receiver.received
    assert got.verified
    assert got.event_id == event_id
    assert got.body["id"] == event_id
    assert got.body["type"] == "job.completed"
    assert got.body["livemode"] is False
    assert got.body["organizationId"] == tenant.org_id
    assert got.body["data"] == {"jobId": job_id, "kind": "test", "result": {"ok": True}}
    assert got.signature.startswith("t=") and got.signature.count("v1=") == 1


def test_500_three_times_then_200_is_one_delivery_with_four_attempts(
    client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.answer = lambda n, _body: 500 if n < 3 else 200
    endpoint = create_endpoint(client, tenant, receiver, ["job.failed"])
    event_id = record(tenant, "job.failed", new_id("job"), error={"code": "X"})
    [row] = settled(client, tenant, endpoint["id"], 1)
    assert row["status"] == "delivered"
    assert row["attempts"] == 4
    assert row["eventId"] == event_id
    assert [r.answered for r in receiver.received] == [500, 500, 500, 200]
    assert {r.event_id for r in receiver.received} == {event_id}  # stable across retries
    assert all(r.verified for r in receiver.received)
    assert len({r.raw for r in receiver.received}) == 1  # the same bytes every time
    got = client.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=tenant.headers(test=True))
    assert got.json()["consecutiveFailureCount"] == 0
    assert got.json()["lastSuccessAt"] is not None


def test_a_4xx_fails_at_once_and_429_is_retried(
    client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.answer = lambda _n, body: 429 if body["data"].get("retry") else 410
    endpoint = create_endpoint(client, tenant, receiver, ["job.completed"])
    record(tenant, "job.completed", new_id("job"))
    rows = settled(client, tenant, endpoint["id"], 1)
    assert [(r["status"], r["attempts"], r["lastResponseStatus"]) for r in rows] == [
        ("failed", 1, 410)
    ]
    assert "410" in rows[0]["lastErrorMessage"]
    receiver.answer = lambda n, _body: 429 if n < 2 else 200
    receiver.received.clear()
    record(tenant, "job.completed", new_id("job"))
    rows = settled(client, tenant, endpoint["id"], 2)
    assert (rows[0]["status"], rows[0]["attempts"]) == ("delivered", 3)


def test_every_rung_failing_abandons_the_delivery(
    client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.answer = lambda _n, _body: 503
    endpoint = create_endpoint(client, tenant, receiver, ["job.completed"])
    record(tenant, "job.completed", new_id("job"))
    [row] = settled(client, tenant, endpoint["id"], 1)
    assert (row["status"], row["attempts"]) == ("abandoned", 8)  # the ladder has 8 rungs
    assert row["abandonedAt"] is not None and row["nextRetryAt"] is None
    assert len(receiver.received) == 8


def test_always_500_pauses_the_endpoint_after_20_failures_and_patch_active_resets(
    client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.answer = lambda _n, _body: 500
    endpoint = create_endpoint(client, tenant, receiver, ["job.completed"])
    subject = new_id("job")  # one subject: its deliveries go one at a time, in order
    for _ in range(3):
        record(tenant, "job.completed", subject)
    headers = tenant.headers(test=True)

    def paused() -> dict[str, object] | None:
        body = client.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=headers).json()
        return body if body["status"] == "auto_paused" else None

    body = support.wait_for(paused, timeout=60)
    assert body["consecutiveFailureCount"] == 20
    rows = settled(client, tenant, endpoint["id"], 3)
    assert len(receiver.received) == 20  # nothing is sent to a paused endpoint
    assert sum(r["attempts"] for r in rows) == 20
    assert {r["status"] for r in rows} == {"abandoned"}
    # Paused: new events get no delivery; a test ping is refused.
    record(tenant, "job.completed", new_id("job"))
    ping = client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test", headers=headers, json={})
    support.assert_error(ping, 409, "CONFLICT")
    patched = client.patch(
        f"/v1/webhook-endpoints/{endpoint['id']}", headers=headers, json={"status": "active"}
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["status"], patched.json()["consecutiveFailureCount"]) == ("active", 0)
    assert len(deliveries(client, tenant, endpoint["id"])) == 3


def test_a_rolled_back_change_has_no_event_and_no_delivery(
    client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    endpoint = create_endpoint(client, tenant, receiver, ["job.completed"])
    job_id = new_id("job")

    def change_that_fails() -> None:
        with kit_db.get_database().transaction() as session:
            events.record(
                session,
                "job.completed",
                org_id=tenant.org_id,
                livemode=False,
                project_id=None,
                subject_id=job_id,
                data={"jobId": job_id},
            )
            session.flush()
            rows = session.query(WebhookDelivery).filter_by(endpoint_id=endpoint["id"]).count()
            assert rows == 1  # written, and its workflow enqueued, in this transaction
            raise RuntimeError("the change fails after the event was recorded")

    with pytest.raises(RuntimeError):
        change_that_fails()
    with kit_db.get_database().transaction(write=False) as session:
        assert events.for_subject(session, job_id) == []
    record(tenant, "job.completed", new_id("job"))  # a later event still flows
    settled(client, tenant, endpoint["id"], 1)
    time.sleep(0.5)
    assert [r.body["data"]["jobId"] for r in receiver.received] != [job_id]
    assert len(receiver.received) == 1
    assert len(deliveries(client, tenant, endpoint["id"])) == 1


def test_test_ping_replay_and_rotation(
    client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    endpoint = create_endpoint(client, tenant, receiver, ["job.completed"])
    headers = tenant.headers(test=True)
    sent = client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test", headers=headers, json={})
    assert sent.status_code == 202, sent.text
    [row] = settled(client, tenant, endpoint["id"], 1)
    assert row["id"] == sent.json()["deliveryId"] and row["eventType"] == "test.ping"
    ping = receiver.received[0].body
    assert ping["data"] == {
        "message": "A test event from Layers.",
        "endpointId": endpoint["id"],
        "organizationId": tenant.org_id,
    }
    # Replay: a new delivery and a new event id, with a top-level replayOf.
    replay = client.post(f"/v1/webhook-deliveries/{row['id']}/replay", headers=headers)
    assert replay.status_code == 202, replay.text
    assert replay.json()["originalDeliveryId"] == row["id"]
    settled(client, tenant, endpoint["id"], 2)
    again = receiver.received[1]
    assert again.body["replayOf"] == row["id"]
    assert again.event_id != ping["id"] and again.body["id"] == again.event_id
    assert again.body["data"] == ping["data"] and again.verified
    # Rotation: both secrets sign until the previous one expires.
    old_secret = receiver.secrets[0]
    rotated = client.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=headers)
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["signingSecret"]
    assert new_secret.startswith("whsec_") and new_secret != old_secret
    assert rotated.json()["previousSecretExpiresAt"].endswith("Z")
    client.post(
        f"/v1/webhook-endpoints/{endpoint['id']}/test",
        headers=headers,
        json={"payload": {"hello": "world"}},
    )
    settled(client, tenant, endpoint["id"], 3)
    third = receiver.received[2]
    assert third.body["data"] == {"hello": "world"}  # the payload override
    assert third.signature.count("v1=") == 2
    assert verify(new_secret, third.signature, third.raw)
    assert verify(old_secret, third.signature, third.raw)
    assert not verify("whsec_wrong", third.signature, third.raw)


def test_test_mode_events_never_reach_live_endpoints(
    client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    endpoint = create_endpoint(client, tenant, receiver, ["job.completed"])
    job_id = new_id("job")
    with kit_db.get_database().transaction() as session:
        events.record(
            session,
            "job.completed",
            org_id=tenant.org_id,
            livemode=True,
            project_id=None,
            subject_id=job_id,
            data={"jobId": job_id},
        )
    time.sleep(1.0)
    assert receiver.received == []
    assert deliveries(client, tenant, endpoint["id"]) == []
