from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from layers.events import service as events
from layers.kit import db as kit_db
from tests import support
from tests.support import Tenant
from tests.webhooks.receiver import Receiver


def create_endpoint(
    client: TestClient,
    tenant: Tenant,
    receiver: Receiver,
    events_: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    response = client.post(
        "/v1/webhook-endpoints",
        headers=tenant.headers(test=True),
        json={"url": receiver.url, "events": events_ or ["test.ping"], **extra},
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    receiver.secrets.append(created["signingSecret"])
    return created["endpoint"]  # type: ignore[no-any-return]


def record(tenant: Tenant, type_: str, subject: str, **data: Any) -> str:
    """Record an event in a committed transaction of its own (test mode)."""
    with kit_db.get_database().transaction() as session:
        event = events.record(
            session,
            type_,
            org_id=tenant.org_id,
            livemode=False,
            project_id=None,
            subject_id=subject,
            data={"jobId": subject, "kind": "test", **data},
        )
        return event.id


def deliveries(client: TestClient, tenant: Tenant, endpoint_id: str) -> list[dict[str, Any]]:
    response = client.get(
        f"/v1/webhook-endpoints/{endpoint_id}/deliveries",
        headers=tenant.headers(test=True),
        params={"limit": 100},
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def settled(client: TestClient, tenant: Tenant, endpoint_id: str, count: int) -> list[Any]:
    """The endpoint's deliveries once `count` of them have stopped moving."""

    def done() -> list[dict[str, Any]] | None:
        rows = deliveries(client, tenant, endpoint_id)
        finished = [r for r in rows if r["status"] in ("delivered", "failed", "abandoned")]
        return rows if len(finished) >= count else None

    return support.wait_for(done, timeout=60, every=0.1)
