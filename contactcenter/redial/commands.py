"""Callback verbs: `callbacks` (the callback list) and `number` (how a caller ID is read)."""
from __future__ import annotations

import json
import sys


def register(sub, common) -> None:
    p = sub.add_parser("callbacks", parents=[common], help="the callback list (one entry per caller owed a call)")
    p.add_argument("--format", choices=["jsonl", "table"], default="table")
    p.add_argument("--status", action="append", metavar="STATUS",
                   help="only these statuses (repeatable): pending, dialing, reached, caller_got_through, "
                        "gave_up, invalid_number, blocked")
    p.set_defaults(func=_callbacks)

    p = sub.add_parser("number", parents=[common], help="how the product reads each caller ID (one JSON line each)")
    p.add_argument("caller_ids", nargs="+", metavar="CALLER_ID")
    p.set_defaults(func=_number)


def _callbacks(args) -> int:
    from contactcenter.cli import CliError, settings_from
    from contactcenter.db import ensure_schema
    from contactcenter.redial.service import CONTRACT_KEYS, CallbackServiceError, list_callbacks

    url = settings_from(args).db_url
    ensure_schema(url)
    try:
        rows = list_callbacks(url, status=args.status)
    except CallbackServiceError as exc:
        raise CliError(str(exc)) from None
    out = sys.stdout
    if args.format == "jsonl":
        for row in rows:
            out.write(json.dumps({k: row[k] for k in CONTRACT_KEYS}, ensure_ascii=False) + "\n")
        return 0
    cols = [("id", 5), ("number", 14), ("status", 19), ("misses", 6), ("attempts", 8), ("first_missed_at", 25),
            ("next_attempt_at", 25), ("last_result", 16)]
    out.write("  ".join(f"{name:<{width}}" for name, width in cols).rstrip() + "\n")
    for row in rows:
        values = {**row, "misses": len(row["missed_calls"])}
        out.write("  ".join(f"{'' if values[name] is None else values[name]!s:<{width}}" for name, width in cols)
                  .rstrip() + "\n")
    out.write(f"{len(rows)} callback(s)\n")
    return 0


def _number(args) -> int:
    from contactcenter.cli import settings_from
    from contactcenter.numbers import readings_as_json_lines

    for line in readings_as_json_lines(args.caller_ids, settings_from(args)):
        print(line)
    return 0
