"""A simulated hotline day: 1,200 inbound calls with about 8% missed, callbacks dialled over
real loopback AMI by the dispatcher on a virtual clock, outcomes drawn from believable rates.
The day must end with an overall connect rate of at least 99%, every attempt inside calling
hours, and no number ever called twice at once (counted at the server)."""
from __future__ import annotations

import asyncio
import datetime as dt
import random
from zoneinfo import ZoneInfo

from sqlalchemy import select

from contactcenter.cdr.models import Seat
from contactcenter.cdr.records import CallRecord
from contactcenter.cdr.store import store_call
from contactcenter.config import Settings
from contactcenter.db import session_scope
from contactcenter.redial.intake import on_call_closed
from contactcenter.redial.models import CallbackAttempt, CallbackTask
from contactcenter.stats.queries import load_stats, local_day_bounds
from tests.redial.amiserver import Plan
from tests.redial.conftest import Clock, Rig

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc
SEED = 20261203


def inbound_day(rng: random.Random, day: dt.date) -> list[CallRecord]:
    """1,200 calls between 08:00 and 20:00 local; 8% missed; 0.5% withheld; a fifth of the
    missed callers call again within 15 minutes (half of those get through)."""
    records = []
    start = dt.datetime.combine(day, dt.time(8), tzinfo=SH).astimezone(UTC)
    for i in range(1200):
        t = start + dt.timedelta(seconds=rng.uniform(0, 12 * 3600))
        withheld = rng.random() < 0.005
        number = None if withheld else f"139{rng.randrange(10**8):08d}"
        is_missed = rng.random() < 0.08
        records.append(_record(f"d{i}", number, t, is_missed, rng))
        if is_missed and number and rng.random() < 0.2:
            again = t + dt.timedelta(minutes=rng.uniform(1, 15))
            records.append(_record(f"d{i}r", number, again, rng.random() < 0.5, rng))
    return sorted(records, key=lambda r: r.ended_at)


def _record(call_id, number, started, is_missed, rng) -> CallRecord:
    wait = rng.uniform(5, 60)
    return CallRecord(call_id=call_id, direction="inbound", caller=number, caller_raw=number or "anonymous",
                      caller_name=None, dialed="12345", started_at=started,
                      ended_at=started + dt.timedelta(seconds=wait + (0 if is_missed else rng.uniform(30, 300))),
                      queue="hotline", queued_at=started + dt.timedelta(seconds=4.3), wait_s=wait,
                      talk_s=None if is_missed else 120.0, outcome="abandoned" if is_missed else "answered",
                      stage="queue" if is_missed else None, answered_by=None if is_missed else "8001",
                      missed=is_missed, short_abandon=False, closed=True)


def behaviour(rng: random.Random):
    def plan(number: str, seat: str) -> Plan:
        s = rng.random()
        seat_side = "answer" if s < 0.95 else ("no_answer" if s < 0.98 else "busy")
        c = rng.random()
        caller = "answer" if c < 0.75 else ("no_answer" if c < 0.90 else ("busy" if c < 0.97 else "failed"))
        return Plan(seat=seat_side, caller=caller, seat_ring_s=0.0005, caller_ring_s=0.0005, talk_s=0.0005)
    return plan


def test_simulated_day_reaches_99_percent(sqlite_url):
    url = sqlite_url
    day = dt.date(2026, 12, 3)
    rng = random.Random(SEED)
    records = inbound_day(rng, day)
    settings = Settings(db_url=url)
    with session_scope(url) as s:
        for n in range(1, 13):  # a dozen seats idle at any moment of the day
            s.add(Seat(seat=f"80{n:02d}", interface=f"PJSIP/80{n:02d}", logged_in=True, paused=False,
                       device_state="idle"))
    clock = Clock(dt.datetime.combine(day, dt.time(8), tzinfo=SH).astimezone(UTC))
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(12), tzinfo=SH).astimezone(UTC)

    async def scenario():
        async with Rig(url, clock, settings) as rig:
            rig.server.behaviour = behaviour(random.Random(SEED + 1))
            d = await rig.dispatcher(reserve=2, max_in_flight=10)
            pending = list(records)
            while clock.now < end:
                while pending and pending[0].ended_at <= clock.now:
                    rec = pending.pop(0)
                    with session_scope(url) as s:
                        store_call(s, rec)
                        on_call_closed(s, rec, settings, clock.now)
                await d.run_round()
                await rig.server.idle()
                clock.advance(seconds=60)
            return rig.server

    server = asyncio.run(scenario())
    first, last = local_day_bounds(day, day, SH)
    with session_scope(url) as s:
        figures = load_stats(s, since=first, until=last, tz=SH)
        attempts = s.execute(select(CallbackAttempt.started_at, CallbackAttempt.number, CallbackAttempt.result)).all()
        statuses = [t.status for t in s.execute(select(CallbackTask)).scalars()]
    print("day figures:", {k: v for k, v in figures.items() if k not in ("per_day", "per_hour")})
    print("statuses:", {s: statuses.count(s) for s in set(statuses)})
    assert figures["calls"] == len(records)
    assert figures["missed"] > 0.07 * len(records)
    assert figures["first_attempt_connect_rate"] < 0.93
    assert figures["overall_connect_rate"] >= 0.99, figures
    # every attempt inside 08:00-21:00 Shanghai
    for started, _, _ in attempts:
        local = started.astimezone(SH).time()
        assert dt.time(8) <= local < dt.time(21), started
    # the server saw exactly one Originate per attempt, never two at once to one number
    sent = [a for a in attempts if a[2] != "not_sent"]
    assert sum(server.originates.values()) == len(sent)
    assert max(server.max_concurrent_per_number.values()) == 1
    assert "pending" not in statuses and "dialing" not in statuses
    assert figures["callbacks_reached"] >= 0.9 * statuses.count("reached")
