"""The correlator's classic cases on small hand-written event sequences (shapes as in the
captures), with expected values worked out by hand."""
from __future__ import annotations

from contactcenter.ami.events import Message
from contactcenter.cdr.correlator import Correlator

CALLER = "PJSIP/trunk-00000010"
LID = "rig-100.1"


def ev(name: str, ts: float, **fields) -> Message:
    pairs = [("Event", name), ("Timestamp", f"{ts:.6f}")]
    pairs += [(k, str(v)) for k, v in fields.items()]
    return Message.from_pairs(pairs)


def chan(channel: str, uid: str, **extra) -> dict:
    return {"Channel": channel, "Uniqueid": uid, "Linkedid": LID, **extra}


def caller_in_queue(t0: float = 1000.0) -> list[Message]:
    c = chan(CALLER, LID)
    return [
        ev("Newchannel", t0, ChannelState=4, CallerIDNum="13900001234", CallerIDName="<unknown>", Exten="12345",
           Context="from-trunk", **c),
        ev("Newstate", t0 + 0.01, ChannelState=6, **c),
        ev("QueueCallerJoin", t0 + 4.3, Queue="hotline", Position=1, **c),
    ]


def ring(seat: str, idx: int, ts: float) -> list[Message]:
    leg = f"PJSIP/{seat}-0000001{idx}"
    uid = f"rig-{int(ts)}.{idx + 10}"
    return [
        ev("Newchannel", ts, ChannelState=0, Exten="s", Context="from-agent", **chan(leg, uid)),
        ev("AgentCalled", ts, DestChannel=leg, DestUniqueid=uid, Queue="hotline", Interface=f"PJSIP/{seat}",
           **chan(CALLER, LID)),
        ev("DialBegin", ts, DestChannel=leg, DestUniqueid=uid, **chan(CALLER, LID)),
    ]


def run(messages: list[Message]):
    c = Correlator()
    closed = []
    for m in messages:
        closed.extend(c.feed(m, 0.0).closed)
    return c, closed


def leg_uid(seat_events: list[Message]) -> tuple[str, str]:
    first = seat_events[0]
    return first.get("Channel"), first.get("Uniqueid")


def test_ring_all_rings_many_seats_but_is_one_answered_call_not_also_missed():
    a, b, c = ring("8001", 1, 1005.0), ring("8002", 2, 1005.0), ring("8003", 3, 1005.0)
    (ch_b, uid_b) = leg_uid(b)
    msgs = caller_in_queue() + a + b + c
    msgs += [
        ev("DialEnd", 1007.0, DestChannel=ch_b, DestUniqueid=uid_b, DialStatus="ANSWER", **chan(CALLER, LID)),
        ev("AgentConnect", 1007.0, DestChannel=ch_b, DestUniqueid=uid_b, HoldTime=3, Queue="hotline", **chan(CALLER, LID)),
    ]
    for seat_msgs in (a, c):
        ch, uid = leg_uid(seat_msgs)
        msgs += [ev("DialEnd", 1007.0, DestChannel=ch, DestUniqueid=uid, DialStatus="CANCEL", **chan(CALLER, LID)),
                 ev("Hangup", 1007.01, Cause=26, **chan(ch, uid))]
    msgs += [
        ev("BridgeEnter", 1007.02, BridgeUniqueid="br1", **chan(ch_b, uid_b)),
        ev("BridgeEnter", 1007.02, BridgeUniqueid="br1", **chan(CALLER, LID)),
        ev("HangupRequest", 1067.0, **chan(CALLER, LID)),
        ev("BridgeLeave", 1067.0, BridgeUniqueid="br1", **chan(CALLER, LID)),
        ev("Hangup", 1067.01, Cause=16, **chan(CALLER, LID)),
        ev("Hangup", 1067.02, Cause=16, **chan(ch_b, uid_b)),
    ]
    correlator, closed = run(msgs)
    assert len(closed) == 1
    rec = closed[0]
    assert (rec.outcome, rec.answered_by, rec.missed) == ("answered", "8002", False)
    assert round(rec.wait_s, 2) == 2.7  # joined at 1004.3, connected at 1007.0
    assert round(rec.talk_s, 2) == 60.0
    assert sorted((leg.seat, leg.result) for leg in rec.legs) == [("8001", "caller_gone"), ("8002", "answered"),
                                                                  ("8003", "caller_gone")]
    assert correlator.open_call_ids() == []


def test_abandon_in_queue_is_found_without_queuecallerabandon():
    msgs = caller_in_queue() + [
        ev("HangupRequest", 1020.0, **chan(CALLER, LID)),
        ev("SoftHangupRequest", 1020.0, Cause=16, **chan(CALLER, LID)),
        ev("Hangup", 1020.01, Cause=0, **chan(CALLER, LID)),
    ]
    _, closed = run(msgs)
    rec = closed[0]
    assert (rec.outcome, rec.stage, rec.missed, rec.short_abandon) == ("abandoned", "queue", True, False)
    assert round(rec.wait_s, 2) == 15.71  # no QueueCallerLeave: the wait ends at the hangup (1020.01)


def test_abandon_while_a_seat_rings_and_a_short_abandon():
    seat = ring("8001", 1, 1005.0)
    msgs = caller_in_queue() + seat + [
        ev("HangupRequest", 1006.0, **chan(CALLER, LID)),
        ev("Hangup", 1006.01, Cause=0, **chan(CALLER, LID)),
    ]
    ch, uid = leg_uid(seat)
    msgs += [ev("Hangup", 1006.02, Cause=0, **chan(ch, uid))]
    _, closed = run(msgs)
    rec = closed[0]
    assert (rec.outcome, rec.stage) == ("abandoned", "ringing")
    assert rec.short_abandon is True  # 1.7 s in the queue < 5 s


