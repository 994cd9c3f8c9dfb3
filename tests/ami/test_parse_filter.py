"""The listener's parse filter: events no call record uses are journaled raw, not parsed, and
that changes nothing in what the correlator concludes."""
from __future__ import annotations

import pytest

from contactcenter.ami.capture import open_capture_bytes
from contactcenter.ami.protocol import STATUS_UNPARSED, FrameSplitter, ParseFilter, parse_all
from contactcenter.cdr.correlator import USED_VARIABLES, Correlator, Effects
from contactcenter.config import load_settings
from contactcenter.listener import CallLogger
from tests.ami.conftest import CAPTURE_NAMES, CAPTURES

FILTER = ParseFilter({"Newchannel", "Hangup"}, ["QUEUESTATUS"])


def split(data: bytes) -> list:
    return FrameSplitter(parse_filter=FILTER).feed(data)


def test_an_unused_event_comes_out_unparsed_with_its_name_and_exact_bytes():
    raw = b"Event: CEL\r\nPrivilege: cdr,all\r\nEventName: CHAN_START\r\n\r\n"
    [frame] = split(raw)
    assert (frame.status, frame.fields, frame.pairs, frame.raw) == (STATUS_UNPARSED, {"Event": "CEL"}, [], raw)
    assert frame.name == "CEL" and frame.event_name == "CEL" and not frame.usable


def test_used_events_and_used_variables_are_parsed():
    stream = (b"Event: Hangup\r\nUniqueid: a.1\r\nCause: 16\r\n\r\n"
              b"Event: VarSet\r\nChannel: PJSIP/trunk-1\r\nVariable: QUEUESTATUS\r\nValue: TIMEOUT\r\n\r\n"
              b"Event: VarSet\r\nChannel: PJSIP/trunk-1\r\nVariable: MOHCLASS\r\nValue: default\r\n\r\n")
    hangup, queuestatus, other = split(stream)
    assert hangup.status == "ok" and hangup.fields["Cause"] == "16"
    assert queuestatus.status == "ok" and queuestatus.fields["Value"] == "TIMEOUT"
    assert other.status == STATUS_UNPARSED and other.fields == {"Event": "VarSet"}


def test_responses_list_events_and_sloppy_frames_are_always_parsed():
    stream = (b"Response: Success\r\nActionID: a1\r\nMessage: Pong\r\n\r\n"
              b"Event: CoreShowChannel\r\nActionID: reconcile-1\r\nUniqueid: u.1\r\n\r\n"
              b"Event: Newexten\nChannel: PJSIP/8001-1\n\n"
              b"Privilege: call\r\nEvent: DialState\r\n\r\n")
    frames = split(stream)
    assert [f.status for f in frames] == ["ok", "ok", "ok", "ok"]
    assert [f.fields.get("ActionID") for f in frames] == ["a1", "reconcile-1", None, None]


def test_the_listeners_filter_keeps_the_correlators_events_and_variables():
    logger = CallLogger("sqlite://", load_settings(env={}, db_url="sqlite://"), hooks=[])
    wanted = logger.parse_filter
    # written out by hand: a handler added to the correlator must be added here on purpose
    assert {e.decode() for e in wanted.events} == {
        "Newchannel", "Newstate", "VarSet", "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon",
        "AgentCalled", "DialBegin", "DialEnd", "AgentRingNoAnswer", "AgentConnect", "BridgeEnter", "BridgeLeave",
        "HangupRequest", "SoftHangupRequest", "Hangup", "Cdr", "QueueMemberAdded", "QueueMemberRemoved",
        "QueueMemberPause", "QueueMemberPaused", "DeviceStateChange", "OriginateResponse"}
    assert {v.decode() for v in wanted.variables} == {"QUEUESTATUS", "DIALSTATUS", "CALLBACK_ID"}


@pytest.mark.parametrize("name", CAPTURE_NAMES)
def test_every_capture_gives_the_same_call_records_and_bytes_with_the_filter(name):
    raw = open_capture_bytes(CAPTURES / name)
    wanted = CallLogger("sqlite://", load_settings(env={}, db_url="sqlite://"), hooks=[]).parse_filter
    full = parse_all(raw)
    filtered = FrameSplitter(parse_filter=wanted).feed(raw)
    assert [f.raw for f in filtered] == [f.raw for f in full]
    # every frame the filter left unparsed is an event the correlator ignores
    used = Correlator().used_events()
    for kept, parsed in zip(filtered, full):
        if kept.status == STATUS_UNPARSED:
            assert parsed.name not in used or (parsed.name == "VarSet" and parsed.get("Variable") not in USED_VARIABLES)
            assert parsed.action_id is None

    def effects(frames):
        correlator, out = Correlator(), Effects()
        for f in frames:
            if f.usable:
                correlator.feed(f, 0.0, out)
        return ([r.to_contract() for r in out.closed], [(c.call_id, c.fields) for c in out.cdrs],
                [(s.seat, s.at, s.kind, s.device_state) for s in out.seats])

    closed, cdrs, seats = effects(filtered)
    assert (closed, cdrs, seats) == effects(full)
    assert closed
