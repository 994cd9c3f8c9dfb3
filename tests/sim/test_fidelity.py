"""The simulator plays each recorded scenario and must give the recording's shape: the
same events in the same order per channel, the same key fields, the same id relations,
the same CDR rows, and the same call records once the correlator has read them."""
from __future__ import annotations

import pytest

from contactcenter.ami.events import Message
from contactcenter.cdr.correlator import Correlator
from contactcenter.sim.scenarios import SCENARIOS, run_scenario
from tests.sim.shape import cdr_durations, load_capture_events, shape

NAMES = ["answered", "abandon-in-queue", "busy", "ring-no-answer", "queue-timeout", "callback-originate",
         "transfer", "cjk-names"]


def capture(name: str):
    events = load_capture_events(name)
    if name == "transfer":
        # the simulator plays the blind transfer (t1); the attended one (t2) starts when
        # 8017 logs in, right after 8015 logs out
        cut = next(i for i, ev in enumerate(events)
                   if dict(ev)["Event"] == "QueueMemberRemoved" and dict(ev)["Interface"] == "PJSIP/8015")
        events = events[: cut + 1]
    return events


@pytest.fixture(scope="module", params=NAMES)
def pair(request):
    name = request.param
    return name, shape(capture(name)), shape(run_scenario(name)[1])


def test_every_capture_has_a_scenario():
    assert set(NAMES) <= set(SCENARIOS)


def test_same_channels_in_same_order(pair):
    name, cap, sim = pair
    assert sim["channel_order"] == cap["channel_order"]
    assert sim["chan_links"] == cap["chan_links"]   # Uniqueid/Linkedid relations


def test_same_events_per_channel(pair):
    name, cap, sim = pair
    for channel, events in cap["channels"].items():
        assert sim["channels"].get(channel) == events, f"{name}: {channel}"
    assert set(sim["channels"]) == set(cap["channels"])


def test_same_cdr_rows_and_linkedid_end(pair):
    name, cap, sim = pair
    assert sim["cdr"] == cap["cdr"]
    assert sim["linkedid_end"] == cap["linkedid_end"]


def test_same_members_devices_bridges_originates(pair):
    name, cap, sim = pair
    for key in ("members", "member_status", "devices", "bridges", "originate"):
        assert sim[key] == cap[key], f"{name}: {key}"


@pytest.mark.parametrize("name", NAMES)
def test_cdr_durations_within_a_second(name):
    cap = cdr_durations(capture(name))
    sim = cdr_durations(run_scenario(name)[1])
    assert len(sim) == len(cap)
    for (cd, cb), (sd, sb) in zip(cap, sim):
        assert abs(cd - sd) <= 1 and abs(cb - sb) <= 1


def _records(events):
    correlator = Correlator()
    out = []
    for ev in events:
        out += correlator.feed(Message.from_pairs(list(getattr(ev, "pairs", ev))), 0.0).closed
    return out


@pytest.mark.parametrize("name", NAMES)
def test_listener_reads_simulated_calls_like_recorded_ones(name):
    cap = _records(capture(name))
    sim = _records(run_scenario(name)[1])
    key = lambda r: (r.direction, r.caller, r.caller_name, r.dialed, r.queue, r.outcome, r.stage,  # noqa: E731
                     r.answered_by, r.missed, r.hangup_cause)
    assert [key(r) for r in sim] == [key(r) for r in cap]
    for a, b in zip(cap, sim):
        for x, y in ((a.wait_s, b.wait_s), (a.talk_s, b.talk_s)):
            assert (x is None) == (y is None)
            if x is not None:
                assert abs(x - y) < 1.0


def test_expected_outcomes_by_hand():
    """Outcomes worked out from the README, independent of the recordings."""
    outcomes = {name: [r.outcome for r in _records(run_scenario(name)[1])] for name in NAMES}
    assert outcomes["answered"] == ["answered", "answered"]
    assert outcomes["abandon-in-queue"] == ["abandoned", "answered"]
    assert outcomes["busy"] == ["busy", "busy", "busy", "failed"]
    assert outcomes["queue-timeout"] == ["no_answer", "no_answer", "answered"]
    assert outcomes["callback-originate"] == ["busy", "answered", "busy", "no_answer", "no_answer"]


def test_cjk_names_pass_through_as_utf8():
    _, events = run_scenario("cjk-names")
    raw = b"".join(ev.encode() for ev in events)
    assert "CallerIDName: 聊城市东昌府区居民\r\n".encode() in raw
    assert "ConnectedLineName: 张三\r\n".encode() in raw
    assert 'CallerID: "李四" <13900002102>\r\n'.encode() in raw
