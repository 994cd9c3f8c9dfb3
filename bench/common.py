"""Helpers the benchmarks share: percentiles, timing loops, the machine's load, and throw-away
PostgreSQL databases on the local server."""
from __future__ import annotations

import os
import statistics
import time
import uuid
from contextlib import contextmanager
from typing import Callable, Iterator

from sqlalchemy import create_engine, text

from contactcenter import db

PG_BASE = os.environ.get("CONTACTCENTER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
RUNS = 40


def p95(samples: list[float]) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def timed(fn: Callable[[int], object], runs: int = RUNS) -> list[float]:
    """Milliseconds per call of fn(i), i = 0 .. runs-1."""
    out = []
    for i in range(runs):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def machine_load() -> str:
    try:
        return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"
    except OSError:
        return "load unknown"


def pg_url(name: str) -> str:
    return PG_BASE.rsplit("/", 1)[0] + "/" + name


@contextmanager
def throwaway_pg_database(prefix: str, keep_env: str | None = None) -> Iterator[str]:
    """A new, empty database on the local server (its URL); dropped afterwards, even after a
    failure, unless the environment variable `keep_env` is set (to inspect query plans)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_url(name)
    try:
        yield url
    finally:
        db.dispose_engines()
        if keep_env and os.environ.get(keep_env):
            print(f"  kept {url}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_on_pg(run: Callable[..., list], prefix: str, reuse_env: str, keep_env: str) -> list:
    """`run(url)` on a throw-away database, or `run(url, loaded=True)` on the one named by
    `reuse_env` (loaded by an earlier run and left as it is)."""
    reuse = os.environ.get(reuse_env)
    if reuse:
        try:
            return run(reuse, loaded=True)
        finally:
            db.dispose_engines()
    with throwaway_pg_database(prefix, keep_env=keep_env) as url:
        return run(url)


@contextmanager
def without_indexes(conn, *tables: str) -> Iterator[None]:
    """Bulk-load `tables` without their secondary indexes (those that back no constraint), then build
    them again from their own definitions: the schema is the migrated one afterwards, and a million
    rows load several times faster than with every B-tree maintained row by row."""
    rows = conn.execute(text("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"""),
                        {"tables": list(tables)}).all()
    for name, _ in rows:
        conn.execute(text(f'DROP INDEX "{name}"'))
    yield
    for _, definition in rows:
        conn.execute(text(definition))


def vacuum_analyze(url: str, *tables: str) -> None:
    engine = create_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    engine.dispose()


def print_table(results: dict[str, list[float]], base: float, label: str = "query", width: int = 34) -> None:
    """p50, p95 and p95 as a multiple of the baseline's p95, one line per case."""
    print(f"  {label:<{width}} {'p50 ms':>8} {'p95 ms':>8} {'x baseline':>11}")
    for name, samples in results.items():
        q95 = p95(samples)
        print(f"  {name:<{width}} {p50(samples):>8.2f} {q95:>8.2f} {q95 / base:>10.1f}x")
