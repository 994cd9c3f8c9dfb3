"""The hotline's figures (DESIGN.md statistics table), pure: rows in, figures out.

Inputs are plain tuples read by `stats.queries`; periods and the per-day / per-hour breakdowns
are in the site's time zone (a hotline day is a local day).

Definitions:
- `calls`, `answered`, `missed`, `abandoned`: inbound calls (missed = no seat answered);
- `callers`: distinct caller numbers; each withheld call counts as a caller of its own;
- `callers_reached`: callers with an answered inbound call in the period, or reached by a
  callback owed for a miss in the period (withheld callers only if answered);
- `service_level_20s`: answered within `service_level_s` of entering the queue / (calls that
  entered the queue − their short abandons);
- `avg_wait_s`: over calls that entered the queue; `avg_talk_s`: over answered calls;
- `peak_hour_calls`: the most inbound calls that started in one clock hour;
- `callbacks_attempted`: dispatcher attempts started in the period (Originates sent);
  `callbacks_reached`: those whose result was `reached`.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

KEYS = ("calls", "answered", "missed", "first_attempt_connect_rate", "callers", "callers_reached",
        "overall_connect_rate", "abandon_rate", "service_level_20s", "avg_wait_s", "avg_talk_s", "peak_hour_calls",
        "callbacks_attempted", "callbacks_reached")


@dataclass(frozen=True)
class InboundCall:
    call_id: str
    caller: str | None
    started_at: dt.datetime
    outcome: str | None
    queued: bool
    wait_s: float | None
    talk_s: float | None
    short_abandon: bool


@dataclass(frozen=True)
class Attempt:
    started_at: dt.datetime
    result: str | None


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def figures(calls: list[InboundCall], attempts: list[Attempt], reached_by_callback: set[str], *,
            tz: ZoneInfo, service_level_s: float = 20.0) -> dict:
    """Every key of the statistics table for these calls and attempts.
    `reached_by_callback`: numbers a callback reached (for misses among `calls`)."""
    answered = [c for c in calls if c.outcome == "answered"]
    missed = [c for c in calls if c.outcome != "answered"]
    abandoned = sum(1 for c in calls if c.outcome == "abandoned")
    callers: set[str] = set()
    reached: set[str] = set()
    withheld = withheld_reached = 0
    for c in calls:
        if c.caller is None:
            withheld += 1
            withheld_reached += c.outcome == "answered"
            continue
        callers.add(c.caller)
        if c.outcome == "answered":
            reached.add(c.caller)
    reached |= (reached_by_callback & callers)
    n_callers = len(callers) + withheld
    n_reached = len(reached) + withheld_reached
    queued = [c for c in calls if c.queued]
    in_level = sum(1 for c in queued if c.outcome == "answered" and c.wait_s is not None and c.wait_s <= service_level_s)
    level_base = len(queued) - sum(1 for c in queued if c.short_abandon)
    hours = Counter(c.started_at.astimezone(tz).replace(minute=0, second=0, microsecond=0) for c in calls)
    return {
        "calls": len(calls),
        "answered": len(answered),
        "missed": len(missed),
        "first_attempt_connect_rate": _rate(len(answered), len(calls)),
        "callers": n_callers,
        "callers_reached": n_reached,
        "overall_connect_rate": _rate(n_reached, n_callers),
        "abandon_rate": _rate(abandoned, len(calls)),
        "service_level_20s": _rate(in_level, level_base),
        "avg_wait_s": _mean([c.wait_s for c in queued if c.wait_s is not None]),
        "avg_talk_s": _mean([c.talk_s for c in answered if c.talk_s is not None]),
        "peak_hour_calls": max(hours.values(), default=0),
        "callbacks_attempted": len(attempts),
        "callbacks_reached": sum(1 for a in attempts if a.result == "reached"),
    }


def report(calls: list[InboundCall], attempts: list[Attempt], reached_by_callback: dict[str, set[str]], *,
           tz: ZoneInfo, service_level_s: float = 20.0) -> dict:
    """The whole period's figures, then `per_day` (local dates) and `per_hour` (local hours).
    `reached_by_callback` maps a missed call id to the number reached by its callback."""
    def reached_for(subset: list[InboundCall]) -> set[str]:
        return {n for c in subset for n in reached_by_callback.get(c.call_id, ())}

    out = figures(calls, attempts, reached_for(calls), tz=tz, service_level_s=service_level_s)
    by_day: dict[dt.date, list] = defaultdict(list)
    attempts_by_day: dict[dt.date, list] = defaultdict(list)
    by_hour: dict[dt.datetime, list] = defaultdict(list)
    attempts_by_hour: dict[dt.datetime, list] = defaultdict(list)
    for c in calls:
        local = c.started_at.astimezone(tz)
        by_day[local.date()].append(c)
        by_hour[local.replace(minute=0, second=0, microsecond=0)].append(c)
    for a in attempts:
        local = a.started_at.astimezone(tz)
        attempts_by_day[local.date()].append(a)
        attempts_by_hour[local.replace(minute=0, second=0, microsecond=0)].append(a)
    out["per_day"] = [
        {"date": day.isoformat(), **figures(by_day.get(day, []), attempts_by_day.get(day, []),
                                            reached_for(by_day.get(day, [])), tz=tz, service_level_s=service_level_s)}
        for day in sorted(set(by_day) | set(attempts_by_day))
    ]
    hour_keys = ("calls", "answered", "missed", "first_attempt_connect_rate", "abandon_rate", "service_level_20s",
                 "avg_wait_s", "callbacks_attempted", "callbacks_reached")
    per_hour = []
    for hour in sorted(set(by_hour) | set(attempts_by_hour)):
        f = figures(by_hour.get(hour, []), attempts_by_hour.get(hour, []), set(), tz=tz,
                    service_level_s=service_level_s)
        per_hour.append({"hour": hour.isoformat(timespec="minutes"), **{k: f[k] for k in hour_keys}})
    out["per_hour"] = per_hour
    return out
