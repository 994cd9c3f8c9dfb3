"""Working-day deadlines across the 2025-2026 statutory holidays.

Expected dates worked out by hand from the State Council holiday notices (as carried by
chinese_calendar): e.g. Spring Festival 2026 is off 15-23 Feb with make-up working days on
Sat 14 Feb and Sat 28 Feb."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from contactcenter import workdays as wd

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc


def beijing(y, m, d, hh=10, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


def deadline(y, m, d):
    return dt.datetime(y, m, d, 23, 59, 59, tzinfo=SH).astimezone(UTC)


@pytest.mark.parametrize("dispatched,days,due", [
    # Spring Festival 2025: off 28 Jan-4 Feb, make-up Sun 26 Jan and Sat 8 Feb
    (beijing(2025, 1, 24), 3, (2025, 2, 5)),   # 26 Jan, 27 Jan, 5 Feb
    (beijing(2025, 1, 24), 5, (2025, 2, 7)),
    (beijing(2025, 1, 24), 7, (2025, 2, 10)),  # ... 7 Feb, Sat 8 Feb, Mon 10 Feb
    # Labour Day 2025: off 1-5 May, make-up Sun 27 Apr
    (beijing(2025, 4, 25), 3, (2025, 4, 29)),
    (beijing(2025, 4, 30), 3, (2025, 5, 8)),   # 6, 7, 8 May
    # National Day + Mid-autumn 2025: off 1-8 Oct, make-up Sun 28 Sep and Sat 11 Oct
    (beijing(2025, 9, 26), 3, (2025, 9, 30)),  # 28, 29, 30 Sep
    (beijing(2025, 9, 26), 5, (2025, 10, 10)),
    (beijing(2025, 9, 26), 7, (2025, 10, 13)),
    (beijing(2025, 9, 30), 3, (2025, 10, 11)),  # 9, 10, Sat 11 Oct
    # New Year 2026: off 1-3 Jan, make-up Sun 4 Jan
    (beijing(2025, 12, 31), 3, (2026, 1, 6)),   # 4, 5, 6 Jan
    # Spring Festival 2026: off 15-23 Feb, make-up Sat 14 Feb and Sat 28 Feb
    (beijing(2026, 2, 12), 3, (2026, 2, 24)),   # 13, Sat 14, 24 Feb
    (beijing(2026, 2, 13, 17, 0), 5, (2026, 2, 27)),
    (beijing(2026, 2, 13), 7, (2026, 3, 2)),    # ... 27, Sat 28 Feb, Mon 2 Mar
    # Mid-autumn 25 Sep and National Day 1-7 Oct 2026, make-up Sun 20 Sep and Sat 10 Oct
    (beijing(2026, 9, 18), 3, (2026, 9, 22)),   # Sun 20, 21, 22 Sep
    (beijing(2026, 9, 24), 3, (2026, 9, 30)),   # 28, 29, 30 Sep
    (beijing(2026, 9, 24), 5, (2026, 10, 9)),
    (beijing(2026, 9, 30), 3, (2026, 10, 10)),  # 8, 9, Sat 10 Oct
])
def test_deadlines_across_holidays(dispatched, days, due):
    assert wd.add_working_days(dispatched, days) == deadline(*due)


def test_local_date_not_utc_date_decides():
    # 17:30 UTC on 12 Feb is 01:30 on 13 Feb in Beijing: counting starts after 13 Feb
    at = dt.datetime(2026, 2, 12, 17, 30, tzinfo=UTC)
    assert wd.add_working_days(at, 3) == deadline(2026, 2, 25)


def test_time_limits_by_type_and_complex_case():
    at = beijing(2026, 12, 1)  # Tuesday
    assert wd.due_at_for(at, "consultation") == deadline(2026, 12, 4)
    assert wd.due_at_for(at, "complaint") == deadline(2026, 12, 8)
    assert wd.due_at_for(at, "complaint", complex_case=True) == deadline(2026, 12, 10)
    with pytest.raises(ValueError, match="unknown work order type"):
        wd.time_limit_days("gossip")


def test_agrees_with_chinese_calendar_every_day_of_2025_and_2026():
    day = dt.date(2025, 1, 1)
    while day <= dt.date(2026, 12, 15):
        own = chinese_calendar.get_workdays(day + dt.timedelta(days=1),
                                            min(day + dt.timedelta(days=40), dt.date(2026, 12, 31)))
        for n in (1, 3, 5, 7):
            assert wd.nth_working_day_after(day, n) == own[n - 1], (day, n)
        day += dt.timedelta(days=1)


def test_due_states():
    due = deadline(2026, 2, 25)
    assert wd.due_state(None, beijing(2026, 2, 13)) == "none"
    assert wd.due_state(due, beijing(2026, 2, 13)) == "on_track"    # 14, 24, 25 still to go
    assert wd.due_state(due, beijing(2026, 2, 20)) == "on_track"    # holiday: 24 and 25 left
    assert wd.due_state(due, beijing(2026, 2, 24)) == "due_soon"
    assert wd.due_state(due, beijing(2026, 2, 25, 23, 59)) == "due_soon"
    assert wd.due_state(due, beijing(2026, 2, 26, 0, 0)) == "overdue"
    assert wd.due_soon_before(beijing(2026, 2, 13)) == deadline(2026, 2, 14)


def test_next_year_before_publication_uses_weekdays_and_fixed_holidays():
    # chinese_calendar 1.11 stops at 2026; a dispatch on Wed 30 Dec 2026 must still get a deadline:
    # Thu 31 Dec, (Fri 1 Jan 2027 New Year off, weekend), Mon 4 Jan
    assert wd.add_working_days(beijing(2026, 12, 30), 2) == deadline(2027, 1, 4)
    assert wd.is_provisional(dt.date(2027, 1, 4)) and not wd.is_provisional(dt.date(2026, 12, 31))


def test_year_without_calendar_is_a_clear_error():
    with pytest.raises(wd.CalendarUnavailable, match="no statutory calendar for 2099"):
        wd.add_working_days(beijing(2099, 3, 2), 3)


def test_naive_time_refused():
    with pytest.raises(ValueError, match="naive"):
        wd.add_working_days(dt.datetime(2026, 3, 2), 3)
