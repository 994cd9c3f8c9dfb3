"""Work-order services at scale on PostgreSQL: list/filter/search and create+dispatch.

Creates a throw-away database on the local server, migrates it, bulk-loads N work orders
(server-side INSERT ... SELECT over generate_series, texts taken from the labelled request set)
and one audit event each, then times the panel's queries through the real service functions
(ORM and dict conversion included) against a primary-key lookup baseline measured in the same run.

    TICKETS_BENCH_ORDERS=1000000   number of work orders (default 1,000,000; 50000 for a quick run)
    TICKETS_BENCH_DB=URL           reuse a database loaded by an earlier run (not dropped)
    TICKETS_BENCH_KEEP=1           keep the throw-away database (to inspect query plans)
    CONTACTCENTER_TEST_PG          admin URL of the server (default postgres@127.0.0.1:5432)
"""
from __future__ import annotations

import datetime as dt
import os
import random
import re
import time

from sqlalchemy import create_engine, text

from bench.common import (machine_load, p95, print_table, run_on_pg, timed, vacuum_analyze,
                          without_indexes)
from contactcenter import db
from contactcenter.routing.suggest import labelled_requests
from contactcenter.tickets import service
from contactcenter.tickets.workflow import Actor

N = int(os.environ.get("TICKETS_BENCH_ORDERS", "1000000"))
NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone.utc)
SPAN_DAYS = 730
LIST_P95_MS = 100.0
CREATE_P95_MS = 20.0

OPERATOR = Actor("operator", "bench")


LOAD_SQL = """
INSERT INTO work_order (channel, call_id, caller_number, caller_name, order_type, category, subject,
  description, county, town, address, status, important, approved, complex_case, unit_id,
  dispatched_at, accepted_at, due_at, extension_days, return_count, redo_count, reply, replied_at,
  resolution, kb_article_ids, satisfaction, closed_at, created_by, created_at, updated_at, search_tokens)
SELECT
  CASE WHEN r3 < 0.8 THEN 'phone' WHEN r3 < 0.95 THEN 'web' ELSE 'sms' END,
  CASE WHEN r3 < 0.8 THEN '17' || lpad(g::text, 8, '0') || '.' || (g % 97) END,
  '13' || lpad((floor(r2 * 1e9))::bigint::text, 9, '0'),
  NULL,
  (ARRAY['consultation','help_request','complaint','report','suggestion','praise'])[1 + (g % 6)],
  (CAST(:cats AS text[]))[1 + t], (CAST(:subjects AS text[]))[1 + t], (CAST(:descs AS text[]))[1 + t],
  NULL, NULL, NULL,
  st,
  false, false, false,
  CASE WHEN st = 'new' THEN NULL ELSE 1 + floor(r2 * 47)::int END,
  CASE WHEN st = 'new' THEN NULL ELSE created + interval '10 minutes' END,
  CASE WHEN st IN ('new', 'dispatched') THEN NULL ELSE created + interval '2 hours' END,
  CASE WHEN st IN ('dispatched', 'in_progress') THEN created + interval '5 days' END,
  0, 0, 0,
  CASE WHEN st IN ('replied', 'caller_notified', 'closed') THEN '已办理' END,
  CASE WHEN st IN ('replied', 'caller_notified', 'closed') THEN created + interval '3 days' END,
  CASE WHEN st = 'closed' THEN (CASE WHEN r3 < 0.3 THEN 'direct' ELSE 'handled' END) END,
  '[]',
  CASE WHEN st = 'closed' THEN (CASE WHEN r1 < 0.9 THEN 'satisfied' ELSE 'dissatisfied' END) END,
  CASE WHEN st = 'closed' THEN created + interval '4 days' END,
  'bench', created, created, (CAST(:tokens AS text[]))[1 + t]
FROM (
  SELECT g, r1, r2, r3, t, created,
    CASE
      WHEN created > CAST(:now AS timestamp) - interval '10 days' THEN
        CASE WHEN r1 < 0.1 THEN 'new' WHEN r1 < 0.4 THEN 'dispatched' WHEN r1 < 0.7 THEN 'in_progress'
             WHEN r1 < 0.8 THEN 'replied' WHEN r1 < 0.85 THEN 'caller_notified' ELSE 'closed' END
      ELSE CASE WHEN r1 < 0.01 THEN 'in_progress' WHEN r1 < 0.015 THEN 'dispatched' ELSE 'closed' END
    END AS st
  FROM (
    SELECT g, random() AS r1, random() AS r2, random() AS r3, (g % CAST(:ntpl AS int)) AS t,
           CAST(:now AS timestamp) - (CAST(:n AS int) - g) * (interval '1 day' * CAST(:span AS int) / CAST(:n AS int))
             AS created
    FROM generate_series(CAST(:lo AS int), CAST(:hi AS int)) AS g
  ) a
) b
"""


