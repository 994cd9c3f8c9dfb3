"""Two dispatcher processes on one PostgreSQL database never dial the same task, nor the same
seat at once (row locks with SKIP LOCKED), counted at the AMI server."""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys

import pytest

from contactcenter.cdr.models import Seat
from contactcenter.config import Settings
from contactcenter.db import session_scope
from tests.conftest import ROOT
from tests.redial.conftest import Clock, Rig
from tests.redial.test_dispatcher import add_missed, task_rows

pytestmark = pytest.mark.postgres


def test_two_dispatcher_processes_never_dial_the_same_task(pg_url):
    numbers = add_missed(pg_url, 60, prefix="139000020")
    with session_scope(pg_url) as s:
        for n in range(1, 21):
            s.add(Seat(seat=f"80{n:02d}", interface=f"PJSIP/80{n:02d}", logged_in=True, paused=False,
                       device_state="idle"))
    clock = Clock(dt.datetime(2026, 12, 3, 2, 30, tzinfo=dt.timezone.utc))
    settings = Settings(db_url=pg_url)

    async def scenario():
        async with Rig(pg_url, clock, settings) as rig:
            rig.server.hold = True
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            procs = [await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.redial.dispatcher_proc", "--db", pg_url, "--port", str(rig.port),
                "--name", name, "--now", clock.now.isoformat(), "--rounds", "150",
                cwd=str(ROOT), env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
                for name in ("left", "right")]
            # both race for the first 20 seats while every call is held ringing
            async with asyncio.timeout(30):
                while sum(rig.server.originates.values()) < 20:
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.3)
            held_at_20 = sum(rig.server.originates.values())
            rig.server.release()
            outs = []
            async with asyncio.timeout(90):
                for p in procs:
                    out, err = await p.communicate()
                    assert p.returncode == 0, err.decode()[-2000:]
                    outs.append(int(out.decode().split()[-1]))
            await rig.server.idle()
            return held_at_20, outs, rig.server

    held_at_20, dialled, server = asyncio.run(scenario())
    assert held_at_20 == 20  # 20 seats: never more calls than seats
    assert sorted(server.originates) == sorted(numbers)
    assert set(server.originates.values()) == {1}
    assert max(server.max_concurrent_per_seat.values()) == 1
    assert sum(dialled) == 60 and min(dialled) > 0, dialled  # both took part
    assert {row[0] for row in task_rows(pg_url).values()} == {"reached"}
