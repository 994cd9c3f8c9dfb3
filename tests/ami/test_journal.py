"""The journal on real SQLite and PostgreSQL databases, including a real outage."""
from __future__ import annotations

import datetime as dt
import logging
import shutil

import pytest
from sqlalchemy import create_engine, func, select, text

from contactcenter import db
from contactcenter.ami.capture import open_capture_bytes
from contactcenter.ami.journal import Journal
from contactcenter.ami.models import JournalEntry
from contactcenter.ami.protocol import FrameSplitter, parse_all
from tests.ami.conftest import CAPTURES
from tests.conftest import PG_BASE


def _frames(n_from=0, n_to=None):
    return parse_all(open_capture_bytes(CAPTURES / "cjk-names"))[n_from:n_to]


def test_append_returns_ids_in_order_and_read_gives_the_frames_back(db_url):
    journal = Journal(db_url, "replay:cjk-names")
    frames = _frames()
    t0 = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.timezone.utc)
    for f in frames:
        f.connection = 3
        f.received_at = t0
    first = journal.append(frames[:100])
    second = journal.append(frames[100:])
    ids = first + second
    assert len(ids) == len(frames) == 429
    assert ids == sorted(ids) and len(set(ids)) == 429
    assert [f.journal_id for f in frames] == ids
    back = list(journal.read(batch=50))
    assert [f.journal_id for f in back] == ids
    assert [f.raw for f in back] == [f.raw for f in frames]
    assert [f.pairs for f in back] == [f.pairs for f in frames]
    assert back[0].is_banner and back[0].banner == "Asterisk Call Manager/11.0.0"
    assert {f.connection for f in back} == {3}
    assert {f.received_at for f in back} == {t0}
    assert sum(1 for f in back if f.get("CallerIDName") == "张三") == \
        sum(1 for f in frames if f.get("CallerIDName") == "张三") > 0
    # from_id is inclusive
    assert [f.journal_id for f in journal.read(from_id=ids[400])] == ids[400:]
    assert journal.last_id() == ids[-1]
    with db.session_scope(db_url) as s:
        rows = s.execute(select(JournalEntry.event, JournalEntry.status, JournalEntry.source)
                         .order_by(JournalEntry.id).limit(3)).all()
    assert [tuple(r) for r in rows] == [(None, "ok", "replay:cjk-names"), (None, "ok", "replay:cjk-names"),
                                        ("FullyBooted", "ok", "replay:cjk-names")]


def test_bad_frames_are_journaled_with_status_and_error(db_url):
    splitter = FrameSplitter()
    frames = splitter.feed(b"Event: A\r\nno colon here\r\n\r\n" + b"Event: Big\r\nD: " + b"z" * (1 << 20)
                           + b"\r\n\r\nEvent: C\r\nN: \xff\r\n\r\nEvent: Cut\r\n")
    frames += splitter.close()
    journal = Journal(db_url, "test")
    journal.append(frames)
    with db.session_scope(db_url) as s:
        rows = s.execute(select(JournalEntry.event, JournalEntry.status, JournalEntry.error,
                                func.length(JournalEntry.raw)).order_by(JournalEntry.id)).all()
    assert [(r[0], r[1]) for r in rows] == [("A", "malformed"), ("Big", "oversized"), ("C", "undecodable"),
                                            ("Cut", "truncated")]
    assert rows[1][3] == 65536
    assert rows[3][2] == "stream ended inside a frame (12 bytes, no blank line)"
    back = list(journal.read())
    assert [f.status for f in back] == ["malformed", "oversized", "undecodable", "truncated"]
    assert back[0].pairs == [("Event", "A")]
    assert back[1].pairs == [] and back[1].event_name == "Big"


class _Outage:
    """Makes the database really unreachable, then brings it back."""

    def __init__(self, url, tmp_path):
        self.url = url
        self.tmp_path = tmp_path

    def start(self):
        db.make_engine(self.url).dispose()
        if self.url.startswith("sqlite"):
            self.path = self.url.removeprefix("sqlite:///")
            self.moved = self.path + ".away"
            shutil.move(self.path, self.moved)
            # a directory where the file was: SQLite cannot open it ("unable to open database file")
            import os
            os.mkdir(self.path)
        else:
            self.name = self.url.rsplit("/", 1)[1]
            admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{self.name}" RENAME TO "{self.name}_off"'))
            admin.dispose()

    def stop(self):
        if self.url.startswith("sqlite"):
            import os
            os.rmdir(self.path)
            shutil.move(self.moved, self.path)
        else:
            admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{self.name}_off" RENAME TO "{self.name}"'))
            admin.dispose()


def test_outage_holds_frames_and_writes_them_in_order_when_the_database_returns(db_url, tmp_path, caplog):
    frames = _frames()
    journal = Journal(db_url, "listen", retry_interval_s=0.0)
    before = journal.append(frames[:50])
    assert len(before) == 50
    outage = _Outage(db_url, tmp_path)
    outage.start()
    try:
        with caplog.at_level(logging.ERROR, logger="contactcenter.ami.journal"):
            assert journal.append(frames[50:120]) == []
            assert journal.append(frames[120:200]) == []
        assert journal.held == 150
        assert "database unavailable" in caplog.text and "holding" in caplog.text
        assert all(f.journal_id is None for f in frames[50:200])
        assert journal.flush() is False
    finally:
        outage.stop()
    db.make_engine(db_url).dispose()
    after = journal.append(frames[200:])
    assert journal.held == 0 and journal.dropped == 0
    assert len(after) == len(frames) - 200
    ids = [f.journal_id for f in frames]
    assert None not in ids and ids == sorted(ids)
    back = list(journal.read())
    assert [f.raw for f in back] == [f.raw for f in frames]  # nothing lost, nothing doubled, in order


def test_hold_buffer_is_bounded_and_says_so(sqlite_url, tmp_path, caplog):
    frames = _frames(0, 30)
    journal = Journal(sqlite_url, "listen", max_held=20, retry_interval_s=0.0)
    outage = _Outage(sqlite_url, tmp_path)
    outage.start()
    try:
        with caplog.at_level(logging.CRITICAL, logger="contactcenter.ami.journal"):
            journal.append(frames[:15])
            journal.append(frames[15:30])
        assert journal.held == 20 and journal.dropped == 10
        assert "hold buffer full (20 frames); the 10 oldest held frames were dropped" in caplog.text
    finally:
        outage.stop()
    db.make_engine(sqlite_url).dispose()
    assert journal.flush(force=True) is True
    assert [f.raw for f in journal.read()] == [f.raw for f in frames[10:30]]
