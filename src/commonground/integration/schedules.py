"""Schedule arithmetic: occurrences every N minutes, hours, days, weeks or months.

Occurrences are computed from the start, never from the last run, so schedules do not drift
and do not stop by themselves.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from commonground.integration.catalog.database import utc_now
from commonground.integration.definitions import ScheduleDef, ScheduleUnit

FIXED = {
    ScheduleUnit.MINUTES: timedelta(minutes=1),
    ScheduleUnit.HOURS: timedelta(hours=1),
    ScheduleUnit.DAYS: timedelta(days=1),
    ScheduleUnit.WEEKS: timedelta(weeks=1),
}


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later, clamped to the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _occurrence(schedule: ScheduleDef, start: datetime, k: int) -> datetime:
    assert schedule.every is not None
    assert schedule.unit is not None
    if schedule.unit is ScheduleUnit.MONTHS:
        return add_months(start, k * schedule.every)
    return start + FIXED[schedule.unit] * (k * schedule.every)


def _start(schedule: ScheduleDef) -> datetime | None:
    if not schedule.every or schedule.unit is None or schedule.start is None:
        return None
    start = schedule.start
    return start if start.tzinfo else start.replace(tzinfo=utc_now().tzinfo)


def _index_at(schedule: ScheduleDef, start: datetime, now: datetime) -> int:
    """The index k of the last occurrence at or before `now` (now >= start), ignoring the end."""
    assert schedule.every is not None
    assert schedule.unit is not None
    if schedule.unit is not ScheduleUnit.MONTHS:
        return int((now - start) // (FIXED[schedule.unit] * schedule.every))
    k = ((now.year - start.year) * 12 + now.month - start.month) // schedule.every
    while k > 0 and _occurrence(schedule, start, k) > now:
        k -= 1
    return k


def _end(schedule: ScheduleDef, start: datetime) -> datetime | None:
    end = schedule.end
    return end if end is None or end.tzinfo else end.replace(tzinfo=start.tzinfo)


def latest_occurrence(schedule: ScheduleDef, now: datetime) -> datetime | None:
    """The last occurrence at or before `now` (None: manual, not started, or ended)."""
    start = _start(schedule)
    if start is None or now < start:
        return None
    k = _index_at(schedule, start, now)
    end = _end(schedule, start)
    while end is not None and _occurrence(schedule, start, k) > end:
        if k == 0:
            return None
        k -= 1
    return _occurrence(schedule, start, k)


def next_occurrence(schedule: ScheduleDef, now: datetime) -> datetime | None:
    """The first occurrence after `now` (None: manual or past its end)."""
    start = _start(schedule)
    if start is None:
        return None
    candidate = start
    if now >= start:
        k = _index_at(schedule, start, now) + 1
        while (candidate := _occurrence(schedule, start, k)) <= now:
            k += 1
    end = _end(schedule, start)
    return None if end is not None and candidate > end else candidate
