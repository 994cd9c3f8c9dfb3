"""The AGI scripts, run as Asterisk runs them: a subprocess speaking AGI on stdin/stdout."""
from __future__ import annotations

import datetime as dt
import os
import select
import subprocess
import sys
import time

from contactcenter.agi.policy import caller_from_agi, queue_priority
from contactcenter.db import session_scope
from contactcenter.tickets import service
from tests.tickets.conftest import OPERATOR, handler, new_order

AGI_ENV = [
    ("agi_request", "contactcenter-agi"), ("agi_channel", "PJSIP/trunk-00000012"),
    ("agi_language", "zh"), ("agi_type", "PJSIP"), ("agi_uniqueid", "1764554400.31"),
    ("agi_version", "22.1.0"), ("agi_callerid", "13900001234"), ("agi_calleridname", "unknown"),
    ("agi_callingpres", "0"), ("agi_dnid", "12345"), ("agi_context", "hotline-in"),
    ("agi_extension", "12345"), ("agi_priority", "3"), ("agi_enhanced", "0.0"),
    ("agi_accountcode", ""), ("agi_threadid", "140179238475328"),
]


def run_agi(args: list[str], db_url: str, answer, callerid: str = "13900001234",
            timeout: float = 30.0) -> tuple[list[str], int]:
    """Start the script, send the agi_* environment, answer each command with `answer(cmd)`.
    Returns the commands received and the exit code."""
    env = dict(os.environ, CONTACTCENTER_DB=db_url)
    proc = subprocess.Popen([sys.executable, "-m", "contactcenter.agi", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    lines = [f"{k}: {callerid if k == 'agi_callerid' else v}" for k, v in AGI_ENV]
    for i, a in enumerate(args, 1):
        lines.append(f"agi_arg_{i}: {a}")
    proc.stdin.write(("\n".join(lines) + "\n\n").encode())
    proc.stdin.flush()
    commands, deadline, buf = [], time.monotonic() + timeout, b""
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"AGI script did not finish; commands so far: {commands}"
        ready, _, _ = select.select([proc.stdout], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            cmd = line.decode().strip()
            commands.append(cmd)
            proc.stdin.write((answer(cmd) + "\n").encode())
            proc.stdin.flush()
    code = proc.wait(timeout=10)
    stderr = proc.stderr.read().decode()
    assert "13900001234" not in stderr, "the caller's number leaked into Asterisk's log"
    return commands, code


def ok(_cmd: str) -> str:
    return "200 result=1"


def test_lookup_sets_variables_for_a_known_caller(db_url, units):
    from contactcenter.cdr.models import Call
    from contactcenter.redial.models import CallbackTask

    now = dt.datetime.now(dt.timezone.utc)
    with session_scope(db_url) as s:
        new_order(s, now=now)
        new_order(s, now=now)
        for i in range(2):
            s.add(Call(call_id=f"1764.{i}", direction="inbound", caller="13900001234",
                       started_at=now - dt.timedelta(days=i + 1), missed=True, short_abandon=False, closed=True))
        s.add(CallbackTask(number="13900001234", status="dialing", missed_calls=["1764.0"], first_missed_at=now,
                           last_missed_at=now, attempts=1, created_at=now, updated_at=now))
    commands, code = run_agi(["lookup"], db_url, ok, callerid="+86 139 0000 1234")
    assert code == 0
    assert commands == [
        'SET VARIABLE "HOTLINE_OPEN_ORDERS" "2"',
        'SET VARIABLE "HOTLINE_CALLBACK_PENDING" "1"',
        'SET VARIABLE "HOTLINE_REPEAT_CALLER" "1"',
        'SET VARIABLE "HOTLINE_QUEUE_PRIO" "10"',
        'SET VARIABLE "HOTLINE_LOOKUP" "ok"',
    ]


def test_lookup_unknown_and_withheld_callers(sqlite_url):
    commands, code = run_agi(["lookup"], sqlite_url, ok, callerid="13811112222")
    assert code == 0 and commands[:4] == [
        'SET VARIABLE "HOTLINE_OPEN_ORDERS" "0"', 'SET VARIABLE "HOTLINE_CALLBACK_PENDING" "0"',
        'SET VARIABLE "HOTLINE_REPEAT_CALLER" "0"', 'SET VARIABLE "HOTLINE_QUEUE_PRIO" "0"']
    assert commands[4] == 'SET VARIABLE "HOTLINE_LOOKUP" "ok"'
    commands, _ = run_agi(["lookup"], sqlite_url, ok, callerid="anonymous")
    assert commands[4] == 'SET VARIABLE "HOTLINE_LOOKUP" "withheld"'


def test_lookup_survives_an_unreachable_database(tmp_path):
    commands, code = run_agi(["lookup"], "postgresql+psycopg://nobody@127.0.0.1:1/none", ok)
    assert code == 0
    assert commands[-2:] == ['SET VARIABLE "HOTLINE_QUEUE_PRIO" "0"', 'SET VARIABLE "HOTLINE_LOOKUP" "failed"']


def replied_order(db_url, units) -> int:
    now = dt.datetime.now(dt.timezone.utc)
    with session_scope(db_url) as s:
        oid = new_order(s, now=now)["id"]
        service.dispatch(s, oid, units["C01"], OPERATOR, now)
        service.act(s, oid, "accept", handler(units["C01"]), now)
        service.act(s, oid, "reply", handler(units["C01"]), now, reply="已处理")
    return oid


def test_survey_stores_the_keypress(db_url, units):
    oid = replied_order(db_url, units)

    def answer(cmd):
        return "200 result=3" if cmd.startswith("GET DATA") else "200 result=0 endpos=8000"

    commands, code = run_agi(["survey", str(oid)], db_url, answer)
    assert code == 0
    assert commands == ["GET DATA hotline-survey 6000 1", 'STREAM FILE hotline-survey-thanks "" 0',
                        'SET VARIABLE "HOTLINE_SURVEY" "3"']
    with session_scope(db_url) as s:
        o = service.get_order(s, oid, OPERATOR, dt.datetime.now(dt.timezone.utc))
    assert (o["survey_satisfaction"], o["history"][-1]["action"]) == ("dissatisfied", "survey")


def test_survey_retries_once_then_gives_up(sqlite_url, units):
    oid = replied_order(sqlite_url, units)
    # timeout (no digit), then a wrong key
    replies = iter(["200 result= (timeout)", "200 result=7", "200 result=1"])
    commands, code = run_agi(["survey", str(oid)], sqlite_url, lambda c: next(replies))
    assert code == 0
    assert commands == ["GET DATA hotline-survey 6000 1", "GET DATA hotline-survey-retry 6000 1",
                        'SET VARIABLE "HOTLINE_SURVEY" "none"']
    with session_scope(sqlite_url) as s:
        assert service.get_order(s, oid, OPERATOR, dt.datetime.now(dt.timezone.utc))["survey_satisfaction"] is None


def test_survey_with_bad_or_unknown_order(sqlite_url):
    commands, _ = run_agi(["survey", "12;DROP"], sqlite_url, ok)
    assert commands[-1] == 'SET VARIABLE "HOTLINE_SURVEY" "error"'
    answers = lambda c: "200 result=1" if c.startswith("GET DATA") else "200 result=0 endpos=0"  # noqa: E731
    commands, _ = run_agi(["survey", "999999"], sqlite_url, answers)
    assert commands[-1] == 'SET VARIABLE "HOTLINE_SURVEY" "error"'


def test_caller_id_reading_and_priority():
    assert caller_from_agi("+86 139 0000 1234") == "13900001234"
    assert caller_from_agi("008613900001234") == "13900001234"
    assert caller_from_agi("8123456") == "06358123456"
    assert caller_from_agi("0635-8123456") == "06358123456"
    assert caller_from_agi("anonymous") is None
    assert caller_from_agi("139\r\n0000") is None
    assert queue_priority(0, False, False) == 0
    assert queue_priority(1, False, False) == 3
    assert queue_priority(0, False, True) == 2
    assert queue_priority(2, True, True) == 10
