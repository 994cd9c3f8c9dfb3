"""`contactcenter stats`: every key of DESIGN.md's table on a small day worked out by hand."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from contactcenter.cdr.models import Call
from contactcenter.config import Settings
from contactcenter.db import session_scope
from contactcenter.redial.intake import on_call_closed
from contactcenter.redial.models import CallbackAttempt, CallbackTask
from tests.conftest import run_cli
from tests.redial.helpers import at

A, B, C, D, E = "13900000001", "13900000002", "13900000003", "13900000004", "06358201102"

# call id, caller, start (UTC), outcome, queued, wait, talk, short abandon
CALLS = [
    ("i1", A, "2026-12-03 02:00:00", "answered", True, 10.0, 100.0, False),
    ("i2", B, "2026-12-03 02:10:00", "abandoned", True, 30.0, None, False),
    ("i3", B, "2026-12-03 02:30:00", "answered", True, 25.0, 60.0, False),
    ("i4", C, "2026-12-03 02:40:00", "abandoned", True, 3.0, None, True),
    ("i5", None, "2026-12-03 03:05:00", "abandoned", True, 40.0, None, False),
    ("i6", None, "2026-12-03 03:10:00", "answered", True, 5.0, 50.0, False),
    ("i7", D, "2026-12-03 03:20:00", "abandoned", False, None, None, True),
    ("i8", E, "2026-12-04 01:00:00", "busy", False, None, None, False),
]


def seed(url):
    from contactcenter.cdr.records import CallRecord

    settings = Settings()
    for call_id, caller, start, outcome, queued, wait, talk, short in CALLS:
        started = at(start)
        rec = CallRecord(call_id=call_id, direction="inbound", caller=caller, caller_raw=caller or "anonymous",
                         caller_name=None, dialed="12345", started_at=started,
                         ended_at=started + dt.timedelta(seconds=200), queue="hotline" if queued else None,
                         queued_at=started + dt.timedelta(seconds=4) if queued else None, wait_s=wait,
                         talk_s=talk, outcome=outcome, missed=outcome != "answered", short_abandon=short, closed=True)
        with session_scope(url) as s:
            s.add(Call(call_id=call_id, direction="inbound", caller=caller, started_at=started,
                       ended_at=rec.ended_at, queue=rec.queue, queued_at=rec.queued_at, wait_s=wait, talk_s=talk,
                       outcome=outcome, missed=rec.missed, short_abandon=short, closed=True))
            on_call_closed(s, rec, settings, rec.ended_at)
    with session_scope(url) as s:
        tasks = {t.number: t for t in s.execute(select(CallbackTask)).scalars() if t.number}
        c, d = tasks[C], tasks[D]
        for task, seq, start, result in ((c, 1, "2026-12-03 02:45:00", "caller_busy"),
                                         (c, 2, "2026-12-03 02:50:00", "reached"),
                                         (d, 1, "2026-12-03 03:25:00", "caller_no_answer"),
                                         (d, 2, "2026-12-03 03:30:00", "not_sent"),
                                         (d, 3, "2026-12-03 03:55:00", "caller_no_answer")):
            s.add(CallbackAttempt(task_id=task.id, seq=seq, number=task.number, seat="8001",
                                  action_id=f"callback-{task.id}-{seq}", callback_id=f"cb{task.id}{seq}", state="done",
                                  result=result, started_at=at(start), ended_at=at(start) + dt.timedelta(seconds=40)))
        c.status, c.attempts = "reached", 2
        d.status, d.attempts = "gave_up", 2


def test_stats_json_every_key(db_url):
    seed(db_url)
    out = json.loads(run_cli("stats", "--format", "json", "--db", db_url).stdout)
    whole = {k: v for k, v in out.items() if k not in ("per_day", "per_hour")}
    assert whole == {
        "calls": 8, "answered": 3, "missed": 5, "first_attempt_connect_rate": 0.375,
        "callers": 7, "callers_reached": 4, "overall_connect_rate": 0.5714, "abandon_rate": 0.5,
        "service_level_20s": 0.4, "avg_wait_s": 18.8, "avg_talk_s": 70.0, "peak_hour_calls": 4,
        "callbacks_attempted": 4, "callbacks_reached": 1,
    }
    days = {d["date"]: d for d in out["per_day"]}
    assert sorted(days) == ["2026-12-03", "2026-12-04"]
    assert {k: days["2026-12-03"][k] for k in ("calls", "answered", "missed", "callers", "callers_reached",
                                                "overall_connect_rate", "callbacks_attempted")} == {
        "calls": 7, "answered": 3, "missed": 4, "callers": 6, "callers_reached": 4, "overall_connect_rate": 0.6667,
        "callbacks_attempted": 4}
    assert (days["2026-12-04"]["calls"], days["2026-12-04"]["overall_connect_rate"]) == (1, 0.0)
    hours = {h["hour"]: (h["calls"], h["answered"], h["callbacks_attempted"]) for h in out["per_hour"]}
    assert hours == {"2026-12-03T10:00+08:00": (4, 2, 2), "2026-12-03T11:00+08:00": (3, 1, 2),
                     "2026-12-04T09:00+08:00": (1, 0, 0)}


def test_stats_period_is_local_days(db_url):
    seed(db_url)
    out = json.loads(run_cli("stats", "--from", "2026-12-04", "--to", "2026-12-04", "--format", "json",
                             "--db", db_url).stdout)
    assert (out["calls"], out["missed"], out["callers"], out["callbacks_attempted"]) == (1, 1, 1, 0)
    empty = json.loads(run_cli("stats", "--from", "2026-12-05", "--format", "json", "--db", db_url).stdout)
    assert (empty["calls"], empty["first_attempt_connect_rate"], empty["per_day"]) == (0, None, [])
    table = run_cli("stats", "--db", db_url).stdout
    assert "overall_connect_rate         0.5714" in table
    bad = run_cli("stats", "--from", "3 Dec", "--db", db_url, check=False)
    assert bad.returncode == 2 and "not a day" in bad.stderr