def load(url: str, n: int) -> None:
    pairs = labelled_requests()
    descs = [t for _c, t in pairs]
    cats = [c for c, _t in pairs]
    subjects = [t[:20] for t in descs]
    tokens = [service.search_tokens(s, d) for s, d in zip(subjects, descs)]
    engine = create_engine(url)
    step = 200_000
    with engine.begin() as conn, without_indexes(conn, "work_order", "work_order_event"):
        for lo in range(1, n + 1, step):
            conn.execute(text(LOAD_SQL), {"cats": cats, "subjects": subjects, "descs": descs, "tokens": tokens,
                                          "ntpl": len(descs), "now": NOW.replace(tzinfo=None), "n": n,
                                          "span": SPAN_DAYS, "lo": lo, "hi": min(n, lo + step - 1)})
        conn.execute(text("""
            INSERT INTO work_order_event (work_order_id, at, action, from_status, to_status, actor_role,
                                          actor_name, data)
            SELECT id, created_at, 'create', NULL, 'new', 'operator', 'bench', '{}' FROM work_order"""))
        # the search terms as create_order writes them (the tokens are its own terms), with the
        # key and the reference built afterwards as migration 0009 does
        conn.execute(text("ALTER TABLE work_order_term DROP CONSTRAINT work_order_term__pk, "
                          "DROP CONSTRAINT work_order_term__fk__work_order_id__work_order"))
        conn.execute(text("""
            INSERT INTO work_order_term (term, created_at, work_order_id)
            SELECT t, created_at, id FROM work_order, unnest(string_to_array(btrim(search_tokens), ' ')) AS t"""))
        conn.execute(text("ALTER TABLE work_order_term ADD CONSTRAINT work_order_term__pk "
                          "PRIMARY KEY (term, created_at, work_order_id), ADD CONSTRAINT "
                          "work_order_term__fk__work_order_id__work_order FOREIGN KEY (work_order_id) "
                          "REFERENCES work_order (id)"))
    engine.dispose()
    vacuum_analyze(url, "work_order", "work_order_event", "work_order_term")


def main() -> list[tuple[str, bool]]:
    return run_on_pg(run, "cc_bench_tickets", reuse_env="TICKETS_BENCH_DB", keep_env="TICKETS_BENCH_KEEP")


