"""`contactcenter replay` over a real loopback AMI connection into the real listener, then
`contactcenter calls` / `callbacks`, as a user runs them; on SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest

from tests.captures import capture_dir, truth
from tests.cdr.expectations import expected_calls, match
from tests.conftest import run_cli

SCENARIOS = ["answered", "abandon-in-queue", "busy", "ring-no-answer", "callback-originate", "transfer",
             "cjk-names", "queue-timeout", "load-part1"]


def replay(db_url: str, name: str, *extra: str) -> str:
    return run_cli("replay", str(capture_dir(name)), "--db", db_url, *extra).stdout


def calls(db_url: str) -> list[dict]:
    out = run_cli("calls", "--format", "jsonl", "--db", db_url).stdout
    return [json.loads(line) for line in out.splitlines()]


def callbacks(db_url: str) -> list[dict]:
    out = run_cli("callbacks", "--format", "jsonl", "--db", db_url).stdout
    return [json.loads(line) for line in out.splitlines()]


def check_calls(name: str, records: list[dict]) -> None:
    expected = expected_calls(name)
    assert len(records) == len(expected)
    for exp in expected:
        rec = match(records, exp)
        got = (rec["outcome"], rec["stage"], rec["answered_by"], rec["caller"], rec["direction"])
        assert got == (exp["outcome"], exp["stage"], exp["answered_by"], exp["caller"], exp["direction"]), exp["key"]
        if exp["direction"] == "inbound":
            assert rec["missed"] is exp["missed"], exp["key"]


def missed_callers(name: str) -> set[str]:
    return {e["caller"] for e in expected_calls(name) if e["direction"] == "inbound" and e["missed"]}


@pytest.mark.parametrize("name", SCENARIOS)
def test_replay_gives_the_truth_for_every_call_and_the_missed_callers_on_the_callback_list(db_url, name):
    out = replay(db_url, name)
    assert "replayed" in out
    records = calls(db_url)
    check_calls(name, records)
    assert [r["started_at"] for r in records] == sorted(r["started_at"] for r in records)
    owed = {cb["number"] for cb in callbacks(db_url)}
    assert owed == missed_callers(name)


def test_replaying_twice_changes_nothing(sqlite_url):
    replay(sqlite_url, "abandon-in-queue")
    first = calls(sqlite_url), callbacks(sqlite_url)
    replay(sqlite_url, "abandon-in-queue")
    assert (calls(sqlite_url), callbacks(sqlite_url)) == first


@pytest.mark.parametrize("name", ["cjk-names", "load-part1"])
def test_tiny_chunks_cutting_through_chinese_names_give_the_same_records(sqlite_url, tmp_path, name):
    other = f"sqlite:///{tmp_path / 'chunks.db'}"
    replay(sqlite_url, name)
    replay(other, name, "--chunk-size", "7" if name == "cjk-names" else "501")
    assert calls(other) == calls(sqlite_url)
    check_calls(name, calls(other))


@pytest.mark.parametrize("name", ["transfer", "load-part1"])
def test_a_dropped_connection_mid_stream_loses_and_doubles_nothing(sqlite_url, tmp_path, name):
    whole = (capture_dir(name) / "ami.raw")
    size = whole.stat().st_size if whole.exists() else None
    from tests.captures import read_bytes

    size = size or len(read_bytes(name, "ami.raw"))
    other = f"sqlite:///{tmp_path / 'dropped.db'}"
    replay(sqlite_url, name)
    out = replay(other, name, "--drop-at", str(size // 2 + 3))
    assert "over 2 connection(s)" in out
    assert calls(other) == calls(sqlite_url)
    assert callbacks(other) == callbacks(sqlite_url)


def test_chinese_caller_names_are_stored_byte_for_byte(sqlite_url):
    from sqlalchemy import select

    from contactcenter.cdr.models import Call
    from contactcenter.db import session_scope

    replay(sqlite_url, "cjk-names")
    with session_scope(sqlite_url) as s:
        names = dict(s.execute(select(Call.caller, Call.caller_name)).all())
    expected = {c["caller_number"]: c["caller_name"] for c in truth("cjk-names")["calls"]}
    assert names == expected
    assert names["06358202103"] == "聊城市东昌府区居民"
