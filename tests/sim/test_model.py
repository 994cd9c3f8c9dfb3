"""The pure model on random traffic: a whole day is repeatable, shaped like the profile,
and every call is internally consistent the way Asterisk's streams are."""
from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from contactcenter.ami.events import Message
from contactcenter.cdr.correlator import Correlator
from contactcenter.sim.model import HotlineModel, SeatBehaviour
from contactcenter.sim.traffic import HOURLY_PROFILE, DailyTraffic, TrafficSettings

MIDNIGHT = 1796256000.0  # 2026-12-03 00:00 UTC


def day(calls=1179, seed=5, hours=24.0, seats=60):
    m = HotlineModel(seats=seats, seed=seed, start=MIDNIGHT)
    t = DailyTraffic(m, TrafficSettings(calls_per_day=calls), seed=seed, day_start=MIDNIGHT)
    t.install()
    events = m.run_until(MIDNIGHT + hours * 3600)
    return m, t, events


@pytest.fixture(scope="module")
def peak_day():
    return day(calls=1949, seed=11)


def test_same_seed_same_day_other_seed_other_day():
    a = b"".join(e.encode() for e in day(calls=3000, seed=3, hours=2)[2])
    b = b"".join(e.encode() for e in day(calls=3000, seed=3, hours=2)[2])
    c = b"".join(e.encode() for e in day(calls=3000, seed=4, hours=2)[2])
    assert a == b and a != c and len(a) > 10000