def test_hanging_up_during_the_greeting_is_an_ivr_abandon():
    c = chan(CALLER, LID)
    msgs = [ev("Newchannel", 1000.0, ChannelState=4, CallerIDNum="06358201234", Exten="12345", Context="from-trunk", **c),
            ev("Newstate", 1000.01, ChannelState=6, **c),
            ev("HangupRequest", 1002.5, **c),
            ev("Hangup", 1002.51, Cause=16, **c)]
    _, closed = run(msgs)
    assert (closed[0].outcome, closed[0].stage, closed[0].wait_s, closed[0].caller) == (
        "abandoned", "ivr", None, "06358201234")


def test_local_halves_are_neither_calls_nor_seats():
    """An attended transfer through Local/8018@from-agent;1/;2: seats are 8017 then 8018."""
    a = ring("8017", 1, 1005.0)
    ch_a, uid_a = leg_uid(a)
    l1, l2 = "Local/8018@from-agent-00000000;1", "Local/8018@from-agent-00000000;2"
    s18 = "PJSIP/8018-00000020"
    msgs = caller_in_queue() + a + [
        ev("AgentConnect", 1006.0, DestChannel=ch_a, DestUniqueid=uid_a, Queue="hotline", **chan(CALLER, LID)),
        ev("BridgeEnter", 1006.0, BridgeUniqueid="b1", **chan(ch_a, uid_a)),
        ev("BridgeEnter", 1006.0, BridgeUniqueid="b1", **chan(CALLER, LID)),
        ev("Newchannel", 1010.0, ChannelState=0, **chan(l1, "rig-1010.30")),
        ev("Newchannel", 1010.0, ChannelState=4, **chan(l2, "rig-1010.31")),
        ev("BridgeLeave", 1010.0, BridgeUniqueid="b1", **chan(ch_a, uid_a)),
        ev("BridgeEnter", 1010.0, BridgeUniqueid="b2", **chan(ch_a, uid_a)),
        ev("BridgeEnter", 1010.0, BridgeUniqueid="b2", **chan(l1, "rig-1010.30")),
        ev("Newchannel", 1010.0, ChannelState=0, **chan(s18, "rig-1010.32")),
        ev("BridgeEnter", 1012.0, BridgeUniqueid="b3", **chan(s18, "rig-1010.32")),
        ev("BridgeEnter", 1012.0, BridgeUniqueid="b3", **chan(l2, "rig-1010.31")),
        # 8017 hangs up: the transfer completes, Local;1 moves into the caller's bridge
        ev("BridgeLeave", 1020.0, BridgeUniqueid="b2", **chan(l1, "rig-1010.30")),
        ev("BridgeEnter", 1020.0, BridgeUniqueid="b1", **chan(l1, "rig-1010.30")),
        ev("Hangup", 1020.0, Cause=16, **chan(ch_a, uid_a)),
        ev("HangupRequest", 1050.0, **chan(CALLER, LID)),
        ev("Hangup", 1050.0, Cause=16, **chan(CALLER, LID)),
        ev("Hangup", 1050.01, Cause=16, **chan(l1, "rig-1010.30")),
        ev("Hangup", 1050.02, Cause=16, **chan(l2, "rig-1010.31")),
        ev("Hangup", 1050.03, Cause=16, **chan(s18, "rig-1010.32")),
    ]
    _, closed = run(msgs)
    assert len(closed) == 1
    rec = closed[0]
    assert (rec.outcome, rec.answered_by, rec.seats) == ("answered", "8017", ["8017", "8018"])
    assert [leg.seat for leg in rec.legs] == ["8017"]
    assert round(rec.talk_s, 2) == 44.0


def test_reconcile_closes_calls_that_ended_while_disconnected_and_keeps_live_ones():
    first = caller_in_queue(1000.0)
    other_caller = "PJSIP/trunk-00000011"
    second = [ev("Newchannel", 1001.0, ChannelState=4, CallerIDNum="13900009999", Exten="12345",
                 Context="from-trunk", Channel=other_caller, Uniqueid="rig-101.2", Linkedid="rig-101.2")]
    c = Correlator()
    for m in first + second:
        c.feed(m, 0.0)
    effects = c.reconcile({"rig-101.2"}, at=1100.0)
    assert [r.call_id for r in effects.closed] == [LID]
    assert effects.closed[0].close_note == "ended while the listener was disconnected"
    assert effects.closed[0].ended_at.timestamp() == 1100.0
    assert c.open_call_ids() == ["rig-101.2"]


def test_a_stale_call_is_closed_by_the_sweep_and_memory_holds_only_open_calls():
    c = Correlator()
    for m in caller_in_queue(1000.0):
        c.feed(m, 0.0)
    assert c.expire(older_than=900.0, at=2000.0).closed == []
    closed = c.expire(older_than=1500.0, at=2000.0).closed
    assert [r.close_note for r in closed] == ["closed by the stale-call sweep"]
    assert c.calls == {}


def test_cdr_after_its_call_closed_still_finds_the_call():
    msgs = caller_in_queue() + [ev("HangupRequest", 1010.0, **chan(CALLER, LID)),
                                ev("Hangup", 1010.0, Cause=0, **chan(CALLER, LID)),
                                ev("Cdr", 1010.1, UniqueID=LID, Disposition="ANSWERED", Channel=CALLER)]
    c = Correlator()
    cdrs = []
    for m in msgs:
        cdrs.extend(c.feed(m, 0.0).cdrs)
    assert [(x.call_id, x.fields["Disposition"]) for x in cdrs] == [(LID, "ANSWERED")]
