"""Redial fixtures: a loopback AMI server, a real AMI client, the dispatcher on a virtual clock,
and a stand-in for the correlator that turns each ended callback into its call record and
hands it to the intake inside the transaction that stores it (as the listener does)."""
from __future__ import annotations

import datetime as dt

import pytest

from contactcenter.cdr.records import CallRecord
from contactcenter.cdr.store import store_call
from contactcenter.config import Settings
from contactcenter.db import session_scope
from contactcenter.redial.dispatcher import CallbackDispatcher, DispatcherConfig
from contactcenter.redial.intake import on_call_closed
from tests.redial.amiclient import TestAmiLink
from tests.redial.amiserver import AmiTestServer, CallbackEnd

UTC = dt.timezone.utc


class Clock:
    """The dispatcher's notion of now (the policy takes time as an argument)."""

    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw) -> dt.datetime:
        self.now += dt.timedelta(**kw)
        return self.now


def callback_record(end: CallbackEnd, at: dt.datetime) -> CallRecord:
    """What the correlator makes of a callback call (see cdr.correlator: answered_by is the seat
    when the seat took the call, else None)."""
    return CallRecord(call_id=end.call_id, direction="callback", caller=end.number, caller_raw=end.number,
                      caller_name=None, dialed=end.number, started_at=at, ended_at=at + dt.timedelta(seconds=30),
                      outcome=end.outcome, hangup_cause=end.hangup_cause, callback_id=end.callback_id, closed=True,
                      answered_by=end.seat if end.seat_answered else None, seats=[end.seat] if end.seat_answered else [])


class Rig:
    """Server + links + dispatchers against one database."""

    def __init__(self, db_url: str, clock: Clock, settings: Settings):
        self.db_url = db_url
        self.clock = clock
        self.settings = settings
        self.server = AmiTestServer(on_callback_end=self._callback_ended)
        self.links: list[TestAmiLink] = []
        self.dispatchers: list[CallbackDispatcher] = []
        self.port = None

    def _callback_ended(self, end: CallbackEnd) -> None:
        record = callback_record(end, self.clock())
        with session_scope(self.db_url) as session:
            store_call(session, record)
            on_call_closed(session, record, self.settings, self.clock())

    async def start(self) -> None:
        self.port = await self.server.start()

    async def dispatcher(self, *, seats=None, reserve=0, max_in_flight=10, name="main", start=False,
                         **cfg) -> CallbackDispatcher:
        holder = {}
        link = TestAmiLink(self.port, name=name,
                           on_message=lambda m: holder["d"].on_message(m),
                           on_reconnect=lambda live: holder["d"].on_reconnect(live))
        config = DispatcherConfig(seats=seats, reserve_seats=reserve, max_in_flight=max_in_flight, name=name, **cfg)
        d = CallbackDispatcher(self.db_url, self.settings, link, config=config, clock=self.clock)
        holder["d"] = d
        await link.connect()
        self.links.append(link)
        self.dispatchers.append(d)
        if start:
            await d.start()
        return d

    async def __aenter__(self) -> "Rig":
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def close(self) -> None:
        for d in self.dispatchers:
            await d.stop()
        for link in self.links:
            await link.close()
        await self.server.close()


@pytest.fixture
def clock():
    # Thursday 2026-12-03 10:00 in Shanghai
    return Clock(dt.datetime(2026, 12, 3, 2, 0, tzinfo=UTC))


@pytest.fixture
def make_rig(db_url, clock):
    """`async with make_rig() as rig:` inside a test's asyncio.run()."""
    return lambda settings=None: Rig(db_url, clock, settings or Settings(db_url=db_url))
