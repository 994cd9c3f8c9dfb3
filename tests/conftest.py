"""Shared fixtures: real databases (SQLite always, PostgreSQL when a server is there),
each test on its own freshly migrated database."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from contactcenter import db

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CI = bool(os.environ.get("CI"))
PG_BASE = os.environ.get("CONTACTCENTER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_available() -> str | None:
    try:
        eng = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server"
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    db.make_engine(url).dispose()
    db.dispose_engines()
    return path


@pytest.fixture(scope="session")
def _pg_template():
    problem = _pg_available()
    if problem:
        if CI:
            pytest.fail(f"PostgreSQL test server not reachable in CI: {problem}")
        pytest.skip(f"no PostgreSQL test server: {problem}")
    name = f"cc_tmpl_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = _pg_url(name)
    db.upgrade(url)
    db.make_engine(url).dispose()
    db._engines.pop(url, None)
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _pg_url(name: str) -> str:
    base = PG_BASE.rsplit("/", 1)[0]
    return f"{base}/{name}"


def new_pg_database(template: str | None = None) -> str:
    name = f"cc_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        tmpl = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{tmpl}'))
    admin.dispose()
    return name


def drop_pg_database(name: str) -> None:
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path, _sqlite_template) -> str:
    path = tmp_path / "contactcenter.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    yield url
    engine = db._engines.pop(url, None)
    if engine is not None:
        engine.dispose()


@pytest.fixture
def pg_url(request):
    template = request.getfixturevalue("_pg_template")
    name = new_pg_database(template)
    url = _pg_url(name)
    yield url
    engine = db._engines.pop(url, None)
    if engine is not None:
        engine.dispose()
    drop_pg_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    """A freshly migrated database, once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 120,
            check: bool = True) -> subprocess.CompletedProcess:
    """Run `contactcenter ...` as a user would, in a separate process."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "contactcenter", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"contactcenter {' '.join(args)} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc
