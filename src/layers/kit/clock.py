"""The injectable clock. Everything that asks "what time is it" asks `now()`.

Tests (and simulations of a whole day) install a `ManualClock`; the process-wide clock is
used rather than a parameter because workflows run on DBOS threads far from any request.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, value: datetime) -> None:
        with self._lock:
            self._now = value.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


_clock: Clock = SystemClock()


def now() -> datetime:
    return _clock.now()


def use_clock(clock: Clock) -> Clock:
    """Install `clock` process-wide and return the previous one."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def isoformat_z(value: datetime) -> str:
    """ISO 8601 UTC with a ``Z``, millisecond precision: the only time format we emit."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
