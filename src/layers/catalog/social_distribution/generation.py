"""Generate-and-attach for a distribution layer's empty slots (automatic generation mode)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from layers.catalog.social_distribution import repository
from layers.content import service as content
from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.errors import Conflict, LayersError


def _generation_choice(session: Session, project_id: str) -> tuple[str, str | None]:
    """The format and influencer a generated post uses, chosen from the project: a
    slideshow built from the brand, led by the project's oldest ready influencer if any."""
    return "slideshow-builder", repository.oldest_ready_influencer(session, project_id)


def generate_for_empty_slots(layer_id: str, until: datetime, limit: int) -> dict[str, Any]:
    """Generate-and-attach for up to `limit` empty slots of the layer before `until`, earliest
    first. Idempotent: a re-execution only finds the slots still empty.

    Content the project's review policy holds for review is generated but not attached (the
    slot stays empty and is skipped here; the plan counts such content as in flight).

    Owns its transactions, one per slot, committed as it goes: a slot's container, job and
    claim commit together, so a concurrent attach sees the slot taken at once, and a refusal
    on a later slot (a lost race, no credits) keeps the generations already started.
    """
    started: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    after: datetime | None = None  # past the slots left empty for content held for review
    for _ in range(limit):
        now = clock.now()
        try:
            with get_database().transaction() as session:
                slot = session.scalar(
                    repository.earliest_empty_slot(layer_id, max(now, after or now), until)
                )
                if slot is None:
                    break
                content_format, influencer_id = _generation_choice(session, slot.project_id)
                container, job = content.generate_and_attach(
                    session, slot, content_format, influencer_id=influencer_id
                )
                held = container.approval_status == "pending"
                if held:
                    after = slot.scheduled_at
                started.append(
                    {
                        "containerId": container.id,
                        "jobId": job.id,
                        **({"approvalStatus": "pending"} if held else {"scheduledPostId": slot.id}),
                    }
                )
        except Conflict:
            continue  # another attach won this slot: take the next one
        except LayersError as exc:
            errors.append({"code": exc.code, "message": exc.message})
            break
    return {"started": started, "errors": errors}
