"""Panel pages at scale on PostgreSQL: the work-order list and the call log, rendered over HTTP.

Creates a throw-away database on the local server, migrates it, bulk-loads N work orders (the
tickets bench's loader) and N call records (server-side INSERT ... SELECT over generate_series:
inbound calls with their queue wait, answering seat, outcome and missed flag, callbacks and a few
outbound calls, over two years, callers drawn from a pool so numbers repeat), then logs an
operator in with the Flask test client of the real app (contactcenter.panel.create_app) and times
whole requests (routing, login check, query, template) of the first page and some filters of each
page. Baselines measured in the same run: a trivial logged-in page (/welcome) and a primary-key
page (one call's detail).

    PANEL_BENCH_ROWS=1000000   work orders and call records each (default 1,000,000; 50000 for a quick run)
    PANEL_BENCH_DB=URL         reuse a database loaded by an earlier run (not dropped)
    PANEL_BENCH_KEEP=1         keep the throw-away database (to inspect query plans)
    CONTACTCENTER_TEST_PG      admin URL of the server (default postgres@127.0.0.1:5432)
"""
from __future__ import annotations

import datetime as dt
import os
import re
import time
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

from bench.bench_tickets import NOW, SPAN_DAYS
from bench.bench_tickets import load as load_orders
from bench.common import (machine_load, p95, print_table, run_on_pg, timed, vacuum_analyze,
                          without_indexes)
from contactcenter import db
from contactcenter.config import Settings
from contactcenter.panel import create_app
from contactcenter.panel.accounts import create_user

N = int(os.environ.get("PANEL_BENCH_ROWS", "1000000"))
PAGE_P95_MS = 150.0
RUNS = 40
SEATS = 60
CALLERS = 300_000  # distinct caller numbers: a caller filter finds a handful of calls
USER, PASSWORD = "bench_op", "bench-password-123"
TZ = ZoneInfo("Asia/Shanghai")

# One call per g, oldest first, evenly over SPAN_DAYS up to NOW. Inbound 90 % (answered 78 %,
# abandoned 15 % in the IVR / queue / while ringing, busy, no answer, failed), callbacks 8 %
# (placed by the dialer, answered by a seat), outbound 2 %. Times as the correlator stores them.
CALL_SQL = """
INSERT INTO call (call_id, direction, caller, caller_raw, caller_name, dialed, started_at, ended_at, queue,
  queued_at, wait_s, answered_at, answered_by, seats, talk_s, outcome, stage, hangup_cause, missed,
  short_abandon, callback_id, closed, close_note)
SELECT
  floor(extract(epoch FROM started))::bigint::text || '.' || g,
  dir, caller, caller, NULL,
  CASE WHEN dir = 'inbound' THEN '12345' ELSE caller END,
  started,
  started + make_interval(secs => coalesce(wait, 0) + coalesce(talk, 0) + 5),
  CASE WHEN dir = 'inbound' THEN 'hotline' END,
  CASE WHEN dir = 'inbound' AND coalesce(stage, '') <> 'ivr' THEN started + interval '8 seconds' END,
  wait,
  CASE WHEN outcome = 'answered' THEN started + make_interval(secs => coalesce(wait, 0) + 8) END,
  seat, seat, talk, outcome, stage,
  CASE WHEN outcome = 'busy' THEN 17 WHEN outcome = 'failed' THEN 34 ELSE 16 END,
  dir = 'inbound' AND outcome <> 'answered',
  dir = 'inbound' AND outcome = 'abandoned' AND coalesce(wait, 0) < 5,
  CASE WHEN dir = 'callback' THEN 'cb-' || g END,
  true, NULL
FROM (
  SELECT g, dir, started, caller, outcome,
    CASE WHEN outcome = 'abandoned' THEN (CASE WHEN r2 < 0.27 THEN 'ivr' WHEN r2 < 0.87 THEN 'queue'
                                               ELSE 'ringing' END) END AS stage,
    CASE WHEN outcome = 'answered' THEN lpad((8001 + floor(r2 * CAST(:seats AS int)))::int::text, 4, '0') END
      AS seat,
    CASE WHEN dir = 'inbound' AND outcome IN ('answered', 'abandoned') THEN round((r3 * 120)::numeric, 1)::float
      END AS wait,
    CASE WHEN outcome = 'answered' THEN round((30 + r3 * r2 * 900)::numeric, 1)::float END AS talk
  FROM (
    SELECT g, r2, r3, dir, started, caller,
      CASE WHEN dir = 'inbound' THEN
             CASE WHEN r1 < 0.78 THEN 'answered' WHEN r1 < 0.93 THEN 'abandoned' WHEN r1 < 0.96 THEN 'busy'
                  WHEN r1 < 0.98 THEN 'no_answer' ELSE 'failed' END
           ELSE CASE WHEN r1 < 0.6 THEN 'answered' WHEN r1 < 0.85 THEN 'no_answer' WHEN r1 < 0.95 THEN 'busy'
                     ELSE 'failed' END
      END AS outcome
    FROM (
      SELECT g, random() AS r1, random() AS r2, random() AS r3,
        CASE WHEN r0 < 0.90 THEN 'inbound' WHEN r0 < 0.98 THEN 'callback' ELSE 'outbound' END AS dir,
        CAST(:now AS timestamp) - (CAST(:n AS int) - g) * (interval '1 day' * CAST(:span AS int) / CAST(:n AS int))
          AS started,
        CASE WHEN rc < 0.02 THEN NULL
             ELSE '139' || lpad(floor(rc * CAST(:callers AS int))::int::text, 8, '0') END AS caller
      FROM (SELECT g, random() AS r0, random() AS rc FROM generate_series(CAST(:lo AS int), CAST(:hi AS int)) AS g) s
    ) a
  ) b
) c
"""


