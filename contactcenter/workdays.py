"""The working-day calendar for work-order deadlines (pure: time is always passed in).

Rules, as the hotline counts them:
- working days are those of the Chinese statutory calendar (`chinese_calendar`): weekends
  are off unless they are make-up working days (调休上班), statutory holidays are off;
- the deadline counts from the day of dispatch, which itself does not count: N working days
  means "by the end of the N-th working day after the dispatch day", in the site's time zone
  (Asia/Shanghai); a deadline is the last instant of that day (23:59:59 local);
- the time limit depends on the type of request (3 or 5 working days), 7 for complex cases;
  an approved extension adds working days after the current deadline.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

DEFAULT_TZ = "Asia/Shanghai"

# working days allowed per request type; complaints and reports need an investigation
TIME_LIMITS = {
    "consultation": 3,
    "help_request": 3,
    "praise": 3,
    "complaint": 5,
    "report": 5,
    "suggestion": 5,
}
COMPLEX_CASE_DAYS = 7


class CalendarUnavailable(ValueError):
    """The statutory calendar for that year is not published in chinese_calendar yet."""


# Fixed-date statutory holidays (2025 rules): used only for a year whose official calendar is
# not yet in chinese_calendar (it is published each November), so that orders dispatched in late
# December still get a deadline. Lunar holidays and make-up days cannot be known in advance.
PROVISIONAL_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}
_FIRST_YEAR = min(chinese_calendar.holidays).year
_LAST_YEAR = max(chinese_calendar.holidays).year


def is_provisional(day: dt.date) -> bool:
    """True when `day` lies in a year the official calendar does not cover yet."""
    return day.year > _LAST_YEAR


@lru_cache(maxsize=4096)
def is_working_day(day: dt.date) -> bool:
    """True for a working day under the statutory calendar (make-up Saturdays included)."""
    if day.year < _FIRST_YEAR or day.year > _LAST_YEAR + 1:
        raise CalendarUnavailable(f"no statutory calendar for {day.year} in chinese_calendar")
    if is_provisional(day):
        return day.weekday() < 5 and (day.month, day.day) not in PROVISIONAL_HOLIDAYS
    return chinese_calendar.is_workday(day)


def _zone(tz: str | dt.tzinfo) -> dt.tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def local_date(at: dt.datetime, tz: str | dt.tzinfo = DEFAULT_TZ) -> dt.date:
    if at.tzinfo is None:
        raise ValueError("naive datetime: give an aware time")
    return at.astimezone(_zone(tz)).date()


def nth_working_day_after(day: dt.date, n: int) -> dt.date:
    """The n-th working day strictly after `day` (n >= 1)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    count = 0
    while True:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
            if count == n:
                return day


def end_of_day(day: dt.date, tz: str | dt.tzinfo = DEFAULT_TZ) -> dt.datetime:
    """23:59:59 local on `day`, as an aware UTC datetime."""
    local = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=_zone(tz))
    return local.astimezone(dt.timezone.utc)


def add_working_days(start: dt.datetime, days: int, tz: str | dt.tzinfo = DEFAULT_TZ) -> dt.datetime:
    """Deadline `days` working days after `start` (end of that local day, in UTC)."""
    return end_of_day(nth_working_day_after(local_date(start, tz), days), tz)


def time_limit_days(order_type: str, complex_case: bool = False) -> int:
    """Working days a unit has for this type of request."""
    if complex_case:
        return COMPLEX_CASE_DAYS
    try:
        return TIME_LIMITS[order_type]
    except KeyError:
        raise ValueError(f"unknown work order type {order_type!r}") from None


def due_at_for(dispatched_at: dt.datetime, order_type: str, complex_case: bool = False,
               tz: str | dt.tzinfo = DEFAULT_TZ) -> dt.datetime:
    """The deadline of an order dispatched at `dispatched_at`."""
    return add_working_days(dispatched_at, time_limit_days(order_type, complex_case), tz)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days d with start < d <= end (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count


def due_state(due_at: dt.datetime | None, now: dt.datetime, tz: str | dt.tzinfo = DEFAULT_TZ) -> str:
    """`none` (no deadline), `overdue`, `due_soon` (due today or on the next working day) or
    `on_track`."""
    if due_at is None:
        return "none"
    if now > due_at:
        return "overdue"
    if working_days_between(local_date(now, tz), local_date(due_at, tz)) <= 1:
        return "due_soon"
    return "on_track"


def due_soon_before(now: dt.datetime, tz: str | dt.tzinfo = DEFAULT_TZ) -> dt.datetime:
    """Orders with `due_at` at or before this instant (and not yet overdue) are due soon: the
    end of the next working day after today. Lets a database query express `due_state`."""
    return end_of_day(nth_working_day_after(local_date(now, tz), 1), tz)
