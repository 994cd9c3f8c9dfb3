"""One dispatcher process for the two-dispatcher test: its own AMI connection, its own database
engine, rounds in a loop until told to stop (stdin closed) or `--rounds` are done.
Prints `dialled <n>` at the end."""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys

from contactcenter.config import Settings
from contactcenter.redial.dispatcher import CallbackDispatcher, DispatcherConfig
from tests.redial.amiclient import TestAmiLink


async def main(argv) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--now", required=True)
    ap.add_argument("--rounds", type=int, default=200)
    args = ap.parse_args(argv)
    now = dt.datetime.fromisoformat(args.now)
    holder = {}
    link = TestAmiLink(args.port, name=args.name, on_message=lambda m: holder["d"].on_message(m))
    config = DispatcherConfig(reserve_seats=0, max_in_flight=100, name=args.name, interval_s=0.01)
    d = CallbackDispatcher(args.db, Settings(db_url=args.db), link, config=config, clock=lambda: now)
    holder["d"] = d
    await link.connect()
    dialled = 0
    for _ in range(args.rounds):
        report = await d.run_round()
        dialled += len(report.dialled)
        await asyncio.sleep(0.005)
    print(f"dialled {dialled}", flush=True)
    await link.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