def load_calls(url: str, n: int) -> None:
    engine = create_engine(url)
    step = 200_000
    with engine.begin() as conn, without_indexes(conn, "call"):
        conn.execute(text("""INSERT INTO seat (seat, name, interface, logged_in, paused, device_state, updated_at)
                             SELECT s::text, '坐席' || s, 'PJSIP/' || s, s < 8041, false, 'idle', CAST(:now AS timestamp)
                             FROM generate_series(8001, 8000 + CAST(:seats AS int)) AS s"""),
                     {"now": NOW.replace(tzinfo=None), "seats": SEATS})
        for lo in range(1, n + 1, step):
            conn.execute(text(CALL_SQL), {"now": NOW.replace(tzinfo=None), "n": n, "span": SPAN_DAYS,
                                          "seats": SEATS, "callers": CALLERS, "lo": lo,
                                          "hi": min(n, lo + step - 1)})
    engine.dispose()
    vacuum_analyze(url, "call", "seat")


def main() -> list[tuple[str, bool]]:
    return run_on_pg(run, "cc_bench_panel", reuse_env="PANEL_BENCH_DB", keep_env="PANEL_BENCH_KEEP")


def _login(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302, resp.status_code


def _local(t: dt.datetime) -> str:
    return t.astimezone(TZ).strftime("%Y-%m-%dT%H:%M")


def run(url: str, loaded: bool = False) -> list[tuple[str, bool]]:
    if not loaded:
        db.upgrade(url)
        t = time.perf_counter()
        load_orders(url, N)
        t_orders = time.perf_counter() - t
        load_calls(url, N)
        print(f"  loaded {N:,} work orders (+{N:,} events) in {t_orders:.1f} s, "
              f"{N:,} call records in {time.perf_counter() - t - t_orders:.1f} s")
        with db.session_scope(url) as s:
            create_user(s, USER, PASSWORD, "operator", display_name="压测话务员", now=NOW)
    settings = Settings(db_url=url, panel_secret_key="bench-secret-key")
    app = create_app(settings, testing=True)
    app.extensions["cc_clock"] = lambda: NOW
    client = app.test_client()
    _login(client)

    with db.session_scope(url) as s:
        unit_ids = [r[0] for r in s.execute(text("select id from handling_unit where active order by code"))]
        callers = [r[0] for r in s.execute(text(
            "select caller from call tablesample system (1) where caller is not null limit 200"))]
        call_ids = [r[0] for r in s.execute(text("select call_id from call tablesample system (1) limit 200"))]
        cursor = s.execute(text("select started_at, call_id from call order by started_at desc, call_id desc "
                                "offset 49 limit 1")).one()
    seats = [str(8001 + i) for i in range(SEATS)]

    def day(i: int, days: int = 1) -> str:
        start = NOW - dt.timedelta(days=30 * (i % 20) + 3)
        return f"from={_local(start)}&to={_local(start + dt.timedelta(days=days))}"

    base_cases = {
        "/welcome (trivial page, baseline)": lambda i: "/welcome",
        "call detail (primary key)": lambda i: f"/calls/{call_ids[i % len(call_ids)]}",
    }
    order_cases = {
        "orders: first page": lambda i: "/orders/",
        "orders: page 5 (offset 200)": lambda i: "/orders/?offset=200",
        "orders: status=in_progress": lambda i: "/orders/?status=in_progress",
        "orders: status=open": lambda i: "/orders/?status=open",
        "orders: status=closed": lambda i: "/orders/?status=closed",
        "orders: unit": lambda i: f"/orders/?unit_id={unit_ids[i % len(unit_ids)]}",
        "orders: unit + status=dispatched":
            lambda i: f"/orders/?unit_id={unit_ids[i % len(unit_ids)]}&status=dispatched",
        "orders: due_state=overdue": lambda i: "/orders/?due_state=overdue",
        "orders: created in a given week":
            lambda i: f"/orders/?from={(NOW - dt.timedelta(days=7 * (i + 2))).date()}"
                      f"&to={(NOW - dt.timedelta(days=7 * (i + 1))).date()}",
    }
    call_cases = {
        "calls: first page": lambda i: "/calls/",
        "calls: next page (keyset cursor)":
            lambda i: f"/calls/?before_at={cursor[0].isoformat()}&before_id={cursor[1]}",
        "calls: outcome=missed": lambda i: "/calls/?outcome=missed",
        "calls: outcome=answered": lambda i: "/calls/?outcome=answered",
        "calls: outcome=busy": lambda i: "/calls/?outcome=busy",
        "calls: seat": lambda i: f"/calls/?seat={seats[i % len(seats)]}",
        "calls: caller": lambda i: f"/calls/?caller={callers[i % len(callers)]}",
        "calls: direction=callback": lambda i: "/calls/?direction=callback",
        "calls: one day": lambda i: "/calls/?" + day(i),
        "calls: one day + outcome=missed": lambda i: "/calls/?outcome=missed&" + day(i),
        "calls: one day + seat": lambda i: f"/calls/?seat={seats[i % len(seats)]}&" + day(i),
        "calls: caller + one year": lambda i: f"/calls/?caller={callers[i % len(callers)]}&" + day(i, 365),
    }
    row_re = {"orders": re.compile(r"<tr data-order="), "calls": re.compile(r'>详情</a>')}
    rows_seen: dict[str, int] = {}

    def get(label, path_of):
        def go(i):
            resp = client.get(path_of(i))
            if resp.status_code != 200:
                raise AssertionError(f"{label}: HTTP {resp.status_code} for {path_of(i)}")
            kind = label.split(":")[0]
            if kind in row_re:
                rows_seen[label] = rows_seen.get(label, 0) + len(row_re[kind].findall(resp.get_data(as_text=True)))
        return go

    results: dict[str, list[float]] = {}
    for label, path_of in {**base_cases, **order_cases, **call_cases}.items():
        timed(get(label, path_of), runs=3)  # warm the cache, the plan and the templates
        rows_seen.pop(label, None)
        results[label] = timed(get(label, path_of), runs=RUNS)
    base = p95(results["/welcome (trivial page, baseline)"])
    print_table(results, base, label="page (whole HTTP request)", width=36)
    print("  rows per page (mean):", ", ".join(f"{k.split(': ', 1)[1]} {v / RUNS:.0f}"
                                               for k, v in rows_seen.items() if v / RUNS < 50) or "all 50")
    print(f"  machine {machine_load()} (figures are wall-clock; a shared machine slows all of them)")
    orders_ok = all(p95(results[k]) <= PAGE_P95_MS for k in order_cases)
    calls_ok = all(p95(results[k]) <= PAGE_P95_MS for k in call_cases)
    return [
        (f"work-order list page p95 <= {PAGE_P95_MS:.0f} ms with {N:,} work orders (PostgreSQL)", orders_ok),
        (f"call log page p95 <= {PAGE_P95_MS:.0f} ms with {N:,} call records (PostgreSQL)", calls_ok),
    ]


if __name__ == "__main__":
    for target, ok in main():
        print("PASS" if ok else "MISS", target)
