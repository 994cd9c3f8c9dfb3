"""Bad input and outages: nothing lost, nothing doubled, no other call affected."""
from __future__ import annotations

import asyncio

from sqlalchemy import create_engine, func, select, text

from contactcenter.ami.journal import Journal
from contactcenter.ami.models import JournalEntry
from contactcenter.ami.protocol import parse_all
from contactcenter.config import load_settings
from contactcenter.db import dispose_engines, session_scope
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
