"""Framing and parsing on bytes: checked against hand-made streams and against every capture's
ami.jsonl (the recorder's own parse of the same bytes)."""
from __future__ import annotations

import pytest

from contactcenter.ami.capture import connection_segments, iter_jsonl, open_capture_bytes
from contactcenter.ami.events import Message
from contactcenter.ami.protocol import FrameSplitter, format_action, mask_digits, parse_all, parse_frame
from tests.ami.conftest import CAPTURE_NAMES, CAPTURES

ZHANG = "张三".encode("utf-8")  # e5 bc a0 e4 b8 89


@pytest.mark.parametrize("name", CAPTURE_NAMES)
def test_parse_of_ami_raw_equals_the_recorders_jsonl(name):
    raw = open_capture_bytes(CAPTURES / name)
    frames = parse_all(raw)
    records = [r for r in iter_jsonl(CAPTURES / name) if r["dir"] == "in"]
    assert len(frames) == len(records)
    for frame, rec in zip(frames, records):
        if "banner" in rec:
            assert frame.is_banner and frame.banner == rec["banner"]
        else:
            assert frame.pairs == [tuple(p) for p in rec["fields"]]
            assert frame.status == "ok"
    # the raw pieces put back together are the stream, byte for byte
    assert b"".join(f.raw for f in frames) == raw


@pytest.mark.parametrize("name", ["answered", "cjk-names", "transfer", "callback-originate"])
def test_fields_and_chanvars_agree_with_message_from_pairs(name):
    for frame in parse_all(open_capture_bytes(CAPTURES / name)):
        ref = Message.from_pairs(frame.pairs)
        assert frame.fields == ref.fields
        assert frame.chanvars == ref.chanvars


def test_capture_counts_match_the_readme():
    # README table: AMI in (not counting the greeting) and events
    frames = parse_all(open_capture_bytes(CAPTURES / "answered"))
    assert sum(1 for f in frames if not f.is_banner) == 345
    assert sum(1 for f in frames if f.is_event) == 339
    assert frames[0].banner == "Asterisk Call Manager/11.0.0"
    assert frames[1].pairs == [("Response", "Success"), ("ActionID", "login-1"),
                               ("Message", "Authentication accepted")]


def test_every_capture_is_one_connection_starting_with_the_banner():
    for name in CAPTURE_NAMES:
        segments = connection_segments(CAPTURES / name)
        assert len(segments) == 1
        assert segments[0].startswith(b"Asterisk Call Manager/11.0.0\r\n")


def test_several_connections_are_split_at_each_banner(tmp_path):
    one = open_capture_bytes(CAPTURES / "busy")
    two = open_capture_bytes(CAPTURES / "answered")
    (tmp_path / "ami.raw").write_bytes(one + two)  # no ami.jsonl: banners decide
    segments = connection_segments(tmp_path)
    assert segments == [one, two]
    frames = parse_all(one + two)
    assert [i for i, f in enumerate(frames) if f.is_banner] == [0, 166]


def test_connection_offsets_from_jsonl_meta(tmp_path):
    one = b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nActionID: a\r\n\r\n"
    two = b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nActionID: b\r\n\r\n"
    (tmp_path / "ami.raw").write_bytes(one + two)
    (tmp_path / "ami.jsonl").write_text(
        '{"t": 0, "dir": "meta", "conn": 1, "meta": "connect", "raw_offset": 0}\n'
        f'{{"t": 1, "dir": "meta", "conn": 2, "meta": "connect", "raw_offset": {len(one)}}}\n')
    assert connection_segments(tmp_path) == [one, two]
    assert connection_segments(tmp_path / "ami.raw") == [one, two]


def test_multibyte_name_split_across_reads_survives():
    stream = b"Event: Newchannel\r\nCallerIDName: " + ZHANG + b"\r\nCallerIDNum: 13900002101\r\n\r\n"
    cut = stream.index(ZHANG) + 1  # inside the first character
    splitter = FrameSplitter()
    assert splitter.feed(stream[:cut]) == []
    frames = splitter.feed(stream[cut:])
    assert len(frames) == 1
    assert frames[0].get("CallerIDName") == "张三"
    assert frames[0].status == "ok"


