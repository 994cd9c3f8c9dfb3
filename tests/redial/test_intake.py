"""The listener's hook: closed calls onto the callback list, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from contactcenter.cdr.models import Call
from contactcenter.config import Settings
from contactcenter.db import session_scope
from contactcenter.redial.intake import on_call_closed
from contactcenter.redial.models import CallbackMissedCall, CallbackTask, DoNotCall
from tests.redial.helpers import answered, at, missed

SETTINGS = Settings()


def close(url, record, now=None):
    with session_scope(url) as s:
        on_call_closed(s, record, SETTINGS, now or record.ended_at)


def tasks(url):
    with session_scope(url) as s:
        return [(t.number, t.status, list(t.missed_calls), t.next_attempt_at, t.reason, t.priority)
                for t in s.execute(select(CallbackTask).order_by(CallbackTask.id)).scalars()]


def test_missed_call_creates_entry_due_two_minutes_after_hangup(db_url):
    # 02:00 UTC = 10:00 Shanghai, inside calling hours; hangup 02:00:30 + 2 min first delay
    close(db_url, missed("c1", "13900001234", "2026-12-03 02:00:00"))
    assert tasks(db_url) == [("13900001234", "pending", ["c1"], at("2026-12-03 02:02:30"), None, 1)]


def test_same_record_twice_changes_nothing(db_url):
    rec = missed("c1", "13900001234", "2026-12-03 02:00:00")
    close(db_url, rec)
    close(db_url, rec, now=at("2026-12-03 05:00:00"))
    assert tasks(db_url) == [("13900001234", "pending", ["c1"], at("2026-12-03 02:02:30"), None, 1)]
    with session_scope(db_url) as s:
        assert s.execute(select(CallbackMissedCall.call_id, CallbackMissedCall.task_id)).all() == [("c1", 1)]


def test_repeat_miss_merges_and_moves_up(db_url):
    close(db_url, missed("c1", "13900001234", "2026-12-03 02:00:00"))
    close(db_url, missed("c2", "13900001234", "2026-12-03 02:01:00"))
    close(db_url, missed("c3", "13900005678", "2026-12-03 02:01:10"))
    # the repeat caller keeps its first due time (02:02:30, sooner than 02:03:30) and priority 0
    assert tasks(db_url) == [
        ("13900001234", "pending", ["c1", "c2"], at("2026-12-03 02:02:30"), None, 0),
        ("13900005678", "pending", ["c3"], at("2026-12-03 02:03:40"), None, 1),
    ]


def test_night_miss_waits_for_morning(db_url):
    # 14:30 UTC = 22:30 Shanghai: first attempt at 08:00 Shanghai next day = 00:00 UTC Dec 4
    close(db_url, missed("c1", "13900001234", "2026-12-03 14:30:00"))
    assert tasks(db_url)[0][3] == at("2026-12-04 00:00:00")


def test_withheld_and_unusable_numbers_are_invalid_entries(db_url):
    close(db_url, missed("c1", None, "2026-12-03 02:00:00", raw="anonymous"))
    close(db_url, missed("c2", None, "2026-12-03 02:00:05", raw="95588"))
    close(db_url, missed("c3", None, "2026-12-03 02:00:10", raw="anonymous"))
    assert tasks(db_url) == [
        (None, "invalid_number", ["c1"], None, "withheld", 1),
        (None, "invalid_number", ["c2"], None, "too_short", 1),
        (None, "invalid_number", ["c3"], None, "withheld", 1),
    ]


def test_do_not_call_number_is_blocked(db_url):
    with session_scope(db_url) as s:
        s.add(DoNotCall(number="13900001234", reason="asked", added_at=at("2026-12-01 00:00:00")))
    close(db_url, missed("c1", "13900001234", "2026-12-03 02:00:00"))
    assert tasks(db_url) == [("13900001234", "blocked", ["c1"], None, "do_not_call", 1)]


def test_answered_later_call_closes_entry(db_url):
    close(db_url, missed("c1", "13900001234", "2026-12-03 02:00:00"))
    close(db_url, answered("c2", "13900001234", "2026-12-03 02:01:00"))
    with session_scope(db_url) as s:
        t = s.execute(select(CallbackTask)).scalar_one()
        assert (t.status, t.closed_by_call, t.next_attempt_at, t.closed_at) == (
            "caller_got_through", "c2", None, at("2026-12-03 02:02:00"))
    # a new miss afterwards opens a new entry
    close(db_url, missed("c3", "13900001234", "2026-12-03 03:00:00"))
    assert [t[1] for t in tasks(db_url)] == ["caller_got_through", "pending"]


def test_answered_call_that_started_before_the_miss_does_not_close(db_url):
    close(db_url, missed("c2", "13900001234", "2026-12-03 02:05:00"))
    close(db_url, answered("c1", "13900001234", "2026-12-03 02:00:00", duration_s=600))
    assert tasks(db_url)[0][1] == "pending"


def test_answered_other_number_with_same_suffix_does_not_close(db_url):
    close(db_url, missed("c1", "06358201234", "2026-12-03 02:00:00"))
    close(db_url, answered("c2", "13908201234", "2026-12-03 02:01:00"))
    assert tasks(db_url)[0][1] == "pending"


def test_miss_closing_after_a_later_answered_call_is_not_owed(db_url):
    # the answered call (started 02:01) closed and was stored before the miss (started 02:00) closed
    with session_scope(db_url) as s:
        s.add(Call(call_id="c2", direction="inbound", caller="13900001234", started_at=at("2026-12-03 02:01:00"),
                   outcome="answered", missed=False, short_abandon=False, closed=True))
    close(db_url, missed("c1", "13900001234", "2026-12-03 02:00:00", duration_s=300))
    with session_scope(db_url) as s:
        t = s.execute(select(CallbackTask)).scalar_one()
        assert (t.status, t.closed_by_call) == ("caller_got_through", "c2")


def test_an_open_entry_created_meanwhile_is_merged_into_not_lost(db_url, monkeypatch):
    """The panel creates the caller's entry between the intake's look-up and its insert: the
    unique index (one open entry per number) refuses the second one, and the miss is merged."""
    from contactcenter.redial import intake
    from contactcenter.redial import service as S

    S.request_callback(db_url, "13900001234", by="agent8017", now=at("2026-12-03 02:00:00"))
    real = intake._lookups
    calls = {"n": 0}

    def stale_first(session, record):
        calls["n"] += 1
        seen, open_id, blocked, later = real(session, record)
        return (seen, None, blocked, later) if calls["n"] == 1 else (seen, open_id, blocked, later)

    monkeypatch.setattr(intake, "_lookups", stale_first)
    close(db_url, missed("c1", "13900001234", "2026-12-03 02:10:00"))
    assert calls["n"] == 2
    rows = tasks(db_url)
    assert [(n, st, m) for n, st, m, *_ in rows] == [("13900001234", "pending", ["c1"])]
    with session_scope(db_url) as s:
        assert s.get(CallbackMissedCall, "c1").task_id == 1
