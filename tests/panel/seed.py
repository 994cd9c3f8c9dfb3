"""Seed the call-logging tables with a small, hand-checked morning at the hotline.

Rows go into the real tables (call, call_leg, seat, callback_task) exactly as the
listener stores them. Expected wallboard figures for NOW are worked out in the comments.
"""
from __future__ import annotations

import datetime as dt

from contactcenter.cdr.models import Call, CallLeg, Seat
from contactcenter.redial.models import CallbackAttempt, CallbackMissedCall, CallbackTask

UTC = dt.timezone.utc
# 2026-12-03 10:00 in Asia/Shanghai
NOW = dt.datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def at(minutes_before: float) -> dt.datetime:
    return NOW - dt.timedelta(minutes=minutes_before)


def seed_seats(session) -> None:
    rows = [
        # seat, logged_in, paused, device_state -> wallboard state
        ("8001", True, False, "idle"),        # idle
        ("8002", True, False, "ringing"),     # ringing
        ("8003", True, False, "talking"),     # talking
        ("8004", True, True, "idle"),         # paused
        ("8005", False, False, "unavailable"),  # offline
        ("8006", True, True, "talking"),      # talking (paused during a call still shows talking)
    ]
    for seat, logged_in, paused, state in rows:
        session.add(Seat(seat=seat, name=f"坐席{seat}", interface=f"PJSIP/{seat}", logged_in=logged_in,
                         paused=paused, pause_reason="小休" if paused else None, device_state=state,
                         updated_at=at(5)))


def _call(call_id, caller, minutes_before, *, outcome, missed, answered_by=None, stage=None, closed=True,
          direction="inbound", caller_name=None, wait_s=10.0, talk_s=None, callback_id=None, queued=True):
    started = at(minutes_before)
    return Call(call_id=call_id, direction=direction, caller=caller, caller_raw=caller, caller_name=caller_name,
                dialed="12345", started_at=started,
                ended_at=started + dt.timedelta(minutes=3) if closed else None, queue="hotline",
                queued_at=started + dt.timedelta(seconds=8) if queued else None, wait_s=wait_s,
                answered_at=started + dt.timedelta(seconds=20) if outcome == "answered" else None,
                answered_by=answered_by, seats=answered_by, talk_s=talk_s, outcome=outcome, stage=stage,
                hangup_cause=16, missed=missed, short_abandon=False, callback_id=callback_id, closed=closed)


def seed_calls(session) -> dict:
    """Today (local) closed inbound calls: c1..c6. Expected figures:
    calls 6, answered 2 (c1, c3), missed 4 (c2, c4, c5, c6), first attempt 2/6;
    callers 5 (1111, 2222, 3333, 4444, one withheld); reached 3 (1111 and 2222 answered,
    3333 by callback) -> overall 3/5; waiting 2 (c7 90 s, c8 30 s); in progress 2."""
    calls = [
        _call("1764720000.1", "13900001111", 100, outcome="answered", missed=False, answered_by="8001", talk_s=170.0),
        _call("1764720000.2", "13900002222", 90, outcome="abandoned", missed=True, stage="queue", wait_s=45.0),
        _call("1764720000.3", "13900002222", 80, outcome="answered", missed=False, answered_by="8003", talk_s=60.0),
        _call("1764720000.4", "13900003333", 70, outcome="abandoned", missed=True, stage="ringing",
              caller_name="<script>alert('xss')</script>"),
        _call("1764720000.5", None, 60, outcome="abandoned", missed=True, stage="ivr", queued=False, wait_s=None),
        _call("1764720000.6", "13900004444", 50, outcome="busy", missed=True, wait_s=None),
        _call("1764720000.7", "13900005555", 1.5 + 8 / 60, outcome=None, missed=False, closed=False),
        _call("1764720000.8", "13900006666", 0.5 + 8 / 60, outcome=None, missed=False, closed=False),
        # yesterday (local): not in today's figures
        _call("1764600000.1", "13900007777", 60 * 20, outcome="answered", missed=False, answered_by="8001"),
    ]
    session.add_all(calls)
    session.flush()
    session.add_all([
        CallLeg(call_id="1764720000.1", unique_id="1764720000.11", seat="8002", channel="PJSIP/8002-00000001",
                ring_started_at=at(100) + dt.timedelta(seconds=9), ended_at=at(100) + dt.timedelta(seconds=19),
                result="no_answer"),
        CallLeg(call_id="1764720000.1", unique_id="1764720000.12", seat="8001", channel="PJSIP/8001-00000002",
                ring_started_at=at(100) + dt.timedelta(seconds=19), answered_at=at(100) + dt.timedelta(seconds=20),
                ended_at=at(97), result="answered"),
    ])
    tasks = {
        "reached": CallbackTask(number="13900003333", status="reached", missed_calls=["1764720000.4"],
                                first_missed_at=at(70), last_missed_at=at(70), attempts=1,
                                next_attempt_at=None, last_attempt_at=at(40), last_result="reached",
                                closed_at=at(38), created_at=at(67), updated_at=at(38)),
        "pending": CallbackTask(number="13900004444", status="pending", missed_calls=["1764720000.6"],
                                first_missed_at=at(50), last_missed_at=at(50), attempts=0,
                                next_attempt_at=NOW + dt.timedelta(minutes=10), created_at=at(47),
                                updated_at=at(47)),
        "got_through": CallbackTask(number="13900002222", status="caller_got_through",
                                    missed_calls=["1764720000.2"], first_missed_at=at(90), last_missed_at=at(90),
                                    attempts=0, closed_at=at(80), closed_by_call="1764720000.3",
                                    created_at=at(87), updated_at=at(80)),
    }
    session.add_all(tasks.values())
    session.flush()
    # what the intake writes beside each entry: which missed call went to it
    session.add_all(CallbackMissedCall(call_id=call_id, task_id=t.id, missed_at=t.first_missed_at)
                    for t in tasks.values() for call_id in t.missed_calls)
    attempt = CallbackAttempt(task_id=tasks["reached"].id, seq=1, number="13900003333", seat="8002",
                              action_id="cc-cb-1", callback_id="cb1", state="done", originate_response="Success",
                              originate_reason="4", originate_result="reached", call_id="1764720000.40",
                              call_result="reached", result="reached", requested_by=None, started_at=at(40),
                              ended_at=at(38))
    session.add(attempt)
    session.flush()
    session.add(_call("1764720000.40", "13900003333", 40, outcome="answered", missed=False, answered_by="8002",
                      direction="callback", callback_id="cb1", talk_s=95.0, queued=False))
    session.flush()
    return {k: t.id for k, t in tasks.items()}


def seed_all(session) -> dict:
    seed_seats(session)
    return seed_calls(session)