def test_byte_by_byte_feeding_gives_the_same_frames_as_one_read():
    raw = open_capture_bytes(CAPTURES / "cjk-names")[:60000]
    whole = parse_all(raw)
    splitter = FrameSplitter()
    pieces = []
    for i in range(len(raw)):
        pieces.extend(splitter.feed(raw[i:i + 1]))
    pieces.extend(splitter.close())
    assert [f.pairs for f in pieces] == [f.pairs for f in whole]
    assert [f.raw for f in pieces] == [f.raw for f in whole]
    assert any(f.get("CallerIDName") == "张三" for f in pieces)


def test_gbk_caller_name_is_decoded_by_fallback_not_dropped():
    stream = (b"Event: Newchannel\r\nCallerIDName: " + "张三".encode("gbk") +
              b"\r\nChannelStateDesc: " + "振铃".encode("utf-8") + b"\r\n\r\n")
    [frame] = FrameSplitter().feed(stream)
    assert frame.get("CallerIDName") == "张三"
    assert frame.get("ChannelStateDesc") == "振铃"  # the UTF-8 line is still read as UTF-8
    assert frame.status == "ok"
    assert frame.error == "line 2 decoded as GB18030"


def test_undecodable_bytes_fall_back_to_latin1_and_are_flagged():
    [frame] = FrameSplitter().feed(b"Event: Odd\r\nCallerIDName: \xff\x80\r\n\r\n")
    assert frame.status == "undecodable"
    assert frame.get("CallerIDName") == "\xff\x80"
    assert frame.name == "Odd"


def test_frame_ending_in_crlf_lf_does_not_swallow_the_next_event():
    stream = b"Event: Hangup\r\nUniqueid: a.1\r\n\nEvent: Newchannel\r\nUniqueid: a.2\r\n\r\n"
    frames = FrameSplitter().feed(stream)
    assert [f.name for f in frames] == ["Hangup", "Newchannel"]
    assert [f.get("Uniqueid") for f in frames] == ["a.1", "a.2"]
    assert frames[0].raw == b"Event: Hangup\r\nUniqueid: a.1\r\n\n"


def test_bare_lf_frames_and_lf_terminator_split_across_reads():
    splitter = FrameSplitter()
    assert splitter.feed(b"Event: A\nX: 1\n") == []
    frames = splitter.feed(b"\nEvent: B\r\nY: 2\r\n\r")
    assert [(f.name, f.pairs) for f in frames] == [("A", [("Event", "A"), ("X", "1")])]
    frames = splitter.feed(b"\n")
    assert [f.pairs for f in frames] == [[("Event", "B"), ("Y", "2")]]


