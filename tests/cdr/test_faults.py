"""Bad input and outages: nothing lost, nothing doubled, no other call affected."""
from __future__ import annotations

import asyncio

import pytest

from sqlalchemy import create_engine, func, select, text

from contactcenter.ami.journal import Journal
from contactcenter.ami.models import JournalEntry
from contactcenter.ami.protocol import parse_all
from contactcenter.config import load_settings
from contactcenter.db import dispose_engines, session_scope
from contactcenter.db import upgrade as db_upgrade
from contactcenter.listener import CallLogger
from tests.captures import read_bytes
from tests.cdr.test_replay import check_calls, stored
from tests.conftest import PG_BASE


def test_garbage_between_events_is_journaled_and_skipped_without_touching_the_calls(sqlite_url, tmp_path):
    raw = read_bytes("abandon-in-queue", "ami.raw")
    cut = raw.index(b"Event: QueueCallerJoin")
    junk = (b"this line has no colon\r\nEvent: Bogus\r\n\r\n"            # malformed line
            b"Event: SomethingNew\r\nFoo: bar\r\n\r\n"                   # unknown event
            b"Event: Newchannel\r\nCallerIDName: \xff\xfe\xc0\r\n\r\n"    # invalid bytes
            b"Event: Huge\r\nData: " + b"x" * (1 << 20) + b"\r\n\r\n")   # 1 MB frame
    bad = raw[:cut] + junk + raw[cut:] + b"Event: Truncated\r\nChannel: PJSIP/tr"  # stream cut mid-frame
    capture = tmp_path / "bad-capture"
    capture.mkdir()
    (capture / "ami.raw").write_bytes(bad)

    from contactcenter.replaying import replay_capture

    asyncio.run(replay_capture(capture, load_settings(env={}, db_url=sqlite_url)))
    check_calls("abandon-in-queue", stored(sqlite_url)[0])
    with session_scope(sqlite_url) as s:
        statuses = dict(s.execute(select(JournalEntry.event, JournalEntry.status)
                                  .where(JournalEntry.status.not_in(["ok", "unparsed"]))).all())
        unknown = s.execute(select(JournalEntry.id, JournalEntry.status)
                            .where(JournalEntry.event == "SomethingNew")).one()
    assert statuses == {"Bogus": "malformed", "Newchannel": "undecodable", "Huge": "oversized",
                        "Truncated": "truncated"}
    # an event nothing here uses is journaled raw, unparsed, and reads back whole
    assert unknown.status == "unparsed"
    [again] = Journal(sqlite_url, "test").read(unknown.id, to_id=unknown.id)
    assert (again.status, again.pairs) == ("ok", [("Event", "SomethingNew"), ("Foo", "bar")])


def _set_connections(name: str, allowed: bool) -> None:
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if allowed else "false"}'))
        if not allowed:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"), {"d": name})
    admin.dispose()


def test_a_database_outage_holds_everything_and_writes_it_when_the_database_returns(pg_url, sqlite_url):
    frames = parse_all(read_bytes("load-part1", "ami.raw"))
    half = len(frames) // 2

    clean = CallLogger(sqlite_url, load_settings(env={}, db_url=sqlite_url), journal=Journal(sqlite_url, "test"))
    for i in range(0, len(frames), 200):
        clean.on_frames(frames[i:i + 200], 1)

    frames = parse_all(read_bytes("load-part1", "ami.raw"))
    logger = CallLogger(pg_url, load_settings(env={}, db_url=pg_url), journal=Journal(pg_url, "test", retry_interval_s=0))
    for i in range(0, half, 200):
        logger.on_frames(frames[i:min(i + 200, half)], 1)
    name = pg_url.rsplit("/", 1)[1]
    _set_connections(name, False)
    try:
        for i in range(half, len(frames), 200):
            logger.on_frames(frames[i:i + 200], 1)
        assert logger.journal.held > 0 and logger.held_batches > 0
        assert logger.flush() is False
    finally:
        _set_connections(name, True)
    assert logger.flush() is True
    assert logger.journal.held == 0 and logger.held_batches == 0
    with session_scope(pg_url) as s:
        journaled = s.scalar(select(func.count()).select_from(JournalEntry))
    assert journaled == len(frames)
    assert stored(pg_url) == stored(sqlite_url)
    dispose_engines()


def test_an_outage_inside_a_closed_call_hook_holds_the_whole_read_and_loses_nothing(sqlite_url, tmp_path):
    """The outage strikes in the middle of a read's transaction (the callback intake's lookups),
    after the journal rows were written in it: the read is held whole and written once."""
    from sqlalchemy.exc import OperationalError

    from contactcenter.redial.intake import on_call_closed

    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    db_upgrade(clean_url)
    frames = parse_all(read_bytes("load-part1", "ami.raw"))
    clean = CallLogger(clean_url, load_settings(env={}, db_url=clean_url), journal=Journal(clean_url, "test"))
    for i in range(0, len(frames), 200):
        clean.on_frames(frames[i:i + 200], 1)

    failing = {"left": 3}

    def flaky_intake(session, record, settings, now):
        if failing["left"] > 0:
            failing["left"] -= 1
            raise OperationalError("SELECT ...", {}, Exception("server closed the connection unexpectedly"))
        on_call_closed(session, record, settings, now)

    frames = parse_all(read_bytes("load-part1", "ami.raw"))
    logger = CallLogger(sqlite_url, load_settings(env={}, db_url=sqlite_url), hooks=[flaky_intake],
                        journal=Journal(sqlite_url, "test", retry_interval_s=0))
    for i in range(0, len(frames), 200):
        logger.on_frames(frames[i:i + 200], 1)
        logger.flush()
    assert failing["left"] == 0 and logger.flush() is True
    assert logger.journal.held == 0 and logger.held_batches == 0
    with session_scope(sqlite_url) as s:
        journaled = s.scalar(select(func.count()).select_from(JournalEntry))
    assert journaled == len(frames)  # every frame once: none lost, none written twice
    assert stored(sqlite_url) == stored(clean_url)
    assert logger.calls_closed == clean.calls_closed == 94


def test_a_bug_after_the_journal_write_still_leaves_the_frames_in_the_journal(sqlite_url):
    frames = parse_all(read_bytes("answered", "ami.raw"))
    logger = CallLogger(sqlite_url, load_settings(env={}, db_url=sqlite_url), hooks=[],
                        journal=Journal(sqlite_url, "test"))

    import contactcenter.listener as listener_module

    real = listener_module.CallLogger._correlate

    def exploding(self, messages, now, notify=True):
        raise RuntimeError("a bug after the journal write")

    listener_module.CallLogger._correlate = exploding
    try:
        with pytest.raises(RuntimeError, match="after the journal write"):
            logger.on_frames(frames, 1)
    finally:
        listener_module.CallLogger._correlate = real
    with session_scope(sqlite_url) as s:
        assert s.scalar(select(func.count()).select_from(JournalEntry)) == len(frames)
