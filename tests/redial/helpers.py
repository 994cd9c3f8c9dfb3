"""Building call records the way the correlator hands them out."""
from __future__ import annotations

import datetime as dt

from contactcenter.cdr.records import CallRecord

UTC = dt.timezone.utc


def at(text: str) -> dt.datetime:
    """'2026-12-03 08:00:00' read as UTC."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def missed(call_id: str, caller: str | None, started: str, *, raw: str | None = None, duration_s: float = 30,
           outcome: str = "abandoned") -> CallRecord:
    start = at(started)
    return CallRecord(call_id=call_id, direction="inbound", caller=caller, caller_raw=raw if raw is not None else caller,
                      caller_name=None, dialed="12345", started_at=start, ended_at=start + dt.timedelta(seconds=duration_s),
                      queue="hotline", outcome=outcome, stage="queue", missed=True, closed=True)


def answered(call_id: str, caller: str | None, started: str, *, duration_s: float = 60) -> CallRecord:
    start = at(started)
    return CallRecord(call_id=call_id, direction="inbound", caller=caller, caller_raw=caller, caller_name=None,
                      dialed="12345", started_at=start, ended_at=start + dt.timedelta(seconds=duration_s),
                      queue="hotline", outcome="answered", answered_by="8001", answered_at=start + dt.timedelta(seconds=5),
                      missed=False, closed=True)


def callback_call(call_id: str, callback_id: str, number: str, started: str, outcome: str, *,
                  hangup_cause: int | None = 16, duration_s: float = 30) -> CallRecord:
    start = at(started)
    return CallRecord(call_id=call_id, direction="callback", caller=number, caller_raw=number, caller_name=None,
                      dialed=number, started_at=start, ended_at=start + dt.timedelta(seconds=duration_s),
                      outcome=outcome, hangup_cause=hangup_cause, callback_id=callback_id, closed=True,
                      answered_by="8010" if outcome == "answered" else None)
