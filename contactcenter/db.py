"""Database plumbing shared by every adapter: the declarative base, engines, sessions,
and running the Alembic migrations from code.

One short-lived session per unit of work (`session_scope`); database errors surface as
`DatabaseUnavailable` so callers can hold their work and retry instead of crashing.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import DateTime, MetaData, create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, InterfaceError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Named constraints and indexes, so migrations can refer to them on every backend.
NAMING = {
    "ix": "%(table_name)s__idx__%(column_0_N_name)s",
    "uq": "%(table_name)s__uq__%(column_0_N_name)s",
    "ck": "%(table_name)s__ck__%(constraint_name)s",
    "fk": "%(table_name)s__fk__%(column_0_name)s__%(referred_table_name)s",
    "pk": "%(table_name)s__pk",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Stores UTC as a naive timestamp (portable across SQLite and PostgreSQL) and hands
    back timezone-aware UTC datetimes; refuses naive input so no local time slips in."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached right now; the caller should hold its work and retry."""


MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

_engines: dict[str, Engine] = {}


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    # the journal writes fast: checkpoint (fsync) every ~40 MB of WAL rather than every 4 MB
    cur.execute("PRAGMA wal_autocheckpoint=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def make_engine(url: str) -> Engine:
    """One engine per URL per process (engines own connection pools)."""
    engine = _engines.get(url)
    if engine is None:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        _engines[url] = engine
    return engine


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(make_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url_or_factory) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error, always close."""
    factory = session_factory(url_or_factory) if isinstance(url_or_factory, str) else url_or_factory
    session = factory()
    try:
        yield session
        session.commit()
    except (OperationalError, InterfaceError) as exc:
        session.rollback()
        raise DatabaseUnavailable(str(exc.orig) if getattr(exc, "orig", None) else str(exc)) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    """Alembic upgrade, run from code (the `db upgrade` command and first use)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def ensure_schema(url: str) -> None:
    """Bring the database to the newest schema on first use (cheap when already current)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    engine = make_engine(url)
    # each area keeps its own migration branch off 0001, so there may be several heads
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current != heads:
        upgrade(url)


def table_names(url: str) -> set[str]:
    return set(inspect(make_engine(url)).get_table_names())
