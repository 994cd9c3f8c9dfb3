"""The correlator on the recorded streams (the recorder's own parse in ami.jsonl), checked
against truth.json, Asterisk's queue_log and Master.csv."""
from __future__ import annotations

import datetime as dt

import pytest

from contactcenter.cdr.correlator import Correlator
from tests.captures import master_csv, queue_log, recorded_messages
from tests.cdr.expectations import expected_calls, match

CALL_SCENARIOS = ["answered", "abandon-in-queue", "busy", "ring-no-answer", "transfer", "cjk-names",
                  "queue-timeout", "load-part1", "callback-originate"]


def correlate(name: str):
    correlator = Correlator()
    closed = []
    for t, msg in recorded_messages(name):
        closed.extend(correlator.feed(msg, t).closed)
    return correlator, closed


@pytest.fixture(scope="module", params=CALL_SCENARIOS)
def scenario(request):
    correlator, closed = correlate(request.param)
    return request.param, correlator, closed


def test_every_call_has_the_truths_outcome_stage_seat_and_caller(scenario):
    name, _, closed = scenario
    expected = expected_calls(name)
    assert expected, "no calls in truth.json"
    for exp in expected:
        rec = match(closed, exp)
        assert (rec.outcome, rec.stage) == (exp["outcome"], exp["stage"]), exp["key"]
        assert rec.answered_by == exp["answered_by"], exp["key"]
        assert rec.caller == exp["caller"], exp["key"]
        assert rec.direction == exp["direction"], exp["key"]
        if exp["direction"] == "inbound":
            assert rec.missed is exp["missed"], exp["key"]
            assert rec.seats == exp["seats"], exp["key"]


def test_only_calls_still_up_at_the_end_stay_open(scenario):
    name, correlator, closed = scenario
    from tests.captures import truth

    calls = truth(name)["calls"]
    still_up = [c for c in calls if c.get("fully_inside_capture") is False]
    assert len(correlator.open_call_ids()) == len(still_up)
    assert len({r.call_id for r in closed}) == len(closed), "a call was closed twice"


def _epoch(text: str) -> float:
    # Master.csv is local time; the rig's time zone was UTC
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone.utc).timestamp()


def test_wait_and_talk_agree_with_asterisks_queue_log(scenario):
    """queue_log CONNECT/COMPLETE* give Asterisk's own hold and talk seconds; ABANDON and
    EXITWITHTIMEOUT the wait of callers who never reached a seat."""
    name, _, closed = scenario
    by_id = {r.call_id: r for r in closed}
    checked = 0
    for line in queue_log(name):
        uid, event = line[1], line[4]
        rec = by_id.get(uid)
        if rec is None:
            continue
        if event == "CONNECT":
            assert abs(rec.wait_s - int(line[5])) <= 1, uid
            checked += 1
        elif event in ("COMPLETECALLER", "COMPLETEAGENT") and len(rec.seats) == 1:
            assert abs(rec.talk_s - int(line[6])) <= 1, uid
            checked += 1
        elif event in ("ABANDON", "EXITWITHTIMEOUT"):
            assert abs(rec.wait_s - int(line[7])) <= 1, uid
            checked += 1
    if name not in ("busy", "callback-originate"):
        assert checked > 0


def test_times_agree_with_master_csv(scenario):
    """CDR times are whole seconds (truncated). All CDR rows of a call share its linkedid
    (= call_id). The call spans from the first
    row's start to the last row's end; an answered call's talk lies inside the row whose
    destination channel is the answering seat's leg."""
    name, _, closed = scenario
    rows = master_csv(name)
    by_id = {r.call_id: r for r in closed}
    checked = 0
    for call_id, rec in by_id.items():
        mine = [r for r in rows if r["linkedid"] == call_id]
        if not mine:
            continue
        assert abs(min(_epoch(r["start"]) for r in mine) - int(rec.started_at.timestamp())) <= 1, call_id
        assert abs(max(_epoch(r["end"]) for r in mine) - int(rec.ended_at.timestamp())) <= 1, call_id
        if rec.outcome == "answered" and rec.direction == "inbound":
            leg = next(leg for leg in rec.legs if leg.seat == rec.answered_by and leg.result == "answered")
            row = next(r for r in mine if r["dstchannel"] == leg.channel)
            assert row["disposition"] == "ANSWERED"
            assert _epoch(row["start"]) - 1 <= rec.answered_at.timestamp() <= _epoch(row["end"]) + 1
            assert rec.talk_s <= int(row["billsec"]) + 1 or len(rec.seats) > 1
        checked += 1
    assert checked == len([r for r in closed if any(row["linkedid"] == r.call_id for row in rows)])
    assert checked > 0


def test_abandoned_calls_whose_cdr_says_answered_are_abandoned():
    _, closed = correlate("abandon-in-queue")
    rows = {r["linkedid"]: r for r in master_csv("abandon-in-queue")}
    abandoned = [r for r in closed if r.outcome == "abandoned"]
    assert [r.caller for r in abandoned] == ["13900001202"]
    assert rows[abandoned[0].call_id]["disposition"] == "ANSWERED"


def test_queue_timeout_is_no_answer_although_asterisk_sends_queuecallerabandon():
    _, closed = correlate("queue-timeout")
    timeouts = sorted((r.caller, r.outcome, r.wait_s) for r in closed if r.dialed == "12346")
    assert timeouts == [("13900002201", "no_answer", pytest.approx(25.0, abs=0.1)),
                        ("13900002203", "no_answer", pytest.approx(25.0, abs=0.1))]


def test_ring_no_answer_keeps_every_seat_rung_with_why():
    _, closed = correlate("ring-no-answer")
    first = next(r for r in closed if r.caller == "13900001501")
    assert [(leg.seat, leg.result) for leg in first.legs] == [("8007", "no_answer"), ("8008", "answered")]


def test_callback_calls_carry_their_task_and_the_seat_that_took_them():
    _, closed = correlate("callback-originate")
    got = sorted((r.callback_id, r.caller, r.outcome, r.answered_by) for r in closed)
    assert got == [("cb1", "13900007001", "answered", "8010"), ("cb2", "13900007002", "busy", "8011"),
                   ("cb3", "13900007003", "no_answer", "8012"), ("cb4", "13900007004", "no_answer", None),
                   ("cb5", "13900007005", "busy", None)]
