"""The checked Originate: exact headers, refusals of anything unchecked, Reason codes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from contactcenter.ami.events import Message
from contactcenter.ami.originate import CallbackDial, check_action, originate_action, originate_result

CAPTURE = Path("/work/shared/asterisk-captures/callback-originate/ami.jsonl")
LOCAL_CAPTURE = Path(__file__).resolve().parents[1] / "fixtures" / "callback-originate" / "ami.jsonl"


def test_action_matches_the_capture_layout():
    action = originate_action(CallbackDial(task_id=7, attempt=2, attempt_id=41, seat="8010", dial="13900007001"))
    assert action == {
        "Action": "Originate", "ActionID": "callback-7-2", "Channel": "PJSIP/8010", "Context": "callback",
        "Exten": "13900007001", "Priority": "1", "CallerID": '"Hotline Callback" <12345>', "Timeout": "15000",
        "Async": "true", "Variable": ["CALLBACK_ID=cb41", "__HOTLINE_SESSION=cb-cb41", "CALLBACK_TASK=7"]}
    assert check_action(action) is action


@pytest.mark.parametrize("changes", [
    {"seat": "8010\r\nAction: Hangup"}, {"seat": "9001"}, {"seat": "801"}, {"seat": "PJSIP/8010"},
    {"dial": "13900007001\r\n"}, {"dial": "1390000700a"}, {"dial": ""}, {"dial": "+8613900007001"},
    {"dial": "13900007001&PJSIP/8020"}, {"context": "from-trunk\nX"}, {"context": "Callback!"},
    {"caller_id": '"Hotline" <12345>\r\nAction: Logoff'}, {"caller_id": "12345"},
    {"timeout_ms": 0}, {"timeout_ms": 10**7},
])
def test_anything_unchecked_is_refused(changes):
    base = dict(task_id=7, attempt=1, attempt_id=41, seat="8010", dial="13900007001")
    base.update(changes)
    with pytest.raises(ValueError):
        originate_action(CallbackDial(**base))


@pytest.mark.parametrize("mutate", [
    lambda a: a.update(Channel="Local/13900007001@from-trunk"),
    lambda a: a.update(Application="System"),
    lambda a: a.update(Data="rm -rf /"),
    lambda a: a["Variable"].append("SHELL=1"),
    lambda a: a["Variable"].__setitem__(0, "CALLBACK_ID=cb1\r\nAction: Hangup"),
    lambda a: a.update(Async="false"),
])
def test_check_action_refuses_foreign_headers(mutate):
    action = originate_action(CallbackDial(task_id=7, attempt=1, attempt_id=41, seat="8010", dial="13900007001"))
    mutate(action)
    with pytest.raises(ValueError):
        check_action(action)


def _captured_responses():
    path = CAPTURE if CAPTURE.exists() else LOCAL_CAPTURE
    out = {}
    for line in path.read_text().splitlines():
        item = json.loads(line)
        fields = item.get("fields")
        if item["dir"] == "in" and fields and ["Event", "OriginateResponse"] in fields:
            msg = Message.from_pairs([tuple(p) for p in fields])
            out[msg.action_id] = msg
    return out


def test_reason_codes_of_the_real_capture():
    responses = _captured_responses()
    got = {aid: (r.response, r.reason, r.result, r.callback_id, r.unique_id)
           for aid, r in ((aid, originate_result(m)) for aid, m in responses.items())}
    assert got == {
        "callback-cb1": ("Success", "4", None, "cb1", "hotline-rig-1796321457.27"),
        "callback-cb2": ("Success", "4", None, "cb2", "hotline-rig-1796321461.29"),
        "callback-cb3": ("Success", "4", None, "cb3", "hotline-rig-1796321465.31"),
        "callback-cb4": ("Failure", "3", "seat_no_answer", None, None),
        "callback-cb5": ("Failure", "0", "seat_busy", None, None),
    }


@pytest.mark.parametrize("response, reason, expected", [
    ("Failure", "0", "seat_busy"), ("Failure", "1", "seat_no_answer"), ("Failure", "3", "seat_no_answer"),
    ("Success", "4", None), ("Failure", "5", "seat_busy"), ("Failure", "8", "seat_busy"),
    ("Failure", "2", "seat_no_answer"), ("Failure", None, "seat_no_answer"),
])
def test_reason_code_table(response, reason, expected):
    pairs = [("Event", "OriginateResponse"), ("ActionID", "callback-1-1"), ("Response", response)]
    if reason is not None:
        pairs.append(("Reason", reason))
    assert originate_result(Message.from_pairs(pairs)).result == expected


def test_other_messages_are_not_read():
    assert originate_result(Message.from_pairs([("Event", "Hangup")])) is None
