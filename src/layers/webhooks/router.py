"""The webhooks API (§21): endpoints, their deliveries, test pings and replays."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from layers.kit import clock
from layers.kit.http import LayersRouter
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires
from layers.webhooks import service
from layers.webhooks.schemas import (
    DeliveryList,
    DeliveryStatus,
    EndpointCreate,
    EndpointCreated,
    EndpointDeleted,
    EndpointList,
    EndpointOut,
    EndpointStatus,
    EndpointUpdate,
    ReplayResult,
    SecretRotated,
    TestBody,
    TestSent,
)

router = LayersRouter(prefix="/v1", tags=["webhooks"])

READ, WRITE = "webhooks:read", "webhooks:write"
Cursor = Annotated[str | None, Query(max_length=128)]
Limit = Annotated[int, Query(ge=1, le=100)]


@router.post("/webhook-endpoints", status_code=201, dependencies=[requires(WRITE)])
def create_endpoint(
    body: EndpointCreate, principal: CurrentPrincipal, session: DbSession
) -> EndpointCreated:
    """Subscribe a URL to events. The signing secret is in this response only."""
    endpoint, secret = service.create(session, principal, body)
    return EndpointCreated(endpoint=service.endpoint_out(endpoint), signing_secret=secret)


@router.get("/webhook-endpoints", dependencies=[requires(READ)])
def list_endpoints(
    principal: CurrentPrincipal,
    session: DbSession,
    project_id: Annotated[str | None, Query(alias="projectId", max_length=40)] = None,
    status: EndpointStatus | None = None,
    cursor: Cursor = None,
    limit: Limit = 25,
) -> EndpointList:
    rows, next_cursor = service.page_endpoints(
        session,
        principal,
        project_id=project_id,
        status=status.value if status else None,
        cursor=cursor,
        limit=limit,
    )
    return EndpointList(items=[service.endpoint_out(e) for e in rows], next_cursor=next_cursor)


@router.get("/webhook-endpoints/{endpoint_id}", dependencies=[requires(READ)])
def get_endpoint(endpoint_id: str, principal: CurrentPrincipal, session: DbSession) -> EndpointOut:
    return service.endpoint_out(service.get(session, principal, endpoint_id))


@router.patch("/webhook-endpoints/{endpoint_id}", dependencies=[requires(WRITE)])
def update_endpoint(
    endpoint_id: str, body: EndpointUpdate, principal: CurrentPrincipal, session: DbSession
) -> EndpointOut:
    """Change fields (at least one). `status: active` resumes a paused or auto-paused
    endpoint and resets its failure count."""
    return service.endpoint_out(service.update(session, principal, endpoint_id, body))


@router.delete("/webhook-endpoints/{endpoint_id}", dependencies=[requires(WRITE)])
def delete_endpoint(
    endpoint_id: str, principal: CurrentPrincipal, session: DbSession
) -> EndpointDeleted:
    """Delete the endpoint and its delivery history (PATCH `paused` to stop it for a while)."""
    service.delete(session, principal, endpoint_id)
    return EndpointDeleted(id=endpoint_id, deleted=True)


@router.post("/webhook-endpoints/{endpoint_id}/rotate-secret", dependencies=[requires(WRITE)])
def rotate_secret(
    endpoint_id: str, principal: CurrentPrincipal, session: DbSession
) -> SecretRotated:
    endpoint, secret = service.rotate_secret(session, principal, endpoint_id)
    assert endpoint.previous_secret_expires_at is not None
    return SecretRotated(
        endpoint_id=endpoint.id,
        signing_secret=secret,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
        warning=service.ROTATION_WARNING,
    )


@router.get("/webhook-endpoints/{endpoint_id}/deliveries", dependencies=[requires(READ)])
def list_deliveries(
    endpoint_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    event_type: Annotated[str | None, Query(alias="eventType", max_length=64)] = None,
    status: DeliveryStatus | None = None,
    cursor: Cursor = None,
    limit: Limit = 25,
) -> DeliveryList:
    """Newest first; payloads are omitted. One event id on several rows is a replay chain."""
    rows, next_cursor = service.page_deliveries(
        session,
        principal,
        endpoint_id,
        event_type=event_type,
        status=status.value if status else None,
        cursor=cursor,
        limit=limit,
    )
    return DeliveryList(items=[service.delivery_out(d) for d in rows], next_cursor=next_cursor)


@router.post(
    "/webhook-endpoints/{endpoint_id}/test", status_code=202, dependencies=[requires(WRITE)]
)
def send_test_ping(
    endpoint_id: str, body: TestBody, principal: CurrentPrincipal, session: DbSession
) -> TestSent:
    """Send a signed `test.ping`, whatever the endpoint subscribes to; send `{}` or
    `{"payload": {…}}` (the event's `data`)."""
    delivery = service.send_test(session, principal, endpoint_id, body.payload)
    return TestSent(
        event_id=delivery.event_id, delivery_id=delivery.id, scheduled_at=delivery.created_at
    )


@router.post(
    "/webhook-deliveries/{delivery_id}/replay", status_code=202, dependencies=[requires(WRITE)]
)
def replay_delivery(
    delivery_id: str, principal: CurrentPrincipal, session: DbSession
) -> ReplayResult:
    """Send the delivery's event again, with a new event id and a top-level `replayOf`."""
    replay = service.replay(session, principal, delivery_id)
    return ReplayResult(
        original_delivery_id=delivery_id, replay_delivery_id=replay.id, scheduled_at=clock.now()
    )
