"""Leader duty planning (pure): which unit's head answers the hotline on which day.

Default: Wednesday mornings 09:00-11:00 local time, units in `duty_rank` order, continuing the
rotation after the last unit scheduled. A duty day that is not a working day (a holiday) moves
to the next working day of the same week, or the week is skipped. Slots are published a week
ahead: a slot becomes publishable 7 days before its date.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from contactcenter.workdays import is_working_day

PUBLISH_AHEAD = dt.timedelta(days=7)


@dataclass(frozen=True)
class PlannedSlot:
    duty_date: dt.date
    unit_id: int
    starts_at: dt.datetime  # aware UTC
    ends_at: dt.datetime


def duty_dates(after: dt.date, weeks: int, weekday: int = 2) -> list[dt.date]:
    """Duty days for the next `weeks` weeks strictly after `after` (weekday 0=Mon, 2=Wed)."""
    if not 0 <= weekday <= 4:
        raise ValueError("duty weekday must be Monday-Friday (0-4)")
    if not 1 <= weeks <= 52:
        raise ValueError("weeks must be 1-52")
    first = after + dt.timedelta(days=(weekday - after.weekday()) % 7 or 7)
    out = []
    for w in range(weeks):
        day = first + dt.timedelta(weeks=w)
        while not is_working_day(day) and day.weekday() < 4:
            day += dt.timedelta(days=1)
        if is_working_day(day):
            out.append(day)
    return out


def rotate(unit_ids: list[int], count: int, last_unit_id: int | None = None) -> list[int]:
    """The next `count` units in rotation order after `last_unit_id`."""
    if not unit_ids:
        raise ValueError("no units to rotate")
    start = (unit_ids.index(last_unit_id) + 1) % len(unit_ids) if last_unit_id in unit_ids else 0
    return [unit_ids[(start + i) % len(unit_ids)] for i in range(count)]


def plan(unit_ids: list[int], after: dt.date, weeks: int, last_unit_id: int | None = None,
         weekday: int = 2, start: dt.time = dt.time(9, 0), end: dt.time = dt.time(11, 0),
         tz: str = "Asia/Shanghai") -> list[PlannedSlot]:
    """Slots for the next `weeks` duty days after `after`, rotating through `unit_ids`."""
    if end <= start:
        raise ValueError("a duty session must end after it starts")
    zone = ZoneInfo(tz)
    days = duty_dates(after, weeks, weekday)
    utc = dt.timezone.utc
    return [PlannedSlot(d, u, dt.datetime.combine(d, start, zone).astimezone(utc),
                        dt.datetime.combine(d, end, zone).astimezone(utc))
            for d, u in zip(days, rotate(unit_ids, len(days), last_unit_id))]


def publishable(duty_date: dt.date, today: dt.date) -> bool:
    """A slot is published once its date is at most a week away."""
    return today < duty_date <= today + PUBLISH_AHEAD


# --- scrubbing callers' details from examples -----------------------------------------------------

_ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)")
_LOCAL = re.compile(r"(?<!\d)\d{7,8}(?!\d)")
_NAME_INTRO = re.compile(r"(我叫|我的名字是|名字叫|姓名[:：]?\s*)([\u4e00-\u9fff]{2,3})(?=[，,。.\s的]|$)")
_SURNAME_TITLE = re.compile(r"([\u4e00-\u9fff])(先生|女士|大爷|大妈|阿姨|师傅)")
_PLATE = re.compile(r"[\u4e00-\u9fff][A-Z][A-Z0-9]{5,6}")


def scrub(text: str) -> str:
    """Remove callers' details from a text: ID numbers, phone numbers, names after 我叫/名字叫/
    姓名, surnames before 先生/女士, number plates. Place names and the matter itself stay."""
    text = _ID_NUMBER.sub("[身份证号]", text)
    text = _MOBILE.sub("[电话]", text)
    text = _LANDLINE.sub("[电话]", text)
    text = _LOCAL.sub("[电话]", text)
    text = _PLATE.sub("[车牌]", text)
    text = _NAME_INTRO.sub(lambda m: m.group(1) + "[姓名]", text)
    text = _SURNAME_TITLE.sub(lambda m: "*" + m.group(2), text)
    return text
