"""`contactcenter demo`: the whole product on one machine, no PBX needed.

Starts, on one asyncio loop and a web thread: the simulator (a day of hotline traffic in a
few minutes), the live listener with the callback dispatcher against it, and the panel,
all on SQLite. Whichever of the listener and the panel are installed are used; the demo
adapts (`contactcenter.live.run_listener`, `contactcenter.panel.create_app`). Prints where
to look, shows progress, and stops cleanly on Ctrl-C or after `--duration` seconds.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
import signal
import threading
import time
from dataclasses import replace
from zoneinfo import ZoneInfo

log = logging.getLogger("contactcenter.demo")


def local_midnight_yesterday(tz_name: str, now: float | None = None) -> float:
    """Epoch of yesterday's 00:00 in the site's time zone: the simulated day ends around now."""
    tz = ZoneInfo(tz_name)
    today = dt.datetime.fromtimestamp(time.time() if now is None else now, tz).date()
    start = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(0, 0), tz)
    return start.timestamp()


def _optional(module: str, name: str):
    try:
        mod = __import__(module, fromlist=[name])
        return getattr(mod, name)
    except (ImportError, AttributeError):
        return None


def _count_calls(db_url: str) -> int | None:
    try:
        from sqlalchemy import func, select

        from contactcenter.cdr.models import Call
        from contactcenter.db import session_scope

        with session_scope(db_url) as session:
            return session.scalar(select(func.count()).select_from(Call))
    except Exception:  # noqa: BLE001 - progress is best effort; the demo keeps running
        return None


def _start_panel(settings, port: int, clock=None):
    """The panel in a thread (werkzeug), or None when the panel is not installed."""
    create_app = _optional("contactcenter.panel", "create_app")
    if create_app is None:
        return None, None, []
    from werkzeug.serving import make_server

    users = []
    demo_users = _optional("contactcenter.panel.accounts", "demo_users")
    if demo_users is not None:
        from contactcenter.db import session_scope

        with session_scope(settings.db_url) as session:
            users = demo_users(session)
    app = create_app(settings)
    if clock is not None:
        app.extensions["cc_clock"] = clock  # "today" on the wallboard is the simulated day
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="demo-panel", daemon=True)
    thread.start()
    return server, thread, users


def _seed_knowledge(db_url: str) -> None:
    """The shipped knowledge-base articles, so the panel's search answers from the first
    minute (adds only what is missing: edits made in an earlier demo are kept)."""
    seed = _optional("contactcenter.knowledge.service", "seed_articles")
    if seed is None:
        return
    from contactcenter.db import session_scope

    with session_scope(db_url) as session:
        added = seed(session)
    if added:
        log.info("knowledge base: %d articles added", added)


def run(args) -> int:
    """Entry point of `contactcenter demo`."""
    from contactcenter.cli import CliError, settings_from
    from contactcenter.db import ensure_schema
    from contactcenter.sim.server import Simulator
    from contactcenter.sim.traffic import DEFAULT_CALLS_PER_DAY

    settings = settings_from(args)
    if not getattr(args, "verbose", False):
        # the progress lines are the demo's output; the parts' own logs only when asked (-v)
        logging.getLogger().setLevel(logging.WARNING)
        for name in ("contactcenter", "apscheduler"):
            logging.getLogger(name).setLevel(logging.WARNING)
    if not settings.db_url.startswith("sqlite"):
        log.info("demo database: %s", settings.redacted()["db_url"])
    ensure_schema(settings.db_url)
    _seed_knowledge(settings.db_url)
    calls = DEFAULT_CALLS_PER_DAY if args.calls_per_day is None else args.calls_per_day
    day_s = 86400.0 / args.speed
    duration = args.duration if args.duration is not None else day_s
    secret = secrets.token_urlsafe(12)
    start = local_midnight_yesterday(settings.site_timezone)

    async def main() -> None:
        sim = Simulator(seats=settings.seats, calls_per_day=calls, speed=args.speed, seed=args.seed,
                        username="demo", secret=secret, port=args.ami_port, start=start, day_start=start)
        try:
            await sim.start()
        except OSError as exc:
            raise CliError(f"cannot start the simulator on port {args.ami_port}: {exc.strerror or exc}")
        # a dispatcher round every second of wall time: at x288 that is every ~5 simulated minutes
        redial = {"interval_s": 1.0, **(settings.extra.get("redial") or {})}
        live = replace(settings, ami_url=f"ami://demo:{secret}@127.0.0.1:{sim.port}",
                       extra={**settings.extra, "redial": redial})

        def sim_clock() -> dt.datetime:
            # the whole demo runs on the simulated day: callbacks keep its calling hours,
            # the wallboard's "today" is that day
            return dt.datetime.fromtimestamp(sim.sim_now(), dt.timezone.utc)

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        tasks = []
        run_listener = _optional("contactcenter.live", "run_listener")
        if run_listener is not None:
            tasks.append(asyncio.create_task(run_listener(live, stop=stop, with_dispatcher=True, clock=sim_clock),
                                             name="listener"))
        panel = (None, None, [])
        panel_problem = None
        if not args.no_web:
            try:
                panel = _start_panel(live, args.web_port, clock=sim_clock)
            except OSError as exc:
                stop.set()
                for task in tasks:
                    await asyncio.gather(task, return_exceptions=True)
                await sim.stop()
                raise CliError(f"cannot start the panel on port {args.web_port}: {exc.strerror or exc}")
            except Exception as exc:  # noqa: BLE001 - a broken panel must not stop the demo
                panel_problem = f"could not start ({exc.__class__.__name__}: {exc})"
                log.exception("panel failed to start")
        server, thread, users = panel
        print(f"contactcenter demo: one simulated day ({calls} calls, {settings.seats} seats) "
              f"in {day_s / 60:.1f} min (x{args.speed:g}); database {settings.redacted()['db_url']}", flush=True)
        print(f"  PBX simulator (AMI): 127.0.0.1:{sim.port}", flush=True)
        print("  listener + callback dispatcher: " + ("running" if run_listener else "not installed"), flush=True)
        if server is not None:
            print(f"  panel: http://127.0.0.1:{server.server_port}/", flush=True)
            for username, password, role in users:
                print(f"    login {username} / {password}  ({role})", flush=True)
            if not users:
                print("    demo logins admin, leader, operator, callback, unit: made by an earlier demo; "
                      "a new password: contactcenter user password NAME", flush=True)
        else:
            print("  panel: " + ("disabled (--no-web)" if args.no_web else panel_problem or "not installed"),
                  flush=True)
        print("  see the calls: contactcenter calls --format table   (Ctrl-C stops the demo)", flush=True)
        t0 = time.monotonic()
        next_report = 0.0
        try:
            while not stop.is_set() and time.monotonic() - t0 < duration:
                if any(t.done() for t in tasks):
                    break
                if time.monotonic() - t0 >= next_report:
                    next_report += max(2.0, min(15.0, duration / 10))
                    _progress(sim, settings.site_timezone, settings.db_url)
                try:
                    await asyncio.wait_for(stop.wait(), 0.25)
                except asyncio.TimeoutError:
                    pass
        finally:
            stop.set()
            for task in tasks:
                try:
                    await asyncio.wait_for(task, 15)
                except asyncio.TimeoutError:
                    task.cancel()
                except Exception as exc:  # noqa: BLE001 - report and go on stopping
                    log.error("listener stopped with an error: %s", exc)
            _progress(sim, settings.site_timezone, settings.db_url)
            await sim.stop()
            if server is not None:
                server.shutdown()
                server.server_close()
            print("demo stopped", flush=True)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        return 130
    return 0


def _progress(sim, tz_name: str, db_url: str) -> None:
    m = sim.model
    when = dt.datetime.fromtimestamp(sim.sim_now(), ZoneInfo(tz_name)).strftime("%a %H:%M")
    outcomes = {k.removeprefix("outcome_"): v for k, v in sorted(m.stats.items()) if k.startswith("outcome_")}
    stored = _count_calls(db_url)
    shown = ", ".join(f"{k} {v}" for k, v in outcomes.items()) or "none yet"
    print(f"[{when}] {m.stats['calls']} calls ({shown}); {len(m.members)} seats logged in, "
          f"{len(m.waiting)} waiting; stored {stored if stored is not None else '?'}; "
          f"callbacks dialled {sum(m.originates.values())}", flush=True)
