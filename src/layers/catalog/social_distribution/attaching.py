"""attach-to-schedule: completed content into the layer's earliest empty slot.

In the caller's transaction (an activity's). The slot is claimed with one conditional UPDATE
(`repository.claim_earliest`): two concurrent attaches never get the same slot.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from layers.catalog.social_distribution import repository
from layers.catalog.social_distribution.binding import layer_of
from layers.kit import clock
from layers.kit.errors import Conflict, Validation
from layers.kit.ids import has_prefix
from layers.models.content import ContentContainer
from layers.models.engine import ProjectLayer
from layers.models.publishing import ScheduledPost
from layers.publishing.scheduling import service as scheduling

MAX_CLAIM_TRIES = 200


def attach_container(
    session: Session, layer: ProjectLayer, container: ContentContainer, now: datetime
) -> tuple[ScheduledPost, bool]:
    """Put `container` in the layer's earliest empty future slot. Returns the slot and whether
    it was attached now (False: the container already holds a slot of the layer: idempotent)."""
    existing = repository.live_post_of_container(session, layer.id, container.id)
    if existing is not None:
        return existing, False
    status = scheduling.initial_post_status(container)
    for _ in range(MAX_CLAIM_TRIES):
        slot_id = repository.claim_earliest(session, layer.id, container.id, status, now)
        if slot_id is not None:
            post = session.get(ScheduledPost, slot_id)
            assert post is not None
            session.refresh(post)
            return post, True
        if not repository.has_empty_slot(session, layer.id, now):
            break
        time.sleep(0.01)  # every candidate is locked by another attach that may roll back
    raise Conflict(
        f"Layer {layer.id} has no empty slot left; refresh the schedule or widen it.",
        layerId=layer.id,
        containerId=container.id,
    )


def attach(session: Session, layer_id: str, container_id: str) -> dict[str, Any]:
    """attach-to-schedule: the container → the earliest empty slot (409 when none is left)."""
    now = clock.now()
    layer = layer_of(session, layer_id)
    container = (
        session.get(ContentContainer, container_id) if has_prefix(container_id, "cnt") else None
    )
    if (
        container is None
        or container.project_id != layer.project_id
        or container.livemode != layer.livemode
    ):
        raise Validation.field(
            "parameters.containerId", "no content with this id in the project", "not_found"
        )
    if container.approval_status not in repository.ELIGIBLE_APPROVAL:
        raise Conflict(
            f"Content {container.id} is {container.approval_status}; approve it first.",
            containerId=container.id,
            approvalStatus=container.approval_status,
        )
    post, attached = attach_container(session, layer, container, now)
    return {
        "scheduledPostId": post.id,
        "scheduledFor": clock.isoformat_z(post.scheduled_at),
        "status": post.status,
        "attached": attached,
    }
