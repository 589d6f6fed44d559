from __future__ import annotations

from datetime import UTC, datetime

import pytest

from layers.kit.localtime import NonexistentTime, local_isoformat, parse_instant, to_utc


def test_gap_raises_or_shifts_forward() -> None:
    gap = datetime(2031, 3, 9, 2, 30)  # Los Angeles springs forward at 02:00
    with pytest.raises(NonexistentTime):
        to_utc(gap, "America/Los_Angeles")
    shifted = to_utc(gap, "America/Los_Angeles", nonexistent="shift_forward")
    assert shifted == datetime(2031, 3, 9, 10, 30, tzinfo=UTC)
    assert local_isoformat(shifted, "America/Los_Angeles") == "2031-03-09T03:30:00"


def test_repeated_time_is_the_first_occurrence() -> None:
    first = to_utc(datetime(2031, 11, 2, 1, 30), "America/Los_Angeles")
    assert first == datetime(2031, 11, 2, 8, 30, tzinfo=UTC)  # PDT, not PST
    assert to_utc(datetime(2031, 10, 26, 2, 30), "Europe/Paris") == datetime(
        2031, 10, 26, 0, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("value", "utc", "local"),
    [
        ("2031-05-15T17:00:00Z", datetime(2031, 5, 15, 17, tzinfo=UTC), False),
        ("2031-05-15T09:00:00-07:00", datetime(2031, 5, 15, 16, tzinfo=UTC), False),
        (
            "2031-05-15T09:00:00.250+05:30",
            datetime(2031, 5, 15, 3, 30, 0, 250000, tzinfo=UTC),
            False,
        ),
        ("2031-05-15T09:00", datetime(2031, 5, 15, 16, tzinfo=UTC), True),
    ],
)
def test_parse_instant(value: str, utc: datetime, local: bool) -> None:
    assert parse_instant(value, "America/Los_Angeles") == (utc, local)


@pytest.mark.parametrize(
    "value",
    [
        "2031-05-15",
        "tomorrow",
        "2031-05-15 09:00",
        "2031-13-01T00:00:00Z",
        "2031-05-15T09:00:00+25:00",
    ],
)
def test_parse_instant_refuses(value: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(value, "UTC")
