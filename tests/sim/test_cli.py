"""`contactcenter sim` and `contactcenter demo` as a user runs them."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

from tests.conftest import run_cli


def test_bad_arguments_get_clear_messages(tmp_path):
    proc = run_cli("sim", "--speed", "0", check=False)
    assert proc.returncode == 2 and "must be greater than 0" in proc.stderr
    proc = run_cli("sim", "--port", "70000", check=False)
    assert proc.returncode == 2 and "not a TCP port" in proc.stderr
    proc = run_cli("sim", "--peak-day", "--calls-per-day", "10", "--port", "0", "--duration", "1", check=False)
    assert proc.returncode == 2 and "either --peak-day or --calls-per-day" in proc.stderr


def test_sim_command_serves_ami(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "contactcenter", "sim", "--port", "0", "--speed", "100",
                             "--duration", "20", "--username", "u1", "--secret", "s1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        line = proc.stdout.readline()
        assert line.startswith("AMI simulator on 127.0.0.1:") and "60 seats, 1179 calls/day" in line
        port = int(line.split("127.0.0.1:")[1].split()[0])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            f = s.makefile("rwb")
            assert f.readline() == b"Asterisk Call Manager/11.0.0\r\n"
            f.write(b"Action: Login\r\nUsername: u1\r\nSecret: s1\r\nEvents: off\r\n\r\n")
            f.flush()
            assert f.readline() == b"Response: Success\r\n"
            assert f.readline() == b"Message: Authentication accepted\r\n"
    finally:
        proc.terminate()
        proc.wait(10)


def test_demo_runs_end_to_end(tmp_path):
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    started = time.monotonic()
    # 12 s at x4000: the simulated day from midnight to past 13:00, calling hours included
    proc = run_cli("demo", "--db", db, "--duration", "12", "--speed", "4000", "--web-port", "0", cwd=tmp_path,
                   timeout=90)
    assert time.monotonic() - started < 60
    out = proc.stdout
    assert "PBX simulator (AMI): 127.0.0.1:" in out
    assert "listener + callback dispatcher: running" in out
    assert "demo stopped" in out
    progress = [line for line in out.splitlines() if line.startswith("[")]
    assert len(progress) >= 2
    calls = run_cli("calls", "--db", db, "--format", "jsonl", cwd=tmp_path).stdout.splitlines()
    records = [json.loads(line) for line in calls]
    assert len(records) > 20
    assert {r["outcome"] for r in records} <= {"answered", "abandoned", "busy", "no_answer", "failed"}
    assert "answered" in {r["outcome"] for r in records}
    assert all(r["call_id"].startswith("hotline-rig-") for r in records)
    # the knowledge base is there for the panel's search from the first minute
    import sqlite3

    from contactcenter.knowledge.service import load_seed_articles

    with sqlite3.connect(tmp_path / "demo.db") as conn:
        articles = conn.execute("SELECT count(*) FROM kb_article").fetchone()[0]
        # the dispatcher runs on the simulated clock: callbacks go out, inside its calling hours
        starts = [row[0] for row in conn.execute("SELECT started_at FROM callback_attempt")]
    assert articles == len(load_seed_articles()) >= 300
    assert starts
    import datetime as dt
    from zoneinfo import ZoneInfo

    local = [dt.datetime.fromisoformat(t).replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo("Asia/Shanghai"))
             for t in starts]
    assert all(8 <= t.hour < 21 for t in local), sorted(local)[:3]
