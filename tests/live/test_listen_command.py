"""`contactcenter listen` as a process, against `contactcenter sim` as a process: calls are
logged while it runs and it stops cleanly on SIGTERM and SIGINT."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from sqlalchemy import func, select

from contactcenter.cdr.models import Call
from contactcenter.db import session_scope


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_listen_logs_the_simulators_calls_and_stops_cleanly(sqlite_url):
    port = free_port()
    env = dict(os.environ, CONTACTCENTER_AMI_URL=f"ami://contactcenter:contactcenter@127.0.0.1:{port}",
               CONTACTCENTER_DB=sqlite_url)
    # a busy day, 300x faster than real time: a call every few wall-clock tenths of a second
    sim = subprocess.Popen([sys.executable, "-m", "contactcenter", "sim", "--port", str(port), "--speed", "300",
                            "--calls-per-day", "20000", "--seed", "7"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    listen = None
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        listen = subprocess.Popen([sys.executable, "-m", "contactcenter", "listen"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        closed = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and closed < 5:
            time.sleep(0.5)
            assert listen.poll() is None, listen.stderr.read()
            with session_scope(sqlite_url) as s:
                closed = s.scalar(select(func.count()).select_from(Call).where(Call.closed.is_(True)))
        assert closed >= 5
        listen.send_signal(signal.SIGTERM)
        out, err = listen.communicate(timeout=20)
        assert listen.returncode == 0, err
        assert "contactcenter:contactcenter" not in err  # the AMI secret never reaches the log
        assert "AmiTarget(contactcenter@127.0.0.1" in err
    finally:
        if listen is not None and listen.poll() is None:
            listen.kill()
        sim.send_signal(signal.SIGINT)
        try:
            sim.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sim.kill()


def test_listen_stops_on_sigterm_while_asterisk_is_unreachable(sqlite_url):
    # nothing listens on this port: the link keeps retrying, and a stop must still end it
    env = dict(os.environ, CONTACTCENTER_AMI_URL=f"ami://contactcenter:x@127.0.0.1:{free_port()}",
               CONTACTCENTER_DB=sqlite_url)
    listen = subprocess.Popen([sys.executable, "-m", "contactcenter", "listen"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)
        assert listen.poll() is None
        listen.send_signal(signal.SIGTERM)
        out, err = listen.communicate(timeout=10)
        assert listen.returncode == 0, err
        assert "reconnecting" in err.lower() or "unreachable" in err.lower() or "refused" in err.lower()
    finally:
        if listen.poll() is None:
            listen.kill()
