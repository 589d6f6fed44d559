"""Local wall-clock times ↔ UTC instants, the one place the DST rules live.

* A time that does not exist on its day (the spring-forward gap): `NonexistentTime` by
  default, or moved forward by the gap with ``nonexistent="shift_forward"`` (slots).
* A time that happens twice (the fall-back overlap): the first occurrence.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

_INSTANT = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?$"
)


class NonexistentTime(ValueError):
    """A local time inside a DST gap."""


def to_utc(
    local: datetime,
    zone: str,
    *,
    nonexistent: Literal["raise", "shift_forward"] = "raise",
) -> datetime:
    """The UTC instant of the naive wall-clock time `local` in `zone`."""
    if local.tzinfo is not None:
        raise ValueError("to_utc takes a naive (wall-clock) datetime")
    tz = ZoneInfo(zone)
    first = local.replace(tzinfo=tz, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local and nonexistent == "raise":
        raise NonexistentTime(f"{local.isoformat()} does not exist in {zone} (DST gap)")
        # fold=0 in a gap reads the time with the offset before the transition, which is the
        # wall time moved forward by the gap.
    return instant


def parse_instant(value: str, zone: str) -> tuple[datetime, bool]:
    """Parse ISO 8601 ``YYYY-MM-DDTHH:MM[:SS[.ffffff]]`` with ``Z``, an offset, or nothing
    (a wall-clock time in `zone`). Returns the UTC instant and whether it was local.

    Raises `ValueError` (or `NonexistentTime`) with a message fit for a 422.
    """
    match = _INSTANT.match(value.strip())
    if match is None:
        raise ValueError(
            "must be ISO 8601, e.g. 2026-05-15T17:00:00Z, 2026-05-15T09:00:00-07:00 or "
            "2026-05-15T09:00:00 (read in the project's timezone)"
        )
    zone_part = match["zone"]
    text = f"{match['date']}T{match['time']}"
    try:
        naive = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"is not a valid date and time: {exc}") from exc
    if zone_part is None:
        return to_utc(naive, zone), True
    offset = "+00:00" if zone_part == "Z" else zone_part
    try:
        aware = datetime.fromisoformat(text + offset)
    except ValueError as exc:
        raise ValueError(f"has an invalid UTC offset: {exc}") from exc
    return aware.astimezone(UTC), False


def local_isoformat(instant: datetime, zone: str) -> str:
    """`instant` as a wall-clock time in `zone`, e.g. ``2026-05-15T09:00:00``."""
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None).isoformat(timespec="seconds")
