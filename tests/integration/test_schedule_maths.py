"""Schedule occurrences: from the start, never drifting, missed ones fired once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from commonground.integration.definitions import ScheduleDef, ScheduleUnit
from commonground.integration.schedules import add_months, latest_occurrence, next_occurrence

START = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)


def test_manual_schedule_has_no_occurrences() -> None:
    assert latest_occurrence(ScheduleDef(), START) is None
    assert next_occurrence(ScheduleDef(), START) is None


def test_every_fifteen_minutes() -> None:
    schedule = ScheduleDef(every=15, unit=ScheduleUnit.MINUTES, start=START)
    now = START + timedelta(minutes=47)
    assert latest_occurrence(schedule, now) == START + timedelta(minutes=45)
    assert next_occurrence(schedule, now) == START + timedelta(minutes=60)
    assert latest_occurrence(schedule, START - timedelta(seconds=1)) is None
    assert next_occurrence(schedule, START - timedelta(days=1)) == START


def test_months_clamp_to_the_last_day() -> None:
    schedule = ScheduleDef(every=1, unit=ScheduleUnit.MONTHS, start=START)
    assert add_months(START, 1) == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    assert latest_occurrence(schedule, datetime(2026, 3, 15, tzinfo=UTC)) == datetime(
        2026, 2, 28, 9, 30, tzinfo=UTC
    )
    assert next_occurrence(schedule, datetime(2026, 3, 15, tzinfo=UTC)) == datetime(
        2026, 3, 31, 9, 30, tzinfo=UTC
    )


def test_end_stops_the_schedule() -> None:
    end = START + timedelta(hours=2, minutes=10)
    schedule = ScheduleDef(every=1, unit=ScheduleUnit.HOURS, start=START, end=end)
    later = START + timedelta(days=3)
    assert latest_occurrence(schedule, later) == START + timedelta(hours=2)
    assert next_occurrence(schedule, later) is None


@given(
    every=st.integers(1, 40),
    unit=st.sampled_from(list(ScheduleUnit)),
    offset=st.integers(0, 10**8),
)
def test_latest_is_at_or_before_now_and_next_after(
    every: int, unit: ScheduleUnit, offset: int
) -> None:
    schedule = ScheduleDef(every=every, unit=unit, start=START)
    now = START + timedelta(seconds=offset)
    latest = latest_occurrence(schedule, now)
    upcoming = next_occurrence(schedule, now)
    assert latest is not None
    assert upcoming is not None
    assert START <= latest <= now < upcoming
