"""The slot planner, as pure functions: which local times a layer posts at, and the UTC
instants of its slots over the horizon (no database, no clock: tests drive it directly).

* automatic mode: the account's temperature picks the times (cold 10:00; warm 10:00, 15:00;
  hot 10:00, 15:00, 19:00), capped by ``postsPerDay`` when set;
* custom mode: ``schedule.times`` (1–5 distinct ``HH:MM``);
* manual mode: no slots.

Local times become UTC day by day in the project timezone (`layers.kit.localtime.to_utc`): a
time inside a DST gap moves forward by the gap (02:30 on a spring-forward day of
America/Los_Angeles is 03:30 PDT); a time that happens twice is used once, at its first
occurrence. Two configured times that land on the same instant (02:00 and 03:00 across a
one-hour gap) give one slot.

The horizon is ``max(3 days, horizonDays, ceil(unplacedContent / slotsPerDay))`` days from
`now` (at most 60), where ``horizonDays`` is what a refresh asked for and unplaced content is
eligible content in no slot yet: slots are the instants in ``(now, now + horizon]``. Content
already in slots never widens it, so re-planning an unchanged layer plans the same slots
(generated content would otherwise widen the horizon that asks for more generation, without
end).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from layers.kit.localtime import to_utc

MIN_HORIZON_DAYS = 3
MAX_HORIZON_DAYS = 60
TEMPERATURE_TIMES: dict[str, tuple[str, ...]] = {
    "cold": ("10:00",),
    "warm": ("10:00", "15:00"),
    "hot": ("10:00", "15:00", "19:00"),
}
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


@dataclass(frozen=True, order=True)
class Slot:
    """One planned slot: its UTC instant and the local wall time it was planned from."""

    at: datetime
    local_date: date
    local_time: str  # the configured HH:MM


def slot_times(config: Mapping[str, Any], temperature: str) -> list[str]:
    """The local HH:MM times a layer with `config` posts at each day (sorted)."""
    mode = config.get("distributionMode", "automatic")
    if mode == "manual":
        return []
    if mode == "custom":
        schedule = config.get("schedule") or {}
        times = [str(t) for t in schedule.get("times") or []]
        return sorted(set(times))
    times = list(TEMPERATURE_TIMES.get(temperature, TEMPERATURE_TIMES["cold"]))
    per_day = config.get("postsPerDay")
    if isinstance(per_day, int) and per_day >= 1:
        times = times[:per_day]
    return times


def horizon_days(unplaced_content: int, slots_per_day: int, at_least: int | None = None) -> int:
    """``max(3, atLeast, ceil(unplacedContent / slotsPerDay))`` days, at most
    `MAX_HORIZON_DAYS`. `unplaced_content` counts eligible content in no slot yet, never the
    content already in the layer's slots; `at_least` is refresh-schedule's ``horizonDays``."""
    days = max(MIN_HORIZON_DAYS, at_least or 0)
    if slots_per_day > 0:
        days = max(days, math.ceil(max(unplaced_content, 0) / slots_per_day))
    return min(days, MAX_HORIZON_DAYS)


def generation_count(missing_slots: int, in_flight: int) -> int:
    """``computeGenerationCount``: how many posts to generate, ``max(missing − inFlight, 0)``:
    `missing_slots` are the horizon's slots without ready content, `in_flight` those whose
    content is still generating; so one generation at most per empty slot."""
    return max(missing_slots - in_flight, 0)


def _parse(hhmm: str) -> time:
    if not HHMM.match(hhmm):
        raise ValueError(f"{hhmm!r} is not a 24-hour HH:MM time")
    hour, minute = hhmm.split(":")
    return time(int(hour), int(minute))


def slots(times: Sequence[str], zone: str, now: datetime, days: int) -> list[Slot]:
    """Every slot of `times` (local, in `zone`) in ``(now, now + days]``, earliest first, one
    per distinct instant."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not times:
        return []
    end = now + timedelta(days=days)
    tz = ZoneInfo(zone)
    first_day = now.astimezone(tz).date() - timedelta(days=1)
    last_day = end.astimezone(tz).date() + timedelta(days=1)
    parsed = sorted((_parse(t), t) for t in set(times))
    found: dict[datetime, Slot] = {}
    day = first_day
    while day <= last_day:
        for wall, label in parsed:
            instant = to_utc(datetime.combine(day, wall), zone, nonexistent="shift_forward")
            if now < instant <= end and instant not in found:
                found[instant] = Slot(instant, day, label)
        day += timedelta(days=1)
    return sorted(found.values())
