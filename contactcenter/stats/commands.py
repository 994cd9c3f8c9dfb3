"""`contactcenter stats`: the hotline's figures over a period of local days."""
from __future__ import annotations

import json
import sys


def register(sub, common) -> None:
    p = sub.add_parser("stats", parents=[common], help="the hotline's figures (connect rates, service level, callbacks)")
    p.add_argument("--from", dest="first", metavar="D", help="first day (YYYY-MM-DD, site time zone), inclusive")
    p.add_argument("--to", dest="last", metavar="D", help="last day (YYYY-MM-DD, site time zone), inclusive")
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.set_defaults(func=_stats)


def _day(value: str | None):
    import datetime as dt

    from contactcenter.cli import CliError

    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CliError(f"not a day: {value!r} (use 2026-12-03)") from None


def _stats(args) -> int:
    from zoneinfo import ZoneInfo

    from contactcenter.cli import CliError, settings_from
    from contactcenter.db import ensure_schema, session_scope
    from contactcenter.stats.figures import KEYS
    from contactcenter.stats.queries import load_stats, local_day_bounds

    settings = settings_from(args)
    first, last = _day(args.first), _day(args.last)
    if first and last and last < first:
        raise CliError("--to is before --from")
    tz = ZoneInfo(settings.site_timezone)
    try:
        since, until = local_day_bounds(first, last, tz)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    ensure_schema(settings.db_url)
    with session_scope(settings.db_url) as session:
        result = load_stats(session, since=since, until=until, tz=tz, service_level_s=settings.service_level_s)
    if args.format == "json":
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return 0
    out = sys.stdout
    for key in KEYS:
        value = result[key]
        out.write(f"{key:<28} {'-' if value is None else value}\n")
    if result["per_day"]:
        cols = ("date", "calls", "answered", "missed", "first_attempt_connect_rate", "overall_connect_rate",
                "callbacks_attempted", "callbacks_reached")
        out.write("\n" + "  ".join(cols) + "\n")
        for row in result["per_day"]:
            out.write("  ".join(f"{'-' if row[c] is None else row[c]!s:<{len(c)}}" for c in cols) + "\n")
    if result["per_hour"]:
        cols = ("hour", "calls", "answered", "missed", "callbacks_attempted", "callbacks_reached")
        out.write("\n" + "  ".join(f"{c:<16}" if c == "hour" else c for c in cols) + "\n")
        for row in result["per_hour"]:
            out.write("  ".join(f"{'-' if row[c] is None else row[c]!s:<{16 if c == 'hour' else len(c)}}"
                                for c in cols) + "\n")
    return 0