def test_arrivals_follow_the_daily_profile(peak_day):
    m, traffic, events = peak_day
    per_hour = Counter(int((float(e.get("Timestamp")) - MIDNIGHT) // 3600) for e in events
                       if e.name == "Newchannel" and e.get("Channel").startswith("PJSIP/trunk"))
    total = sum(per_hour.values())
    assert abs(total - 1949) < 4 * 1949 ** 0.5          # Poisson: within 4 sigma of the target
    night = sum(per_hour[h] for h in range(0, 6))
    morning = sum(per_hour[h] for h in (9, 10))
    expected_night = 1949 * sum(HOURLY_PROFILE[:6]) / sum(HOURLY_PROFILE)
    assert night < expected_night * 2 and morning > 10 * night
    assert per_hour[12] < per_hour[10] and per_hour[15] > per_hour[12]   # lunch dip, afternoon peak


def test_every_channel_ends_once_and_ids_are_related(peak_day):
    m, traffic, events = peak_day
    created, ended = {}, Counter()
    linked_end = Counter()
    for e in events:
        if e.name == "Newchannel":
            created[e.get("Uniqueid")] = (e.get("Channel"), e.get("Linkedid"))
        elif e.name == "Hangup":
            ended[e.get("Uniqueid")] += 1
        elif e.name == "CEL" and e.get("EventName") == "LINKEDID_END":
            linked_end[e.get("LinkedID")] += 1
    live = {ch.uniqueid for call in m.calls.values() for ch in [call.caller, *(l.ch for l in call.legs),
                                                              *call.extra_channels]}
    for uid, (name, linkedid) in created.items():
        # shared counter: the uniqueid's sequence number is the channel name's hex suffix
        assert int(name.rsplit("-", 1)[1], 16) == int(uid.rsplit(".", 1)[1])
        assert linkedid in created and created[linkedid][1] == linkedid
        assert ended[uid] == (0 if uid in live else 1)
    finished = {lk for lk in {v[1] for v in created.values()} if not any(created[u][1] == lk for u in live)}
    assert all(linked_end[lk] == 1 for lk in finished)


def test_the_day_holds_the_cases_real_traffic_has(peak_day):
    m, traffic, events = peak_day
    correlator = Correlator()
    records = []
    for e in events:
        records += correlator.feed(Message.from_pairs(list(e.pairs)), 0.0).closed
    outcomes = Counter((r.outcome, r.stage) for r in records if r.direction == "inbound")
    assert outcomes[("answered", None)] > 1000
    assert outcomes[("abandoned", "ivr")] > 50
    assert outcomes[("abandoned", "ringing")] + outcomes[("abandoned", "queue")] > 10
    withheld = {e.get("CallerIDNum") for e in events if e.name == "Newchannel" and e.get("Context") == "from-trunk"}
    assert {"<unknown>", "anonymous"} <= withheld
    callers = Counter(r.caller for r in records if r.caller)
    assert any(n > 1 for n in callers.values())                      # repeat callers
    assert m.stats["AgentRingNoAnswer"] > 10 and m.stats["QueueMemberPause"] > 5
    assert m.stats["QueueMemberAdded"] > 20 and m.stats["QueueMemberRemoved"] > 10
    assert any(e.name == "Newchannel" and e.get("Exten", "").startswith("80") and e.get("Context") == "from-trunk"
               for e in events)                                       # DID calls to seats


def _by_channel(events):
    out = defaultdict(list)
    for e in events:
        if e.get("Channel"):
            out[e.get("Channel")].append(e)
    return out


def test_caller_hanging_up_during_greeting():
    m = HotlineModel(seed=1, start=MIDNIGHT)
    m.queue_add("8001")
    m.place_call("13900001101", patience=2.0)
    events = m.run_all()
    trunk = _by_channel(events)["PJSIP/trunk-00000001"]
    names = [e.name for e in trunk if e.name not in ("VarSet", "Newexten", "CEL")]
    assert names == ["Newchannel", "Newstate", "HangupRequest", "SoftHangupRequest", "Cdr", "Hangup"]
    cdr = next(e for e in events if e.name == "Cdr")
    assert (cdr.get("Disposition"), cdr.get("LastApplication"), cdr.get("Duration")) == ("ANSWERED", "Playback", "2")
    assert next(e for e in trunk if e.name == "Hangup").get("Cause") == "0"
    assert not any(e.name == "QueueCallerJoin" for e in events)


def test_caller_hanging_up_while_a_seat_rings():
    m = HotlineModel(seed=1, start=MIDNIGHT)
    m.seats["8001"].behaviour = SeatBehaviour(answer_after=None)
    m.queue_add("8001")
    m.place_call("13900001101", patience=10.0)
    events = m.run_all()
    names = [(e.name, e.get("DialStatus") or e.get("Cause") or "") for e in events
             if e.name in ("HangupRequest", "DialEnd", "Hangup", "QueueCallerAbandon", "QueueCallerLeave",
                           "SoftHangupRequest", "Cdr")]
    assert names == [("HangupRequest", ""), ("DialEnd", "CANCEL"), ("DialEnd", "CANCEL"), ("Hangup", "0"),
                     ("QueueCallerAbandon", ""), ("QueueCallerLeave", ""), ("SoftHangupRequest", "16"),
                     ("Cdr", ""), ("Hangup", "0")]
    abandon = next(e for e in events if e.name == "QueueCallerAbandon")
    assert abandon.get("HoldTime") == "6"   # 10 s after answer - 4.33 s greeting, rounded
    assert next(e for e in events if e.name == "Cdr").get("Disposition") == "NO ANSWER"


def test_full_queue_gets_busy_before_answer():
    m = HotlineModel(seed=1, start=MIDNIGHT, capacity=2)
    m.seats["8001"].behaviour = SeatBehaviour(answer_after=None)
    m.queue_add("8001")
    for i in range(3):
        m.place_call(f"1390000110{i}", patience=30.0, at=MIDNIGHT + i * 0.1)
    m.place_call("13900001109", patience=30.0, at=MIDNIGHT + 6)
    events = m.run_all()
    last = [e for e in events if e.get("Channel") == "PJSIP/trunk-00000005"]
    assert [e.name for e in last if e.name in ("Newstate", "HangupRequest", "Hangup")] == \
        ["Newstate", "HangupRequest", "Hangup"]
    hangup = next(e for e in last if e.name == "Hangup")
    assert hangup.get("Cause") == "17" and any(e.get("ChannelStateDesc") == "Busy" for e in last)


def test_withheld_caller_and_restart():
    m = HotlineModel(seed=1, start=MIDNIGHT)
    m.queue_add("8001")
    m.place_call(None, withheld_as="anonymous", patience=20)
    events = m.run_until(MIDNIGHT + 8)
    assert events[2].get("CallerIDNum") == "anonymous"
    m.restart()
    assert m.run_until(MIDNIGHT + 60) == []          # calls vanish without events
    assert m.members == [] and m.uptime == 52
    m.place_call("13900001101", patience=5)
    first = m.run_until(MIDNIGHT + 61)[0]
    assert (first.get("Channel"), first.get("Uniqueid")) == ("PJSIP/trunk-00000001", f"hotline-rig-{int(MIDNIGHT) + 60}.1")


def test_a_direct_dial_to_a_seat_already_talking_gets_busy_and_the_seat_stays_on_its_call():
    m = HotlineModel(seed=1, start=MIDNIGHT)
    m.seats["8001"].behaviour = SeatBehaviour(answer_after=1.0)
    m.queue_add("8001")
    m.place_call("13900001101", patience=60.0)                 # answered by 8001 via the queue
    m.place_call("06358201102", dialed="8001", patience=30.0, at=MIDNIGHT + 10)
    events = m.run_until(MIDNIGHT + 12)
    assert m.seats["8001"].busy_with is not None and m.seats["8001"].busy_with.caller.cid_num == "13900001101"
    events += m.run_all()
    direct = [e for e in events if e.name == "DialEnd" and e.get("DestChannel", "").startswith("PJSIP/8001")
              and e.get("CallerIDNum") == "06358201102"]
    assert [e.get("DialStatus") for e in direct] == ["BUSY"]
