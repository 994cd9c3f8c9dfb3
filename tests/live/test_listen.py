"""`contactcenter listen`'s pipeline live against the PBX simulator over loopback AMI:
calls logged as they happen, and a listener restart in the middle of calls."""
from __future__ import annotations

import asyncio
import time

from sqlalchemy import select

from contactcenter.cdr.models import Call
from contactcenter.config import load_settings
from contactcenter.db import session_scope
from contactcenter.live import run_listener
from contactcenter.sim.model import SeatBehaviour
from contactcenter.sim.server import Simulator


def settings_for(db_url: str, port: int):
    return load_settings(env={}, db_url=db_url, ami_url=f"ami://contactcenter:contactcenter@127.0.0.1:{port}")


async def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


def calls(db_url: str) -> dict[str, tuple]:
    with session_scope(db_url) as s:
        return {c.caller: (c.outcome, c.stage, c.answered_by, c.closed, c.close_note)
                for c in s.scalars(select(Call))}


class Listener:
    """run_listener in a task, started and stopped like the real process."""

    def __init__(self, settings):
        self.settings = settings
        self.stop = asyncio.Event()
        self.ready = asyncio.Event()
        self.logger = None
        self.task = None

    async def __aenter__(self):
        async def ready(logger, link):
            self.logger = logger
            self.ready.set()

        self.task = asyncio.create_task(run_listener(self.settings, stop=self.stop, with_dispatcher=False, ready=ready))
        await asyncio.wait_for(self.ready.wait(), 20)
        return self

    async def __aexit__(self, *exc):
        self.stop.set()
        await asyncio.wait_for(self.task, 20)


def test_a_listener_restart_in_the_middle_of_calls_closes_each_call_right(sqlite_url):
    """Timeline (simulated seconds; greeting 4.3 s, seat 8001 answers after 2 s and ends each
    call 20 s after answering, wrap-up 2 s):
    caller 1 arrives at 0, queued 4.3, answered 6.3, 8001 hangs up at 26.3;
    caller 2 arrives at 1, queued 5.3 behind caller 1, gives up 15 s after the IVR answered (16);
    the listener stops at 10 and starts again at 50; meanwhile caller 3 arrives at 30, is
    answered by 8001 at 36.3 and is still talking at 50 (8001 ends it at 56.3)."""

    async def scenario():
        sim = Simulator(seats=60, speed=None)
        port = await sim.start()
        model = sim.model
        model.seats["8001"].behaviour = SeatBehaviour(answer_after=2.0, talk_s=20.0)
        model.queue_add("8001")
        t0 = model.now
        settings = settings_for(sqlite_url, port)
        try:
            async with Listener(settings) as first:
                model.place_call("13900000001", patience=300.0)
                model.place_call("13900000002", patience=15.0, at=t0 + 1)
                await sim.advance(10.0)
                await wait_for(lambda: len(first.logger.correlator.open_call_ids()) == 2)
            model.place_call("13900000003", patience=300.0, at=t0 + 30)
            await sim.advance(40.0)
            async with Listener(settings):
                await wait_for(lambda: {"13900000001", "13900000002"} <= set(calls(sqlite_url)))
                await sim.advance(60.0)
                await wait_for(lambda: len(calls(sqlite_url)) == 3)
            return calls(sqlite_url)
        finally:
            await sim.stop()

    got = asyncio.run(scenario())

    away = "ended while the listener was disconnected"
    assert got["13900000001"] == ("answered", None, "8001", True, away)
    assert got["13900000002"] == ("abandoned", "queue", None, True, away)
    assert got["13900000003"] == ("answered", None, "8001", True, "started before the listener connected")
