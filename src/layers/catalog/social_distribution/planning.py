"""social-distribution-plan in the database: the layer's slots over the horizon, ready content
attached to them, and how many empty slots call for generation (DESIGN §6). The arithmetic
(which times, which instants, how far ahead) is `planner`'s, pure; this module applies it, in
the caller's transaction (an activity's)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from layers.catalog.social_distribution import planner, repository
from layers.catalog.social_distribution.binding import bound_account, layer_of
from layers.kit import clock
from layers.models.projects import Project
from layers.social import health

MAX_GENERATE = 25  # generations one plan may start


@dataclass(frozen=True)
class PlanResult:
    times: list[str]
    temperature: str | None
    timezone: str
    horizon_days: int
    horizon_end: datetime
    created: int
    removed: int
    attached: int
    slots: int
    missing_slots: int
    in_flight: int
    generate_count: int
    generation_mode: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "times": self.times,
            "temperature": self.temperature,
            "timezone": self.timezone,
            "horizonDays": self.horizon_days,
            "horizonEnd": clock.isoformat_z(self.horizon_end),
            "created": self.created,
            "removed": self.removed,
            "attached": self.attached,
            "slots": self.slots,
            "missingSlots": self.missing_slots,
            "inFlight": self.in_flight,
            "generateCount": self.generate_count,
            "generationMode": self.generation_mode,
        }


def plan(
    session: Session,
    layer_id: str,
    config: Mapping[str, Any],
    *,
    min_horizon_days: int | None = None,
    now: datetime | None = None,
) -> PlanResult:
    """social-distribution-plan, steps 1–6 and the count of step 7 (DESIGN §6)."""
    now = now or clock.now()
    layer = layer_of(session, layer_id)
    project = session.get(Project, layer.project_id)
    assert project is not None
    zone = project.timezone
    account = bound_account(session, layer, config)
    mode = str(config.get("distributionMode", "automatic"))
    temperature = health.temperature(session, account.id) if mode == "automatic" else None
    times = planner.slot_times(config, temperature or "cold")
    per_day = len(times)
    # The horizon depends on the config, the clock and the content waiting for a slot, never
    # on the content already in slots: counting that (generated content included) widened
    # the horizon at every plan, and the new empty slots asked for more generation.
    unattached = repository.eligible_container_ids(
        session, layer.project_id, account.id, planner.MAX_HORIZON_DAYS * 5
    )
    days = planner.horizon_days(len(unattached), per_day, min_horizon_days)
    planned = planner.slots(times, zone, now, days)
    end = now + timedelta(days=days)
    wanted = {slot.at for slot in planned}
    stale = [
        post_id
        for post_id, at, slot_account in repository.empty_slots(session, layer.id)
        if at not in wanted or at <= now or slot_account != account.id
    ]
    removed = repository.delete_empty_slots(session, stale)
    created = repository.insert_empty_slots(
        session, layer, account.id, [slot.at for slot in planned], zone, now
    )
    attached = 0
    for container_id in unattached:
        slot_id = repository.claim_earliest(session, layer.id, container_id, "ready", now)
        if slot_id is None:
            break
        attached += 1
    counts = repository.upcoming_status_counts(session, layer.id, now, end)
    pending, in_flight = counts.get("pending", 0), counts.get("pending_assets", 0)
    missing = pending + in_flight
    generation_mode = str(config.get("generationMode", "manual"))
    # Content held for review fills no slot until approved, yet it is on its way: counting it
    # as in flight keeps every plan from generating again for the same empty slots.
    held = repository.awaiting_review_count(session, layer.project_id, account.id)
    count = (
        planner.generation_count(missing, in_flight + held) if generation_mode == "automatic" else 0
    )
    return PlanResult(
        times=times,
        temperature=temperature,
        timezone=zone,
        horizon_days=days,
        horizon_end=end,
        created=created,
        removed=removed,
        attached=attached,
        slots=sum(counts.values()),
        missing_slots=missing,
        in_flight=in_flight,
        generate_count=min(count, MAX_GENERATE),
        generation_mode=generation_mode,
    )
