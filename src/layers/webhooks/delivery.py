"""One delivery attempt: sign, send, record, and decide what comes next.

Three short steps, none holding a transaction across the network call:

1. ``pending → delivering`` (attempt n), read the endpoint and its signing secrets;
2. POST the frozen payload, signed with every secret valid now (one ``v1=`` each);
3. record the answer on the delivery and the endpoint, and in that same transaction enqueue
   attempt n+1 after the ladder's next delay (a durable DBOS timer), or end the delivery:
   2xx → ``delivered``; 5xx, 429, a timeout or a network error → retried, ``abandoned`` after
   the last rung; any other answer (and a URL the guard refuses) → ``failed`` at once.

A worker that dies mid-attempt re-runs the attempt on recovery (step 1 lets the same attempt
in again): a receiver may see an event twice, never lose one, and dedupes on
``X-Layers-Event-Id``, which every retry of a delivery repeats.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.settings import get_settings
from layers.social.vault import get_vault
from layers.webhooks import outbox, repository, signing
from layers.webhooks.sender.base import SendResult
from layers.webhooks.sender.registry import webhook_sender

log = logging.getLogger("layers.webhooks")

BODY_SNIPPET = 1000
PAUSED_MESSAGE = "The endpoint is paused; replay this delivery once it is active again."


@dataclass(frozen=True)
class _Send:
    url: str
    livemode: bool
    body: bytes
    event_id: str
    secrets: list[str]


def body_bytes(payload: dict[str, object]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, keys in their stored order."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def run_attempt(delivery_id: str, attempt: int) -> str:
    """Attempt number `attempt` of a delivery; returns the delivery's status afterwards."""
    prepared = _start(delivery_id, attempt)
    if isinstance(prepared, str):
        return prepared
    timestamp = int(time.time())
    headers = {
        signing.SIGNATURE_HEADER: signing.header(prepared.secrets, timestamp, prepared.body),
        signing.EVENT_ID_HEADER: prepared.event_id,
    }
    result = webhook_sender(prepared.livemode).send(prepared.url, prepared.body, headers)
    return _settle(delivery_id, attempt, result)


def _start(delivery_id: str, attempt: int) -> _Send | str:
    now = clock.now()
    with get_database().transaction() as session:
        delivery = session.get(repository.deliveries.model, delivery_id)
        if delivery is None:
            return "gone"  # its endpoint was deleted
        endpoint = session.get(repository.endpoints.model, delivery.endpoint_id)
        if endpoint is None:
            return "gone"
        if endpoint.status != "active":
            repository.abandon(session, delivery_id, now, PAUSED_MESSAGE)
            return "abandoned"  # nothing was sent: the attempt is not counted
        if not repository.start_attempt(session, delivery_id, attempt, now):
            return delivery.status  # already moved on (a duplicate start)
        vault = get_vault()
        secrets = [vault.read(session, endpoint.secret_vault_id).reveal()]
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret_vault_id and expires is not None and expires > now:
            secrets.append(vault.read(session, endpoint.previous_secret_vault_id).reveal())
        return _Send(
            url=endpoint.url,
            livemode=endpoint.livemode,
            body=body_bytes(delivery.payload),
            event_id=delivery.event_id,
            secrets=secrets,
        )


def retryable(result: SendResult) -> bool:
    """5xx, 429, timeouts and network errors are retried; nothing else is."""
    if result.status is None:
        return not result.refused
    return result.status == 429 or result.status >= 500


def _settle(delivery_id: str, attempt: int, result: SendResult) -> str:
    now = clock.now()
    ladder = get_settings().resolved_webhook_retry_ladder
    ok = result.status is not None and 200 <= result.status < 300
    values: dict[str, object] = {
        "last_response_status": result.status,
        "last_response_at": now if result.status is not None else None,
        "last_response_body": result.body[:BODY_SNIPPET] if result.status is not None else None,
        "last_error_message": None if ok else _message(result),
    }
    if ok:
        status = "delivered"
        values.update(status=status, delivered_at=now)
    elif retryable(result) and attempt < len(ladder):
        status = "pending"
        delay = ladder[attempt]
        values.update(status=status, next_retry_at=now + timedelta(seconds=delay))
    elif retryable(result):
        status = "abandoned"
        values.update(status=status, abandoned_at=now)
    else:
        status = "failed"
    if status == "failed":
        values.update(status=status)
    with get_database().transaction() as session:
        delivery = session.get(repository.deliveries.model, delivery_id)
        if delivery is None or not repository.end_attempt(
            session, delivery_id, attempt, now, **values
        ):
            return "gone"
        if ok:
            repository.endpoint_succeeded(session, delivery.endpoint_id, now)
        elif repository.endpoint_failed(session, delivery.endpoint_id, now):
            log.warning("webhook endpoint %s auto-paused", delivery.endpoint_id)
        if status == "pending":
            outbox.enqueue_attempt(session, delivery, attempt + 1, ladder[attempt])
    log.info(
        "webhook delivery %s attempt %d → %s (%s)",
        delivery_id,
        attempt,
        status,
        result.status if result.status is not None else result.error,
    )
    return status


def _message(result: SendResult) -> str:
    if result.status is None:
        return (result.error or "no answer")[:1000]
    return f"The endpoint answered HTTP {result.status}."
