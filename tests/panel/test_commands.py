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
    proc = _cli("user", "add", "handler1", "--role", "unit_handler", "--unit", "C01", "--db", sqlite_url)
    assert proc.returncode == 0, proc.stderr
    password = re.search(r"^password: (\S+)$", proc.stdout, re.M).group(1)
    with session_scope(sqlite_url) as s:
        assert authenticate(s, "handler1", password).unit == "C01"


def test_user_password_sets_a_new_password(sqlite_url):
    assert _cli("user", "add", "op1", "--role", "operator", "--db", sqlite_url).returncode == 0
    proc = _cli("user", "password", "op1", "--db", sqlite_url)
    assert proc.returncode == 0, proc.stderr
    password = re.search(r"^password: (\S+)$", proc.stdout, re.M).group(1)
    with session_scope(sqlite_url) as s:
        assert authenticate(s, "op1", password).role == "operator"
    proc = _cli("user", "password", "nobody", "--db", sqlite_url)
    assert proc.returncode == 2 and "no account named 'nobody'" in proc.stderr


def _main(monkeypatch, capsys, *argv, stdin="longenough1\n"):
    """The same command line, in this process (argument checks need no new interpreter)."""
    import io

    from contactcenter.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_user_add_refuses_bad_input_clearly(sqlite_url, monkeypatch, capsys):
    base = ("--password-stdin", "--db", sqlite_url)
    assert _main(monkeypatch, capsys, "user", "add", "x", "--role", "king", *base)[::2] == (
        2, "contactcenter: error: 用户名须为 2–64 位字母、数字或 _ . -\n")
    code, _, err = _main(monkeypatch, capsys, "user", "add", "xy", "--role", "king", *base)
    assert code == 2 and "未知角色 'king'" in err
    code, _, err = _main(monkeypatch, capsys, "user", "add", "xy", "--role", "unit_handler", *base)
    assert code == 2 and "必须指定所属单位" in err
    code, _, err = _main(monkeypatch, capsys, "user", "add", "xy", "--role", "operator", *base, stdin="short\n")
    assert code == 2 and "密码至少 8 位" in err
    assert _main(monkeypatch, capsys, "user", "add", "dup", "--role", "operator", *base)[:2] == (
        0, "user dup (operator) created\n")
    code, _, err = _main(monkeypatch, capsys, "user", "add", "dup", "--role", "operator", *base)
    assert code == 2 and "用户名 dup 已存在" in err
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


def test_web_refuses_a_bad_port(sqlite_url, monkeypatch, capsys):
    code, _, err = _main(monkeypatch, capsys, "web", "--port", "70000", "--db", sqlite_url)
    assert code == 2 and "port must be 0..65535" in err