def test_banner_is_its_own_item_even_when_glued_to_the_login_response():
    frames = FrameSplitter().feed(
        b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nActionID: l1\r\n\r\n")
    assert frames[0].is_banner and frames[0].banner == "Asterisk Call Manager/11.0.0"
    assert frames[0].pairs == [] and not frames[0].usable
    assert frames[1].pairs == [("Response", "Success"), ("ActionID", "l1")]


def test_value_keeps_everything_after_one_space():
    frame = parse_frame(b"Event: X\r\nA:  two spaces\r\nB:\r\nC: x: y\r\nD:nospace\r\n\r\n")
    assert frame.pairs == [("Event", "X"), ("A", " two spaces"), ("B", ""), ("C", "x: y"),
                           ("D", "nospace")]


def test_malformed_line_is_reported_and_other_lines_kept():
    frame = parse_frame(b"Event: Hangup\r\nthis line has no colon 13900001234\r\nUniqueid: a.9\r\n\r\n")
    assert frame.status == "malformed"
    assert frame.pairs == [("Event", "Hangup"), ("Uniqueid", "a.9")]
    assert frame.usable
    # the caller number in the bad line is masked in the error text
    assert frame.error == "1 line(s) without ':' ignored (first, line 2: 'this line has no colon 139****1234')"


def test_oversized_frame_is_skipped_reported_and_the_stream_goes_on():
    big = b"Event: Huge\r\nData: " + b"x" * (1 << 20) + b"\r\n\r\n"
    after = b"Event: Hangup\r\nUniqueid: a.3\r\n\r\n"
    splitter = FrameSplitter()
    out = []
    stream = b"Event: Before\r\n\r\n" + big + after
    for i in range(0, len(stream), 65536):
        out.extend(splitter.feed(stream[i:i + 65536]))
    assert [f.status for f in out] == ["ok", "oversized", "ok"]
    assert out[1].event_name == "Huge" and out[1].name is None and not out[1].usable
    assert out[1].error == (f"oversized frame of {len(big)} bytes (limit 1048576) skipped; "
                            f"first 65536 bytes kept")
    assert len(out[1].raw) == 65536
    assert out[2].pairs == [("Event", "Hangup"), ("Uniqueid", "a.3")]
    assert splitter.pending_bytes == 0


def test_oversized_frame_in_one_read_too():
    big = b"Event: Huge\r\nData: " + b"y" * (1 << 20) + b"\r\n\r\n"
    out = FrameSplitter().feed(big + b"Event: Next\r\n\r\n")
    assert [f.status for f in out] == ["oversized", "ok"]
    assert out[1].name == "Next"


def test_truncated_stream_is_reported_on_close():
    splitter = FrameSplitter()
    assert splitter.feed(b"Event: Hangup\r\nUniqueid: a.4\r\n") == []
    [frame] = splitter.close()
    assert frame.status == "truncated" and frame.event_name == "Hangup" and frame.pairs == []
    assert frame.raw == b"Event: Hangup\r\nUniqueid: a.4\r\n"


def test_blank_lines_between_frames_make_no_empty_frames():
    frames = FrameSplitter().feed(b"\r\n\r\nEvent: A\r\n\r\n\r\n\r\n\n\nEvent: B\r\n\r\n")
    assert [f.name for f in frames] == ["A", "B"]


def test_repeated_chanvariable_lines_come_out_as_a_dict():
    frame = parse_frame(b"Event: Newstate\r\nChanVariable: HOTLINE_SESSION=hotline-rig-1.2\r\n"
                        b"ChanVariable: CALLBACK_ID=\r\nDestChanVariable: CALLBACK_ID=cb1\r\n"
                        b"ChanVariable(PJSIP/8010-0000001b): CALLBACK_ID=cb9\r\n\r\n")
    assert frame.chanvars == {"": {"HOTLINE_SESSION": "hotline-rig-1.2", "CALLBACK_ID": "cb9"},
                              "Dest": {"CALLBACK_ID": "cb1"}}
    assert frame.fields == {"Event": "Newstate"}


def test_format_action_keeps_order_and_repeats_lists():
    data = format_action({"Action": "Originate", "ActionID": "cb-1", "Variable": ["A=1", "B=2"], "Timeout": 15000})
    assert data == (b"Action: Originate\r\nActionID: cb-1\r\nVariable: A=1\r\nVariable: B=2\r\n"
                    b"Timeout: 15000\r\n\r\n")


@pytest.mark.parametrize("action", [
    {"Action": "Originate", "Exten": "139\r\nAction: Hangup"},
    {"Action": "Originate", "Exten": "139\n"},
    {"Action": "Originate", "CallerID": "x\0y"},
    {"Action": "Originate", "Bad\r\nKey": "1"},
    {"Action": "Originate", "Key:": "1"},
    {"Action": "Originate", "Variable": ["OK=1", "BAD=\r"]},
])
def test_format_action_refuses_injection(action):
    with pytest.raises(ValueError):
        format_action(action)


def test_mask_digits():
    assert mask_digits("call from 13900001234 to 12345") == "call from 139****1234 to 1****"


def test_a_single_chanvariable_is_a_dict_too():
    # panoramisk's getdict() fails on one ChanVariable line; ours gives a one-entry dict
    frame = parse_frame(b"Event: OriginateResponse\r\nChanVariable(PJSIP/8010-0000001b): CALLBACK_ID=cb1\r\n\r\n")
    assert frame.chanvars == {"": {"CALLBACK_ID": "cb1"}}
    assert frame.chanvar("CALLBACK_ID") == "cb1"


def test_replay_speed_none_means_max():
    from contactcenter.ami.replay import ReplayServer

    assert ReplayServer([b""], speed=None).speed == "max"
    with pytest.raises(ValueError):
        ReplayServer([b""], speed=0)
