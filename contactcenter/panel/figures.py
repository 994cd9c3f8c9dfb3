"""Wallboard figures as pure functions: seat states and today's call counts and rates.

Inputs are plain values read by the query module; time is passed in. Definitions follow
shared/DESIGN.md (statistics): calls/answered/missed are inbound calls.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SEAT_STATES = {
    "idle": "空闲",
    "ringing": "振铃",
    "talking": "通话中",
    "paused": "暂停",
    "offline": "离线",
}


def seat_state(logged_in: bool, paused: bool, device_state: str | None) -> str:
    """One of SEAT_STATES for a seat. A seat on a call shows as talking even if paused
    (pausing during wrap-up is normal); a logged-out or unavailable seat is offline."""
    state = (device_state or "").lower()
    if not logged_in or state in {"unavailable", "invalid", "unknown"}:
        return "offline"
    if state in {"ringing", "ringinuse"}:
        return "ringing"
    if state in {"talking", "inuse", "busy", "onhold"}:
        return "talking"
    if paused:
        return "paused"
    return "idle"


@dataclass(frozen=True)
class DayCall:
    """What the wallboard needs of one closed inbound call."""

    caller: str | None
    outcome: str | None
    missed: bool


@dataclass(frozen=True)
class DayFigures:
    calls: int
    answered: int
    missed: int
    first_attempt_connect_rate: float | None
    callers: int
    callers_reached: int
    overall_connect_rate: float | None


def day_figures(calls: list[DayCall], reached_by_callback: set[str]) -> DayFigures:
    """Counts and rates for a set of closed inbound calls.

    first attempt = answered / calls; overall = callers reached (answered directly or by a
    callback) / distinct callers, a withheld caller counting as one caller each."""
    answered = sum(1 for c in calls if c.outcome == "answered")
    missed = sum(1 for c in calls if c.missed)
    known: dict[str, bool] = {}
    withheld_total = withheld_reached = 0
    for c in calls:
        if c.caller is None:
            withheld_total += 1
            withheld_reached += c.outcome == "answered"
        else:
            known[c.caller] = known.get(c.caller, False) or c.outcome == "answered"
    callers = len(known) + withheld_total
    reached = sum(1 for n, ok in known.items() if ok or n in reached_by_callback) + withheld_reached
    return DayFigures(
        calls=len(calls),
        answered=answered,
        missed=missed,
        first_attempt_connect_rate=(answered / len(calls)) if calls else None,
        callers=callers,
        callers_reached=reached,
        overall_connect_rate=(reached / callers) if callers else None,
    )


def longest_wait_s(queued_since: list[dt.datetime], now: dt.datetime) -> float | None:
    """Seconds the longest-waiting caller has been in the queue, None when nobody waits."""
    if not queued_since:
        return None
    return max(0.0, (now - min(queued_since)).total_seconds())


def local_day_bounds(now: dt.datetime, tz) -> tuple[dt.datetime, dt.datetime]:
    """Start and end (UTC) of the site-local day containing `now`."""
    local = now.astimezone(tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = (start + dt.timedelta(days=1)).replace(hour=0)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)
