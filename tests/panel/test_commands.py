"""`contactcenter user add` and `contactcenter web` as a user runs them."""
import os
import re
import subprocess
import sys
import urllib.request

from sqlalchemy import select

from contactcenter.db import session_scope
from contactcenter.panel.accounts import authenticate
from contactcenter.panel.models import PanelUser
from tests.conftest import ROOT


def _cli(*args, stdin=""):
    return subprocess.run([sys.executable, "-m", "contactcenter", *args], input=stdin, capture_output=True,
                          text=True, timeout=60, cwd=ROOT)


def test_user_add_creates_the_first_admin_from_stdin(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    proc = _cli("user", "add", "chief", "--role", "admin", "--password-stdin", "--db", url,
                stdin="s3cret-pass-word\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "user chief (admin) created\n"
    assert "s3cret" not in proc.stdout + proc.stderr
    with session_scope(url) as s:
        user = authenticate(s, "chief", "s3cret-pass-word")
        assert user is not None and user.role == "admin"
        assert user.password_hash != "s3cret-pass-word" and user.password_hash.startswith("scrypt:")


def test_user_add_without_a_terminal_generates_a_password(sqlite_url):
    proc = _cli("user", "add", "handler1", "--role", "unit_handler", "--unit", "U01", "--db", sqlite_url)
    assert proc.returncode == 0, proc.stderr
    password = re.search(r"^password: (\S+)$", proc.stdout, re.M).group(1)
    with session_scope(sqlite_url) as s:
        assert authenticate(s, "handler1", password).unit == "U01"


def test_user_add_refuses_bad_input_clearly(sqlite_url):
    proc = _cli("user", "add", "x", "--role", "king", "--password-stdin", "--db", sqlite_url, stdin="longenough1\n")
    assert proc.returncode == 2 and "用户名须为" in proc.stderr
    proc = _cli("user", "add", "xy", "--role", "king", "--password-stdin", "--db", sqlite_url, stdin="longenough1\n")
    assert proc.returncode == 2 and "未知角色 'king'" in proc.stderr
    proc = _cli("user", "add", "xy", "--role", "unit_handler", "--password-stdin", "--db", sqlite_url,
                stdin="longenough1\n")
    assert proc.returncode == 2 and "必须指定所属单位" in proc.stderr
    proc = _cli("user", "add", "dup", "--role", "operator", "--password-stdin", "--db", sqlite_url, stdin="longenough1\n")
    assert proc.returncode == 0
    proc = _cli("user", "add", "dup", "--role", "operator", "--password-stdin", "--db", sqlite_url, stdin="longenough1\n")
    assert proc.returncode == 2 and "用户名 dup 已存在" in proc.stderr
    with session_scope(sqlite_url) as s:
        assert sorted(s.scalars(select(PanelUser.username))) == ["dup"]


def test_web_serves_the_panel(sqlite_url):
    env = dict(os.environ, CONTACTCENTER_SECRET_KEY="k" * 32)
    proc = subprocess.Popen([sys.executable, "-m", "contactcenter", "web", "--port", "0", "--db", sqlite_url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    try:
        line = proc.stdout.readline()
        port = int(re.match(r"panel on http://127\.0\.0\.1:(\d+)/", line).group(1))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as resp:
            assert resp.status == 200 and "登录" in resp.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as resp:
            assert resp.read() == b'{"status":"ok"}\n'
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_web_refuses_a_bad_port(sqlite_url):
    proc = _cli("web", "--port", "70000", "--db", sqlite_url)
    assert proc.returncode == 2 and "port must be 0..65535" in proc.stderr
