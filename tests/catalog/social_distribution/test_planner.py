"""The slot planner over timezones and dates: properties, and the named DST cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.catalog.social_distribution import planner
from layers.catalog.social_distribution.planner import Slot

ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
INTERESTING = [
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Kathmandu",
    "Pacific/Apia",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Chatham",
    "Asia/Tehran",
    "America/St_Johns",
    "Africa/Casablanca",
]
hhmm = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def wall(slot: Slot, zone: str) -> str:
    return slot.at.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def _first_occurrence(day: date, hm: str, zone: str) -> datetime:
    hour, minute = (int(p) for p in hm.split(":"))
    naive = datetime(day.year, day.month, day.day, hour, minute)
    return naive.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.one_of(st.sampled_from(INTERESTING), st.sampled_from(ZONES)),
    now=st.datetimes(
        min_value=datetime(2010, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)
    ),
    times=st.lists(hhmm, min_size=1, max_size=5, unique=True),
    days=st.integers(1, 12),
)
def test_every_slot_is_at_its_local_time_once_and_inside_the_horizon(
    zone: str, now: datetime, times: list[str], days: int
) -> None:
    planned = planner.slots(times, zone, now, days)
    instants = [slot.at for slot in planned]
    assert instants == sorted(instants)
    assert len(set(instants)) == len(instants)  # no duplicate slots
    end = now + timedelta(days=days)
    tz = ZoneInfo(zone)
    for slot in planned:
        assert now < slot.at <= end  # horizon respected
        assert slot.local_time in times
        local = slot.at.astimezone(tz)
        if local.strftime("%H:%M") == slot.local_time:
            # At its wall time; when that time happens twice, the first occurrence.
            assert slot.at == _first_occurrence(local.date(), slot.local_time, zone)
        else:
            # Only a time inside a DST gap moves: forward, by the gap, and no further.
            expected = _first_occurrence(slot.local_date, slot.local_time, zone)
            assert slot.at == expected
            back = expected.astimezone(tz).replace(tzinfo=None)
            configured = datetime.combine(
                slot.local_date, datetime.strptime(slot.local_time, "%H:%M").time()
            )
            assert back > configured  # moved forward
            # The gap: the offset after the transition minus the one before (PEP 495 folds).
            after = configured.replace(tzinfo=tz, fold=1).utcoffset()
            before = configured.replace(tzinfo=tz, fold=0).utcoffset()
            assert after is not None and before is not None
            assert back - configured == after - before
    # Complete: every configured time of every day whose instant is in the window is there.
    day = now.astimezone(tz).date() - timedelta(days=1)
    while day <= end.astimezone(tz).date() + timedelta(days=1):
        for hm in times:
            instant = _first_occurrence(day, hm, zone)
            if now < instant <= end:
                assert instant in set(instants)
        day += timedelta(days=1)


def test_temperature_times_and_modes() -> None:
    assert planner.slot_times({}, "cold") == ["10:00"]
    assert planner.slot_times({"distributionMode": "automatic"}, "warm") == ["10:00", "15:00"]
    assert planner.slot_times({}, "hot") == ["10:00", "15:00", "19:00"]
    assert planner.slot_times({"postsPerDay": 2}, "hot") == ["10:00", "15:00"]
    custom = {"distributionMode": "custom", "schedule": {"times": ["18:00", "09:00"]}}
    assert planner.slot_times(custom, "hot") == ["09:00", "18:00"]
    assert planner.slot_times({"distributionMode": "manual"}, "hot") == []
    assert planner.slots([], "UTC", utc(2026, 1, 1), 3) == []


def test_the_horizon_rule() -> None:
    assert planner.horizon_days(0, 1) == 3
    assert planner.horizon_days(3, 1) == 3
    assert planner.horizon_days(4, 1) == 4
    assert planner.horizon_days(10, 3) == 4  # ceil(10 / 3)
    assert planner.horizon_days(5, 0) == 3  # manual mode
    assert planner.horizon_days(10_000, 1) == planner.MAX_HORIZON_DAYS
    assert planner.horizon_days(0, 3, 7) == 7  # refresh-schedule's horizonDays
    assert planner.horizon_days(30, 1, 7) == 30
    assert planner.horizon_days(0, 1, 1) == 3
    assert planner.horizon_days(0, 0, 90) == planner.MAX_HORIZON_DAYS
    assert planner.generation_count(5, 2) == 3
    assert planner.generation_count(1, 4) == 0


def _day(zone: str, when: date, times: list[str]) -> list[tuple[str, str]]:
    """The slots of local day `when`: (UTC instant, local wall time)."""
    start = datetime(when.year, when.month, when.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    planned = planner.slots(times, zone, start - timedelta(hours=1), 3)
    return [
        (s.at.strftime("%Y-%m-%dT%H:%MZ"), wall(s, zone)) for s in planned if s.local_date == when
    ]


def test_los_angeles_spring_forward_moves_a_gap_time_forward_by_the_gap() -> None:
    # 2026-03-08 02:00 PST → 03:00 PDT: 02:30 does not exist and becomes 03:30 PDT.
    assert _day("America/Los_Angeles", date(2026, 3, 8), ["02:30", "10:00", "15:00"]) == [
        ("2026-03-08T10:30Z", "03:30"),
        ("2026-03-08T17:00Z", "10:00"),
        ("2026-03-08T22:00Z", "15:00"),
    ]
    # The day before is still PST.
    assert _day("America/Los_Angeles", date(2026, 3, 7), ["10:00"]) == [
        ("2026-03-07T18:00Z", "10:00")
    ]


def test_los_angeles_fall_back_uses_a_repeated_time_once() -> None:
    # 2026-11-01 02:00 PDT → 01:00 PST: 01:30 happens twice; the slot is the first (PDT).
    assert _day("America/Los_Angeles", date(2026, 11, 1), ["01:30", "10:00"]) == [
        ("2026-11-01T08:30Z", "01:30"),
        ("2026-11-01T18:00Z", "10:00"),
    ]


def test_london_on_both_change_days() -> None:
    # 2026-03-29 01:00 GMT → 02:00 BST: 01:30 becomes 02:30 BST.
    assert _day("Europe/London", date(2026, 3, 29), ["01:30", "10:00"]) == [
        ("2026-03-29T01:30Z", "02:30"),
        ("2026-03-29T09:00Z", "10:00"),
    ]
    # 2026-10-25 02:00 BST → 01:00 GMT: 01:30 twice, first occurrence (BST).
    assert _day("Europe/London", date(2026, 10, 25), ["01:30", "10:00"]) == [
        ("2026-10-25T00:30Z", "01:30"),
        ("2026-10-25T10:00Z", "10:00"),
    ]


def test_two_times_that_meet_in_a_gap_give_one_slot() -> None:
    # 02:00 (in the gap → 03:00 PDT) and 03:00 are the same instant on the spring day.
    assert _day("America/Los_Angeles", date(2026, 3, 8), ["02:00", "03:00"]) == [
        ("2026-03-08T10:00Z", "03:00")
    ]


def test_kathmandu_quarter_hour_offset() -> None:
    assert _day("Asia/Kathmandu", date(2026, 5, 15), ["10:00", "19:00"]) == [
        ("2026-05-15T04:15Z", "10:00"),
        ("2026-05-15T13:15Z", "19:00"),
    ]


def test_apia_skipped_day_has_no_slots_and_no_duplicates() -> None:
    # Samoa skipped 2011-12-30 (UTC−10 → UTC+14): 30 December's 10:00 is the same instant as
    # 31 December's, so four local days give three slots.
    planned = planner.slots(["10:00"], "Pacific/Apia", utc(2011, 12, 29, 0), 3)
    apia = ZoneInfo("Pacific/Apia")
    assert [(s.at.isoformat(), s.at.astimezone(apia).isoformat()) for s in planned] == [
        ("2011-12-29T20:00:00+00:00", "2011-12-29T10:00:00-10:00"),
        ("2011-12-30T20:00:00+00:00", "2011-12-31T10:00:00+14:00"),
        ("2011-12-31T20:00:00+00:00", "2012-01-01T10:00:00+14:00"),
    ]


def test_lord_howe_half_hour_dst() -> None:
    # DST starts 2026-10-04 02:00 → 02:30 (+10:30 → +11): 02:15 becomes 02:45.
    assert _day("Australia/Lord_Howe", date(2026, 10, 4), ["02:15", "10:00"]) == [
        ("2026-10-03T15:45Z", "02:45"),
        ("2026-10-03T23:00Z", "10:00"),
    ]
    # DST ends 2026-04-05 02:00 → 01:30: 01:45 happens twice, the first (+11) is used.
    assert _day("Australia/Lord_Howe", date(2026, 4, 5), ["01:45", "10:00"]) == [
        ("2026-04-04T14:45Z", "01:45"),
        ("2026-04-04T23:30Z", "10:00"),
    ]
