"""The dispatcher on the product's own AMI link (AmiLink over loopback TCP), where a dropped
connection raises AmiConnectionLost: an Originate that may have reached Asterisk stays in
flight and is never sent again; settings no Originate could pass stop the dispatcher."""
from __future__ import annotations

import asyncio

import pytest

from contactcenter.ami.connection import AmiLink
from contactcenter.config import AmiTarget, Settings
from contactcenter.redial.dispatcher import CallbackDispatcher, DispatcherConfig
from tests.ami.amiserver import FakeAsterisk
from tests.redial.test_dispatcher import add_missed, add_seats, attempts, task_rows


def test_a_connection_lost_after_the_originate_was_written_keeps_the_dial_in_flight(db_url, clock):
    add_missed(db_url, 1)
    add_seats(db_url, ["8001", "8002"])

    async def scenario():
        server = FakeAsterisk()
        await server.start()
        server.silent = {"originate"}  # the answer never comes: the link drops first
        link = AmiLink(AmiTarget(port=server.port, username=server.username, secret=server.secret),
                       lambda frames, conn: None, backoff_initial_s=0.01, backoff_max_s=0.05)
        await link.start()
        d = CallbackDispatcher(db_url, Settings(db_url=db_url), link, clock=clock,
                               config=DispatcherConfig(reserve_seats=0))
        d._reconciled = True  # nothing was in flight before this test
        first = asyncio.create_task(d.run_round())
        await server.wait_for(lambda: server.actions_named("Originate"))
        server.drop()
        report = await first
        await server.wait_for(lambda: server.logins == 2)  # the link is back
        clock.advance(minutes=5)
        again = await d.run_round()
        originates = len(server.actions_named("Originate"))
        await link.close()
        await server.stop()
        return report, again, originates

    report, again, originates = asyncio.run(scenario())
    assert report.dialled == [1] and report.refused == []
    assert again.dialled == [] and originates == 1
    [(task_id, seq, seat, action_id, callback_id, state, result)] = attempts(db_url)
    assert (task_id, seq, seat, state, result) == (1, 1, "8001", "sent", None)
    assert task_rows(db_url)["13900001000"][:2] == ("dialing", 0)


@pytest.mark.parametrize("config, settings, message", [
    (DispatcherConfig(context="Callback"), Settings(), "callback context 'Callback'"),
    (DispatcherConfig(caller_id="Hotline <12345>"), Settings(), "callback caller ID"),
    (DispatcherConfig(), Settings(dial_prefix="9,"), "dial prefix '9,'"),
    (DispatcherConfig(seats=["8001", "9001"]), Settings(), "callback seats ['9001']"),
    (DispatcherConfig(originate_timeout_ms=200000), Settings(), "originate_timeout_ms 200000"),
])
def test_settings_no_originate_could_pass_stop_the_dispatcher_at_once(config, settings, message):
    with pytest.raises(ValueError, match="cannot be dialled") as err:
        CallbackDispatcher("sqlite://", settings, link=None, config=config)
    assert message in str(err.value)


def test_a_seat_no_originate_may_ring_takes_no_callbacks(db_url, clock):
    """A supervisor's phone 8100 in the queue: idle, but outside the seats an Originate may
    ring; the callback waits for a real seat instead of failing on 8100 round after round."""
    add_missed(db_url, 1)
    add_seats(db_url, ["8100"])
    d = CallbackDispatcher(db_url, Settings(db_url=db_url), link=None, clock=clock,
                           config=DispatcherConfig(reserve_seats=0))
    assert d.claim_due(clock()) == []
    add_seats(db_url, ["8002"])
    [claimed] = d.claim_due(clock())
    assert claimed.seat == "8002"
