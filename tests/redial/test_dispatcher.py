"""The dispatcher over real loopback AMI: what is dialled, when, on which seat, and that nothing
is ever dialled twice (counted at the server)."""
from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from contactcenter.cdr.models import Seat
from contactcenter.config import Settings
from contactcenter.db import session_scope
from contactcenter.redial.intake import on_call_closed
from contactcenter.redial.models import CallbackAttempt, CallbackTask
from tests.redial.amiserver import Plan
from tests.redial.helpers import answered, at, missed

SETTINGS = Settings()


def add_missed(url, n, start="2026-12-03 01:50:00", prefix="139000010"):
    """n missed callers, one a second from `start` (UTC); returns their numbers."""
    numbers = []
    base = at(start)
    for i in range(n):
        number = f"{prefix}{i:02d}"
        t = base + dt.timedelta(seconds=i)
        rec = missed(f"m{i}", number, t.strftime("%Y-%m-%d %H:%M:%S"))
        with session_scope(url) as s:
            on_call_closed(s, rec, SETTINGS, rec.ended_at)
        numbers.append(number)
    return numbers


def add_seats(url, seats, state="idle", paused=()):
    with session_scope(url) as s:
        for seat in seats:
            s.add(Seat(seat=seat, interface=f"PJSIP/{seat}", logged_in=True, paused=seat in paused,
                       device_state=state))


def task_rows(url):
    with session_scope(url) as s:
        return {t.number: (t.status, t.attempts, t.seat_failures, t.last_result, t.next_attempt_at)
                for t in s.execute(select(CallbackTask)).scalars()}


def attempts(url):
    with session_scope(url) as s:
        return [(a.task_id, a.seq, a.seat, a.action_id, a.callback_id, a.state, a.result)
                for a in s.execute(select(CallbackAttempt).order_by(CallbackAttempt.id)).scalars()]


def test_due_tasks_dialled_seat_first_with_checked_originate(make_rig, db_url, clock):
    add_missed(db_url, 3)
    add_seats(db_url, ["8001", "8002", "8003", "8004"])

    async def scenario():
        async with make_rig() as rig:
            d = await rig.dispatcher(reserve=1)
            report = await d.run_round()
            await rig.server.idle()
            return report, rig.server

    report, server = asyncio.run(scenario())
    assert report.dialled == [1, 2, 3]
    assert dict(server.originates) == {"13900001000": 1, "13900001001": 1, "13900001002": 1}
    # exactly the action of the callback-originate capture, with our ids
    assert server.originate_actions[0] == [
        ("Action", "Originate"), ("ActionID", "callback-1-1"), ("Channel", "PJSIP/8001"), ("Context", "callback"),
        ("Exten", "13900001000"), ("Priority", "1"), ("CallerID", '"Hotline Callback" <12345>'),
        ("Timeout", "15000"), ("Async", "true"), ("Variable", "CALLBACK_ID=cb1"),
        ("Variable", "__HOTLINE_SESSION=cb-cb1"), ("Variable", "CALLBACK_TASK=1")]
    assert attempts(db_url) == [
        (1, 1, "8001", "callback-1-1", "cb1", "done", "reached"),
        (2, 1, "8002", "callback-2-1", "cb2", "done", "reached"),
        (3, 1, "8003", "callback-3-1", "cb3", "done", "reached"),
    ]
    rows = task_rows(db_url)
    assert rows["13900001000"] == ("reached", 1, 0, "reached", None)


def test_reserve_and_busy_seats_limit_the_round(make_rig, db_url, clock):
    add_missed(db_url, 6)
    add_seats(db_url, ["8001", "8002", "8003", "8004", "8005"])
    add_seats(db_url, ["8006"], state="talking")
    add_seats(db_url, ["8007"], paused=("8007",))

    async def scenario():
        async with make_rig() as rig:
            rig.server.hold = True
            d = await rig.dispatcher(reserve=2)
            first = await d.run_round()
            second = await d.run_round()  # the 3 seats are now ringing for callbacks
            rig.server.release()
            await rig.server.idle()
            return first, second

    first, second = asyncio.run(scenario())
    # 5 idle seats, 2 kept for inbound calls: 3 callbacks, oldest misses first
    assert first.dialled == [1, 2, 3]
    assert second.dialled == []
    assert [a[2] for a in attempts(db_url)] == ["8001", "8002", "8003"]


def test_seat_no_answer_requeues_without_counting(make_rig, db_url, clock):
    add_missed(db_url, 1)

    async def scenario():
        async with make_rig() as rig:
            rig.server.behaviour = lambda number, seat: Plan(seat="no_answer")
            d = await rig.dispatcher(seats=["8013"])
            await d.run_round()
            await rig.server.idle()

    asyncio.run(scenario())
    # retry after 1 minute, caller attempts still 0
    assert task_rows(db_url)["13900001000"] == ("pending", 0, 1, "seat_no_answer", clock.now + dt.timedelta(minutes=1))
    assert attempts(db_url)[0][5:] == ("done", "seat_no_answer")


def test_caller_busy_counts_and_retries_in_five_minutes(make_rig, db_url, clock):
    add_missed(db_url, 1)

    async def scenario():
        async with make_rig() as rig:
            rig.server.behaviour = lambda number, seat: Plan(caller="busy")
            d = await rig.dispatcher(seats=["8011"])
            await d.run_round()
            await rig.server.idle()
            clock.advance(minutes=4)
            early = await d.run_round()
            clock.advance(minutes=1)
            rig.server.behaviour = lambda number, seat: Plan()
            due = await d.run_round()
            await rig.server.idle()
            return early, due, dict(rig.server.originates)

    early, due, originates = asyncio.run(scenario())
    assert early.dialled == [] and due.dialled == [1]
    assert originates == {"13900001000": 2}
    assert task_rows(db_url)["13900001000"] == ("reached", 2, 0, "reached", None)


