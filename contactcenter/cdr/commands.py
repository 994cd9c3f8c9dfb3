"""Call-logging verbs: `replay`, `calls`, `listen`."""
from __future__ import annotations

import csv
import datetime as dt
import json
import sys


def register(sub, common) -> None:
    p = sub.add_parser("calls", parents=[common], help="one record per call, oldest first")
    p.add_argument("--from", dest="since", metavar="T",
                   help="a day (YYYY-MM-DD, site time zone, as in stats) or an ISO time, inclusive")
    p.add_argument("--to", dest="until", metavar="T",
                   help="a day (inclusive: up to its end) or an ISO time (exclusive)")
    p.add_argument("--format", choices=["jsonl", "csv", "table"], default="table")
    p.set_defaults(func=_calls)

    p = sub.add_parser("replay", parents=[common], help="replay a recorded AMI stream through the listener")
    p.add_argument("capture", help="a capture folder (holding ami.raw or ami.raw.gz) or an ami.raw file")
    p.add_argument("--speed", default="max", help="'max' (default) or a factor of real time, e.g. 10")
    p.add_argument("--chunk-size", type=int, default=None, help="serve the bytes in chunks of this size")
    p.add_argument("--drop-at", type=int, default=None, help="drop the connection once at this byte offset")
    p.set_defaults(func=_replay)

    p = sub.add_parser("listen", parents=[common], help="live listener and callback dispatcher on CONTACTCENTER_AMI_URL")
    p.set_defaults(func=_listen)


def parse_when(value: str | None, tz, *, end: bool = False) -> dt.datetime | None:
    """`2026-12-03` (that day in the site's time zone `tz`; with `end`, the day after) or
    `2026-12-03T08:00` (site time unless an offset such as `Z` or `+08:00` is given)."""
    from contactcenter.cli import CliError

    if not value:
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            if end:
                day += dt.timedelta(days=1)
            return dt.datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(dt.timezone.utc)
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (when if when.tzinfo else when.replace(tzinfo=tz)).astimezone(dt.timezone.utc)
    except ValueError:
        raise CliError(f"not a date or time: {value!r} (use 2026-12-03 or 2026-12-03T08:00)") from None
    except OverflowError:
        raise CliError(f"date out of range: {value!r}") from None


def _calls(args) -> int:
    from contactcenter.cdr.queries import call_records
    from contactcenter.cli import settings_from
    from contactcenter.db import ensure_schema, session_scope

    from zoneinfo import ZoneInfo

    from contactcenter.cli import CliError

    settings = settings_from(args)
    tz = ZoneInfo(settings.site_timezone)
    since, until = parse_when(args.since, tz), parse_when(args.until, tz, end=True)
    if since is not None and until is not None and until <= since:
        raise CliError("--to is before --from")
    url = settings.db_url
    ensure_schema(url)
    with session_scope(url) as session:
        rows = call_records(session, since=since, until=until)
    out = sys.stdout
    if args.format == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif args.format == "csv":
        keys = list(rows[0]) if rows else []
        writer = csv.DictWriter(out, fieldnames=keys or ["call_id"])
        writer.writeheader()
        writer.writerows(rows)
    else:
        cols = ["started_at", "call_id", "direction", "caller", "outcome", "stage", "answered_by", "wait_s", "talk_s"]
        cells = [["" if row[c] is None else str(row[c]) for c in cols] for row in rows]
        widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(cols)]
        print("  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip())
        for r in cells:
            print("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
        print(f"{len(rows)} call(s)")
    return 0


def _replay(args) -> int:
    import asyncio

    from contactcenter.cli import CliError, settings_from
    from contactcenter.replaying import replay_capture

    import math

    from contactcenter.ami.capture import open_capture_bytes
    from contactcenter.ami.protocol import BANNER_PREFIX

    settings = settings_from(args)
    speed = None
    if args.speed != "max":
        try:
            speed = float(args.speed)
        except ValueError:
            raise CliError("--speed takes 'max' or a number") from None
        if not math.isfinite(speed) or speed <= 0:
            raise CliError("--speed takes 'max' or a number above 0 (1 = as recorded)")
    try:
        head = open_capture_bytes(args.capture)[:len(BANNER_PREFIX)]
    except (FileNotFoundError, IsADirectoryError, OSError) as exc:
        raise CliError(f"cannot read the capture: {exc}") from None
    if head != BANNER_PREFIX:
        raise CliError(f"{args.capture} is not an AMI capture: it does not begin with the "
                       f"'Asterisk Call Manager/' greeting" + (" (it is empty)" if not head else ""))
    summary = asyncio.run(replay_capture(args.capture, settings, speed=speed, chunk_size=args.chunk_size,
                                         drop_at=args.drop_at))
    print(f"replayed {summary['messages']} messages over {summary['connections']} connection(s): "
          f"{summary['calls_closed']} call(s) closed, {summary['calls_open']} still open at the end of the stream")
    return 0


def _listen(args) -> int:
    import asyncio
    import logging
    import signal

    from contactcenter.cli import CliError, settings_from
    from contactcenter.live import run_listener

    settings = settings_from(args)
    try:
        target = settings.ami
    except ValueError as exc:
        raise CliError(str(exc)) from None

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        logging.getLogger(__name__).info("listening to %r, database %s", target, settings.redacted()["db_url"])
        await run_listener(settings, stop=stop)

    from contactcenter.ami.connection import AmiAuthError

    try:
        asyncio.run(main())
    except AmiAuthError as exc:
        raise CliError(f"{exc} (check the user and secret in CONTACTCENTER_AMI_URL)") from None
    except ValueError as exc:  # settings the dispatcher refuses (callback context, caller ID, ...)
        raise CliError(str(exc)) from None
    return 0
