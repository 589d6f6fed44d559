"""process-due: a distribution layer's due slots go to the publish protocol, only while the
layer's config says ``willPublish``. Claiming is `layers.publishing.protocol.claim_ready`, the
one claim path."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.catalog.social_distribution import repository
from layers.catalog.social_distribution.binding import layer_config
from layers.kit import clock
from layers.kit.db import get_database
from layers.models.engine import ProjectLayer
from layers.models.publishing import ScheduledPost
from layers.publishing import protocol as publishing

DISPATCH_BATCH = publishing.DISPATCH_BATCH


def has_due(session: Session, layer: ProjectLayer, now: datetime) -> bool:
    """process-due's probe: publishing is on and a slot is due (not waiting on a reconnect)."""
    if not (layer.config or {}).get("willPublish"):
        return False
    return repository.has_due_post(session, layer.id, now)


def dispatch(layer_id: str, *, limit: int = DISPATCH_BATCH) -> dict[str, Any]:
    """process-due: nothing unless the layer's current config says ``willPublish``; else claim
    its due ready slots and enqueue their publish workflows, batch by batch.

    Owns its transactions: the config is read first, then each batch commits its claims with
    the publish workflows it enqueued before the next batch is taken, so posts start going
    out while the rest are claimed, and a crash halfway keeps the claims already made.
    """
    claimed: list[str] = []
    held = 0
    with get_database().transaction(write=False) as session:
        config = layer_config(session, layer_id)
    if not config.get("willPublish"):
        return {"willPublish": False, "claimed": 0, "held": 0, "postIds": []}
    where = sa.and_(ScheduledPost.layer_id == layer_id, ScheduledPost.origin == "slot")
    while True:
        with get_database().transaction() as session:
            batch, newly_held = publishing.claim_ready(session, clock.now(), where, limit=limit)
        claimed.extend(batch)
        held += newly_held
        if len(batch) < limit:
            break
    return {"willPublish": True, "claimed": len(claimed), "held": held, "postIds": claimed[:50]}