def run(url: str, loaded: bool = False) -> list[tuple[str, bool]]:
    if not loaded:
        db.upgrade(url)
        t = time.perf_counter()
        load(url, N)
        print(f"  loaded {N:,} work orders (+{N:,} events) in {time.perf_counter() - t:.1f} s")
    factory = db.session_factory(url)
    rng = random.Random(7)
    with db.session_scope(factory) as s:
        unit_ids = [u["id"] for u in service.list_units(s)]
        max_id = s.execute(text("select max(id) from work_order")).scalar()
        numbers = [r[0] for r in s.execute(text(
            "select caller_number from work_order tablesample system (1) limit 200"))]
        service.list_orders(s, OPERATOR, NOW, text="预热 加载")  # load the segmenter outside the timings
    terms = ["路灯", "公积金", "物业 电梯", "停水", "拖欠工资", "暖气 不热", "快递", "噪音", "占道", "医保 报销"]

    def with_session(fn):
        def go(i):
            with db.session_scope(factory) as s:
                fn(s, i)
        return go

    cases = {
        "primary-key lookup (baseline)":
            lambda s, i: service.order_dict(s.get(service.WorkOrder, rng.randint(1, max_id)), OPERATOR, NOW),
        "list newest 50": lambda s, i: service.list_orders(s, OPERATOR, NOW),
        "list page 5 (offset 200)": lambda s, i: service.list_orders(s, OPERATOR, NOW, offset=200),
        "filter status=in_progress": lambda s, i: service.list_orders(s, OPERATOR, NOW, status="in_progress"),
        "filter status=closed": lambda s, i: service.list_orders(s, OPERATOR, NOW, status="closed"),
        "filter unit (handler's view)": lambda s, i: service.list_orders(
            s, Actor("unit_handler", "h", unit_ids[i % len(unit_ids)]), NOW),
        "filter unit + status=dispatched": lambda s, i: service.list_orders(
            s, OPERATOR, NOW, unit_id=unit_ids[i % len(unit_ids)], status="dispatched"),
        "due_state=overdue": lambda s, i: service.list_orders(s, OPERATOR, NOW, due_state="overdue"),
        "unit + due_state=due_soon": lambda s, i: service.list_orders(
            s, OPERATOR, NOW, unit_id=unit_ids[i % len(unit_ids)], due_state="due_soon"),
        "created in a given week": lambda s, i: service.list_orders(
            s, OPERATOR, NOW, created_from=NOW - dt.timedelta(days=7 * (i + 2)),
            created_to=NOW - dt.timedelta(days=7 * (i + 1))),
        "search text (one or two words)": lambda s, i: service.list_orders(
            s, OPERATOR, NOW, text=terms[i % len(terms)]),
        "search text + status=closed": lambda s, i: service.list_orders(
            s, OPERATOR, NOW, text=terms[i % len(terms)], status="closed"),
        "search text + due_state=overdue": lambda s, i: service.list_orders(
            s, OPERATOR, NOW, text=terms[i % len(terms)], due_state="overdue"),
        "search caller number": lambda s, i: service.list_orders(s, OPERATOR, NOW, text=numbers[i % len(numbers)]),
    }
    results: dict[str, list[float]] = {}
    for label, fn in cases.items():
        timed(with_session(fn), runs=3)  # warm the cache and the plan
        results[label] = timed(with_session(fn))
    base = p95(results["primary-key lookup (baseline)"])
    print_table(results, base)
    list_ok = all(p95(samples) <= LIST_P95_MS for label, samples in results.items() if "baseline" not in label)

    unit = unit_ids[0]
    intake = dict(channel="phone", order_type="complaint", category="路灯", subject="路灯不亮",
                  description="堂邑镇村里的路灯坏了一排，晚上看不见路", caller_number="13900001234", town="堂邑镇")

    def create_dispatch(i):
        # the operator's flow: register and dispatch while the caller is on the line, one commit
        with db.session_scope(factory) as s:
            service.create_order(s, OPERATOR, NOW, call_id=f"1764554400.{i}", dispatch_to=unit, **intake)

    def create_then_dispatch(i):
        # two separate units of work (two commits): for comparison
        with db.session_scope(factory) as s:
            oid = service.create_order(s, OPERATOR, NOW, call_id=f"1764554401.{i}", **intake)["id"]
        with db.session_scope(factory) as s:
            service.dispatch(s, oid, unit, OPERATOR, NOW)

    def commit_probe(i):
        # the floor: one durable commit of one tiny row on this server's disk
        with db.session_scope(factory) as s:
            s.execute(text("update handling_unit set duty_rank = duty_rank where id = :u"), {"u": unit})

    timed(create_dispatch, runs=5)
    floor = timed(commit_probe, runs=100)
    cd = timed(create_dispatch, runs=200)
    two = timed(create_then_dispatch, runs=100)
    print_table({"one durable commit (floor)": floor, "create + dispatch (one commit)": cd,
                 "create, then dispatch (2 commits)": two}, base)
    with db.session_scope(factory) as s:
        # the indexes each plan reads (e.g. an Index Only Scan of work_order_word__pk for the search)
        print("  plans:", {name: re.findall(r"Scan(?: Backward)? using (\S+)", "\n".join(
            s.execute(text(sql)).scalars())) for name, sql in (
            ("search", "explain select work_order_id from work_order_term where term = '路灯' "
                       "order by created_at desc, work_order_id desc limit 51"),
            ("overdue", "explain select id from work_order where status in ('dispatched','in_progress',"
                        "'extension_requested','returned_for_redo') and due_at < now() order by due_at limit 51"),
        )})
    print(f"  machine {machine_load()} (figures are wall-clock; a shared machine slows all of them)")
    return [
        (f"list/filter/search p95 <= {LIST_P95_MS:.0f} ms with {N:,} work orders", list_ok),
        (f"create + dispatch one order p95 <= {CREATE_P95_MS:.0f} ms with {N:,} work orders",
         p95(cd) <= CREATE_P95_MS),
    ]


if __name__ == "__main__":
    for target, ok in main():
        print("PASS" if ok else "MISS", target)
