"""`contactcenter sim` (the PBX simulator) and `contactcenter demo` (everything on one machine)."""
from __future__ import annotations

import argparse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text!r}")
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    return int(text)


def register(sub, common) -> None:
    p = sub.add_parser("sim", parents=[common], help="PBX simulator: a loopback AMI server behaving like Asterisk 22")
    p.add_argument("--port", type=_port, default=5038, help="TCP port on 127.0.0.1 (0 = any free port; default 5038)")
    p.add_argument("--seats", type=_count, default=60, help="agent seats 8001.. (default 60)")
    p.add_argument("--calls-per-day", type=_count, default=None, help="expected calls in a day (default 1179)")
    p.add_argument("--peak-day", action="store_true", help="a peak day: 1,949 calls")
    p.add_argument("--speed", type=_positive_float, default=1.0, help="simulated seconds per real second (default 1)")
    p.add_argument("--seed", type=int, default=0, help="random seed: the same seed replays the same day")
    p.add_argument("--username", default=None, help="AMI user (default from CONTACTCENTER_AMI_URL)")
    p.add_argument("--secret", default=None, help="AMI secret (default from CONTACTCENTER_AMI_URL)")
    p.add_argument("--duration", type=_positive_float, default=None, help="stop after this many real seconds")
    p.set_defaults(func=run_sim)

    d = sub.add_parser("demo", parents=[common],
                       help="simulator + listener + callback dispatcher + panel on SQLite, one command")
    d.add_argument("--speed", type=_positive_float, default=288.0,
                   help="simulated seconds per real second (default 288: a day in 5 minutes)")
    d.add_argument("--calls-per-day", type=_count, default=None, help="expected calls in the day (default 1179)")
    d.add_argument("--seed", type=int, default=0, help="random seed")
    d.add_argument("--duration", type=_positive_float, default=None,
                   help="stop after this many real seconds (default: one simulated day)")
    d.add_argument("--web-port", type=_port, default=8080, help="panel port on 127.0.0.1 (0 = any free port)")
    d.add_argument("--ami-port", type=_port, default=0, help="simulator port (default: any free port)")
    d.add_argument("--no-web", action="store_true", help="do not start the panel")
    d.set_defaults(func=run_demo)


def run_sim(args) -> int:
    import asyncio
    import logging

    from contactcenter.cli import CliError, settings_from
    from contactcenter.sim.server import Simulator
    from contactcenter.sim.traffic import DEFAULT_CALLS_PER_DAY, PEAK_DAY_CALLS

    settings = settings_from(args)
    if args.peak_day and args.calls_per_day is not None:
        raise CliError("give either --peak-day or --calls-per-day, not both")
    calls = PEAK_DAY_CALLS if args.peak_day else (DEFAULT_CALLS_PER_DAY if args.calls_per_day is None
                                                   else args.calls_per_day)
    if args.seats < 1 or args.seats > 2000:
        raise CliError("--seats must be between 1 and 2000")
    try:
        target = settings.ami
    except ValueError as exc:
        raise CliError(str(exc))
    username = args.username or target.username
    secret = args.secret if args.secret is not None else target.secret
    if any(c in (username + secret) for c in "\r\n"):
        raise CliError("username and secret must be single-line")

    async def main() -> None:
        sim = Simulator(seats=args.seats, calls_per_day=calls, speed=args.speed, seed=args.seed,
                        username=username, secret=secret, port=args.port)
        try:
            await sim.start()
        except OSError as exc:
            raise CliError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}")
        print(f"AMI simulator on 127.0.0.1:{sim.port} user {username!r}: {args.seats} seats, "
              f"{calls} calls/day, speed x{args.speed:g}, seed {args.seed}", flush=True)
        try:
            if args.duration:
                await asyncio.sleep(args.duration)
            else:
                await asyncio.Event().wait()
        finally:
            counts = sim.originate_counts()
            logging.getLogger("contactcenter.sim").info(
                "stopping: %d events sent, %d calls, %d originates", sim.events_sent,
                sim.model.stats["calls"], sum(counts.values()))
            await sim.stop()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        return 130
    return 0


def run_demo(args) -> int:
    from contactcenter.sim.demo import run

    return run(args)