def test_nothing_dialled_outside_calling_hours(make_rig, db_url, clock):
    add_missed(db_url, 2)
    clock.now = at("2026-12-03 13:00:00")  # 21:00 Shanghai: calling hours just ended

    async def scenario():
        async with make_rig() as rig:
            d = await rig.dispatcher(seats=["8001", "8002"])
            night = await d.run_round()
            clock.now = at("2026-12-03 23:59:59")  # 07:59:59 Shanghai
            dawn = await d.run_round()
            clock.now = at("2026-12-04 00:00:00")  # 08:00 Shanghai
            morning = await d.run_round()
            await rig.server.idle()
            return night, dawn, morning

    night, dawn, morning = asyncio.run(scenario())
    assert (night.dialled, dawn.dialled, morning.dialled) == ([], [], [1, 2])


def test_reconnect_never_resends_and_result_still_arrives(make_rig, db_url, clock):
    add_missed(db_url, 1)

    async def scenario():
        async with make_rig() as rig:
            rig.server.hold = True
            d = await rig.dispatcher(seats=["8001", "8002"])
            await d.run_round()
            rig.server.drop_connections()
            # the link reconnects by itself and reconciles with the live channels
            link = rig.links[0]
            async with asyncio.timeout(5):
                while link.connections < 2:
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)
            again = await d.run_round()
            rig.server.release()
            await rig.server.idle()
            return again, dict(rig.server.originates), rig.server.logins

    again, originates, logins = asyncio.run(scenario())
    assert logins == 2
    assert again.dialled == []
    assert originates == {"13900001000": 1}
    assert task_rows(db_url)["13900001000"][:2] == ("reached", 1)


def test_restart_while_dialling_reconciles_before_dialling_again(make_rig, db_url, clock):
    add_missed(db_url, 2)

    async def scenario():
        async with make_rig() as rig:
            rig.server.hold = True
            first = await rig.dispatcher(seats=["8001", "8002"], name="first")
            await first.run_round()
            # the dispatcher process dies: its link goes, the calls stay up at the PBX
            await rig.links[0].close()
            await first.stop()
            # one of the two calls ends while no dispatcher is listening
            gone = next(uid for uid, ch in rig.server.live.items() if ch.number == "13900001001")
            rig.server.live[gone].task.cancel()
            await asyncio.sleep(0.01)
            second = await rig.dispatcher(seats=["8001", "8002"], name="second")
            clock.advance(seconds=5)
            report = await second.run_round()
            originates_after_restart = dict(rig.server.originates)
            clock.advance(minutes=1)
            later = await second.run_round()
            rig.server.release()
            await rig.server.idle()
            return report, originates_after_restart, later, dict(rig.server.originates), rig.server.max_concurrent_per_number

    report, after_restart, later, originates, concurrent = asyncio.run(scenario())
    # the live call is left alone; the vanished one is settled (seat side, not counted)
    assert report.dialled == []
    assert after_restart == {"13900001000": 1, "13900001001": 1}
    assert later.dialled == [2]
    assert originates == {"13900001000": 1, "13900001001": 2}
    assert max(concurrent.values()) == 1
    rows = task_rows(db_url)
    assert rows["13900001000"][:2] == ("reached", 1)
    assert rows["13900001001"][:3] == ("reached", 1, 1)


def test_caller_through_cancels_pending_and_ringing_callbacks(make_rig, db_url, clock):
    add_missed(db_url, 2)

    async def scenario():
        async with make_rig() as rig:
            rig.server.hold = True
            d = await rig.dispatcher(seats=["8001"])
            await d.run_round()  # only one seat: 13900001000 rings, 13900001001 waits
            for call_id, number in (("a1", "13900001000"), ("a2", "13900001001")):
                rec = answered(call_id, number, "2026-12-03 01:59:00")
                with session_scope(db_url) as s:
                    on_call_closed(s, rec, SETTINGS, clock())
            report = await d.run_round()
            await rig.server.idle()
            return report, dict(rig.server.originates), len(rig.server.live)

    report, originates, live = asyncio.run(scenario())
    assert report.hung_up == [1] and report.dialled == []
    assert originates == {"13900001000": 1}
    assert live == 0
    rows = task_rows(db_url)
    assert rows["13900001000"][0] == "caller_got_through"
    assert rows["13900001001"][0] == "caller_got_through"
    assert attempts(db_url)[0][5:] == ("done", "cancelled")


def test_scheduler_job_is_persisted_and_runs(make_rig, db_url, clock):
    add_missed(db_url, 1)

    async def scenario():
        async with make_rig() as rig:
            d = await rig.dispatcher(seats=["8001"], interval_s=0.05, start=True)
            with session_scope(db_url) as s:
                from sqlalchemy import text
                jobs = s.execute(text("select id from redial_scheduler_job")).scalars().all()
            async with asyncio.timeout(5):
                while not rig.server.originates:
                    await asyncio.sleep(0.02)
            await rig.server.idle()
            return jobs, dict(rig.server.originates)

    jobs, originates = asyncio.run(scenario())
    assert jobs == ["redial-dispatch-main"]
    assert originates == {"13900001000": 1}
