"""The pipeline's store on a real database (SQLite and PostgreSQL): what load-part1 leaves
in the call, CDR and seat tables, and that applying the same stream twice changes nothing."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from contactcenter.ami.protocol import parse_all
from contactcenter.cdr.models import Call, CallLeg, CdrRow, Seat, SeatEvent
from contactcenter.config import load_settings
from contactcenter.db import session_scope
from contactcenter.listener import CallLogger
from contactcenter.redial.models import CallbackTask
from tests.captures import master_csv, read_bytes


def feed(db_url: str, name: str, batch: int = 100) -> CallLogger:
    logger = CallLogger(db_url, load_settings(env={}, db_url=db_url))
    frames = parse_all(read_bytes(name, "ami.raw"))
    for i in range(0, len(frames), batch):
        logger.on_frames(frames[i:i + batch], 1)
    return logger


def counts(db_url: str) -> dict:
    with session_scope(db_url) as s:
        return {
            "calls": s.scalar(select(func.count()).select_from(Call)),
            "legs": s.scalar(select(func.count()).select_from(CallLeg)),
            "cdrs": s.scalar(select(func.count()).select_from(CdrRow)),
            "seat_events": s.scalar(select(func.count()).select_from(SeatEvent)),
            "callbacks": s.scalar(select(func.count()).select_from(CallbackTask)),
        }


def test_load_capture_fills_calls_cdrs_and_seats_and_a_second_pass_changes_nothing(db_url):
    feed(db_url, "load-part1")
    first = counts(db_url)
    rows = master_csv("load-part1")
    # Master.csv holds the rows written until the log-off; AMI carried the same Cdr events
    assert first["cdrs"] == len(rows) == 226
    assert first["calls"] == 94
    with session_scope(db_url) as s:
        seats = {seat.seat: seat for seat in s.scalars(select(Seat))}
        kinds = Counter(kind for (kind,) in s.execute(select(SeatEvent.kind)))
        linked = s.scalar(select(func.count()).select_from(CdrRow).where(CdrRow.call_id.in_(select(Call.call_id))))
    # truth.json: 27 logged in at start, 8028-8033 log in at t=150 s; pauses at 40 s (15 seats,
    # team-meeting) and 100 s (8004, break) are all lifted by 200 s
    logged_in = sorted(n for n, seat in seats.items() if seat.logged_in)
    assert logged_in == [str(n) for n in range(8001, 8034)]
    assert [n for n, seat in seats.items() if seat.paused] == []
    assert kinds == {"login": 33, "pause": 16, "unpause": 16}
    # every CDR of a call that ended inside the capture is linked to it
    assert linked == len([r for r in rows if r["linkedid"] in _closed_ids(db_url)])

    feed(db_url, "load-part1")
    assert counts(db_url) == first


def _closed_ids(db_url: str) -> set[str]:
    with session_scope(db_url) as s:
        return set(s.scalars(select(Call.call_id)))
