"""From a recorded event to its deliveries, in the recording transaction.

`on_event` is plugged into `layers.events.service` by the composition root. For each active
endpoint subscribed to the event (same organization and mode, the project filter, or a
parent's firehose), it writes a ``pending`` delivery with the frozen payload and enqueues the
delivery's first attempt (DBOS workflow ``webhooks.deliver``) *in the same transaction*: a
delivery exists if and only if the change committed. No cursor reads the event log, so the
order in which concurrent transactions commit cannot make us skip an event.

Attempts of one endpoint about one subject share a DBOS queue partition (concurrency 1), and
DBOS starts a partition's workflows in the order they were enqueued, so a subject's events
reach an endpoint in the order of their transactions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from layers.kit import clock, durable
from layers.kit.ids import new_id
from layers.kit.settings import get_settings
from layers.models.events import Event
from layers.models.webhooks import WebhookDelivery, WebhookEndpoint
from layers.webhooks import repository

WORKFLOW = "webhooks.deliver"
API_VERSION = "v1"


def payload(
    *,
    event_id: str,
    type_: str,
    created: datetime,
    livemode: bool,
    org_id: str,
    project_id: str | None,
    data: dict[str, Any],
    replay_of: str | None = None,
) -> dict[str, Any]:
    """The JSON body of a delivery (every retry sends exactly these bytes)."""
    body: dict[str, Any] = {
        "id": event_id,
        "object": "event",
        "type": type_,
        "apiVersion": API_VERSION,
        "created": clock.isoformat_z(created),
        "livemode": livemode,
        "organizationId": org_id,
        "projectId": project_id,
        "data": data,
    }
    if replay_of is not None:
        body["replayOf"] = replay_of
    return body


def on_event(session: Session, event: Event) -> None:
    """Create and enqueue the deliveries of `event` (see the module docstring)."""
    for endpoint in repository.receivers(session, event.org_id, event.livemode):
        if event.type not in endpoint.events:
            continue
        if endpoint.project_id is not None and endpoint.project_id != event.project_id:
            continue
        data = event.data
        if endpoint.org_id != event.org_id:
            data = {**data, "organizationId": event.org_id}
        body = payload(
            event_id=event.id,
            type_=event.type,
            created=event.created_at,
            livemode=event.livemode,
            org_id=event.org_id,
            project_id=event.project_id,
            data=data,
        )
        create(session, endpoint, event.id, event.type, event.subject_id, body)


def create(
    session: Session,
    endpoint: WebhookEndpoint,
    event_id: str,
    type_: str,
    subject_id: str | None,
    body: dict[str, Any],
    *,
    replay_of: str | None = None,
) -> WebhookDelivery:
    """A pending delivery of `body` to `endpoint`, its first attempt enqueued in `session`."""
    now = clock.now()
    delivery = WebhookDelivery(
        id=new_id("whd", now),
        org_id=endpoint.org_id,
        livemode=endpoint.livemode,
        endpoint_id=endpoint.id,
        event_id=event_id,
        event_type=type_,
        subject_id=subject_id,
        payload=body,
        replay_of=replay_of,
        status="pending",
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    session.add(delivery)
    session.flush()
    enqueue_attempt(session, delivery, 1)
    return delivery


def partition(delivery: WebhookDelivery) -> str:
    """The queue partition: one endpoint and one subject (the event itself without one)."""
    return f"{delivery.endpoint_id}:{delivery.subject_id or delivery.event_id}"


def enqueue_attempt(
    session: Session, delivery: WebhookDelivery, attempt: int, delay_seconds: float = 0.0
) -> None:
    """Enqueue attempt number `attempt` (workflow id ``<delivery>:<attempt>``, so enqueueing
    it twice starts it once), after `delay_seconds` (a durable DBOS timer)."""
    durable.enqueue(
        session,
        get_settings(),
        WORKFLOW,
        delivery.id,
        attempt,
        workflow_id=f"{delivery.id}:{attempt}",
        queue=durable.DELIVERY.name,
        partition_key=partition(delivery),
        delay_seconds=delay_seconds or None,
    )
