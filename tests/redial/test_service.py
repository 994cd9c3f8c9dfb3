"""Panel functions on the callback list, and the `callbacks` command."""
from __future__ import annotations

import json

import pytest

from contactcenter.config import Settings
from contactcenter.db import session_scope
from contactcenter.redial import service as S
from contactcenter.redial.intake import on_call_closed
from tests.conftest import run_cli
from tests.redial.helpers import at, missed

SETTINGS = Settings()
NOW = at("2026-12-03 03:00:00")  # 11:00 Shanghai


def seed(url):
    for rec in (missed("c1", "13900001234", "2026-12-03 02:00:00"),
                missed("c2", None, "2026-12-03 02:01:00", raw="anonymous"),
                missed("c3", "06358201102", "2026-12-03 02:02:00"),
                missed("c4", "13900001234", "2026-12-03 02:03:00")):
        with session_scope(url) as s:
            on_call_closed(s, rec, SETTINGS, rec.ended_at)


def test_list_and_filters(db_url):
    seed(db_url)
    rows = S.list_callbacks(db_url)
    assert [(r["id"], r["number"], r["status"], r["missed_calls"]) for r in rows] == [
        (1, "13900001234", "pending", ["c1", "c4"]),
        (2, None, "invalid_number", ["c2"]),
        (3, "06358201102", "pending", ["c3"]),
    ]
    assert rows[0]["first_missed_at"] == "2026-12-03T02:00:00.000Z"
    assert rows[0]["next_attempt_at"] == "2026-12-03T02:02:30.000Z"
    assert [r["id"] for r in S.list_callbacks(db_url, status="invalid_number")] == [2]
    assert [r["id"] for r in S.list_callbacks(db_url, number="+86 139 0000 1234")] == [1]
    assert [r["number"] for r in S.list_callbacks(db_url, status="pending", show_numbers=False)] == [
        "139****1234", "063****1102"]
    with pytest.raises(S.CallbackServiceError):
        S.list_callbacks(db_url, status="lost")
    assert S.count_by_status(db_url) == {"pending": 2, "invalid_number": 1}


def test_call_now_skip_and_errors(db_url):
    seed(db_url)
    row = S.call_now(db_url, 3, by="monitor1", now=NOW)
    assert (row["next_attempt_at"], row["priority"], row["note"]) == (
        "2026-12-03T03:00:00.000Z", -1, "call now requested by monitor1")
    # at night "call now" means the first calling minute of the morning
    row = S.call_now(db_url, 1, by="monitor1", now=at("2026-12-03 14:00:00"))
    assert row["next_attempt_at"] == "2026-12-04T00:00:00.000Z"
    row = S.skip(db_url, 3, by="monitor1", reason="duplicate of ticket 17", now=NOW)
    assert (row["status"], row["reason"], row["next_attempt_at"]) == (
        "gave_up", "skipped by monitor1: duplicate of ticket 17", None)
    with pytest.raises(S.CallbackServiceError, match="already closed"):
        S.skip(db_url, 3, by="monitor1", now=NOW)
    with pytest.raises(S.CallbackServiceError, match="not pending"):
        S.call_now(db_url, 2, by="monitor1", now=NOW)
    with pytest.raises(S.CallbackServiceError, match="no callback"):
        S.call_now(db_url, 99, by="monitor1", now=NOW)


def test_do_not_call_blocks_open_and_future_entries(db_url):
    seed(db_url)
    entry = S.add_do_not_call(db_url, "0086 139 0000 1234", by="monitor1", reason="asked on the phone", now=NOW)
    assert entry == {"number": "13900001234", "reason": "asked on the phone", "added_by": "monitor1",
                     "added_at": "2026-12-03T03:00:00.000Z", "blocked_callbacks": [1]}
    assert S.list_callbacks(db_url, number="13900001234")[0]["status"] == "blocked"
    rec = missed("c9", "13900001234", "2026-12-03 04:00:00")
    with session_scope(db_url) as s:
        on_call_closed(s, rec, SETTINGS, rec.ended_at)
    assert [r["status"] for r in S.list_callbacks(db_url, number="13900001234")] == ["blocked", "blocked"]
    with pytest.raises(S.CallbackServiceError, match="do-not-call"):
        S.request_callback(db_url, "13900001234", by="monitor1", now=NOW)
    assert [d["number"] for d in S.list_do_not_call(db_url)] == ["13900001234"]
    assert S.remove_do_not_call(db_url, "13900001234", by="monitor1") is True
    assert S.remove_do_not_call(db_url, "13900001234", by="monitor1") is False
    with pytest.raises(S.CallbackServiceError, match="withheld"):
        S.add_do_not_call(db_url, "anonymous", by="monitor1", now=NOW)


def test_manual_request_other_number_and_time(db_url):
    seed(db_url)
    # the caller of c3 asks to be called on their mobile tomorrow at 09:30 Shanghai
    row = S.request_callback(db_url, "139 1111 2222", by="agent8017", at=at("2026-12-04 01:30:00"),
                             note="call my mobile", now=NOW)
    assert (row["number"], row["status"], row["source"], row["next_attempt_at"], row["missed_calls"], row["note"]) == (
        "13911112222", "pending", "manual", "2026-12-04T01:30:00.000Z", [], "requested by agent8017: call my mobile")
    # asking for 23:00 is moved to 08:00 the next morning
    row = S.request_callback(db_url, "06358201102", by="agent8017", at=at("2026-12-03 15:00:00"), now=NOW)
    assert (row["id"], row["next_attempt_at"]) == (3, "2026-12-04T00:00:00.000Z")
    with pytest.raises(S.CallbackServiceError, match="too_short"):
        S.request_callback(db_url, "12345", by="agent8017", now=NOW)
    # a typed 2099 does not park the callback for ever; the entry keeps its time
    with pytest.raises(S.CallbackServiceError, match="at most 30 days ahead"):
        S.request_callback(db_url, "06358201102", by="agent8017", at=at("2099-01-01 00:00:00"), now=NOW)
    assert S.request_callback(db_url, "06358201102", by="agent8017", at=at("2027-01-02 02:00:00"),
                              now=NOW)["next_attempt_at"] == "2027-01-02T02:00:00.000Z"
    assert S.attempt_history(db_url, 3) == []


def test_callbacks_command(db_url):
    seed(db_url)
    proc = run_cli("callbacks", "--format", "jsonl", "--db", db_url)
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0] == {"number": "13900001234", "status": "pending", "missed_calls": ["c1", "c4"],
                        "first_missed_at": "2026-12-03T02:00:00.000Z", "attempts": 0,
                        "next_attempt_at": "2026-12-03T02:02:30.000Z", "last_result": None}
    assert [line["status"] for line in lines] == ["pending", "invalid_number", "pending"]
    table = run_cli("callbacks", "--db", db_url).stdout.splitlines()
    assert table[0].split() == ["id", "number", "status", "misses", "attempts", "first_missed_at",
                                "next_attempt_at", "last_result"]
    assert table[-1] == "3 callback(s)"
