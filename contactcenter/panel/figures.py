"""Wallboard figures as pure functions: seat states, the longest wait, the local day.

Inputs are plain values read by the query module; time is passed in. Today's call counts and
rates come from `contactcenter.stats` (the same code as `contactcenter stats`).
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
