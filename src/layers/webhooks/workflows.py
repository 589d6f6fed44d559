"""Durable webhook work: one DBOS workflow per delivery attempt (queue ``delivery``).

A retry is the next attempt's workflow, enqueued with the ladder's delay when the previous
attempt is recorded: a durable timer that survives restarts and, unlike a sleep inside a
workflow, holds neither a queue slot nor a thread while it waits (a receiver that is down for
a day must not stall every other endpoint's deliveries).
"""

from __future__ import annotations

from dbos import DBOS

from layers.webhooks import delivery
from layers.webhooks.outbox import WORKFLOW

CRONS = ()


@DBOS.step(name="webhooks.attempt", retries_allowed=False)
def attempt_step(delivery_id: str, attempt: int) -> str:
    return delivery.run_attempt(delivery_id, attempt)


@DBOS.workflow(name=WORKFLOW)
def deliver(delivery_id: str, attempt: int) -> str:
    """Attempt number `attempt` of delivery `delivery_id` (workflow id ``<id>:<attempt>``)."""
    return attempt_step(delivery_id, attempt)
