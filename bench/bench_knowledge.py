"""Knowledge-base search at scale: 50,000 articles, on SQLite (the default product database) and on
PostgreSQL, through the real search service (contactcenter.knowledge.service.search).

The shipped articles (data/articles.json, 300+) are seeded by the service; the rest are variations
of them: the same policy as published for each county / district and year (place and year in the
title, keywords and body), with one sentence of another article appended, some archived, drafts or
expired, so every term is spread over many more articles than in the shipped set. Their index
terms are the service's own (search.index_terms) computed once per distinct piece of text and
joined, so loading takes seconds. Every labelled query of data/queries.json is timed (twice), each
in its own session as the panel does; the baseline, measured in the same run, is reading one
article by primary key through the service (get_article).

    KB_BENCH_ARTICLES=50000   number of articles (default 50,000)
    KB_BENCH_KEEP=1           keep the throw-away databases (to inspect query plans)
    CONTACTCENTER_TEST_PG     admin URL of the PostgreSQL server (default postgres@127.0.0.1:5432)
"""
from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, text

from bench.common import machine_load, p95, print_table, throwaway_pg_database, timed, vacuum_analyze
from contactcenter import db
from contactcenter.knowledge import search as kb_text
from contactcenter.knowledge import service as kb
from contactcenter.knowledge.evaluate import load_labelled_queries
from contactcenter.knowledge.models import KnowledgeArticle

N = int(os.environ.get("KB_BENCH_ARTICLES", "50000"))
SEARCH_P95_MS = 30.0
PASSES = 2
TODAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone.utc)
PLACES = ["东昌府区", "茌平区", "临清市", "阳谷县", "莘县", "东阿县", "冠县", "高唐县", "高新技术产业开发区",
          "经济技术开发区", "江北水城旅游度假区"]
YEARS = range(2019, 2027)


def variant_rows(n_variants: int) -> list[dict]:
    """Rows (kb_article columns) for the variations, deterministic."""
    seeds = kb.load_seed_articles()
    cache: dict[str, str] = {}

    def terms(s: str) -> str:
        if s not in cache:
            cache[s] = kb_text.index_terms(s)
        return cache[s]

    sentences = [a["body"].replace("\n", "").split("。")[0] + "。" for a in seeds]
    rng = random.Random(12345)
    rows = []
    for k in range(n_variants):
        a = seeds[k % len(seeds)]
        v = k // len(seeds)
        place, year = PLACES[v % len(PLACES)], YEARS[(v // len(PLACES)) % len(YEARS)]
        other = sentences[(k * 31 + v * 17 + 7) % len(seeds)]
        suffix = f"（{year}年修订）"
        lead = f"{place}："
        tail = f"本文适用于{place}，{year}年修订，具体以{a['issuing_body']}最新公告为准。"
        keywords = list(a["keywords"]) + [place]
        r = rng.random()
        status = "published" if r < 0.9 else "archived" if r < 0.95 else "draft"
        expires = dt.date(year, 12, 31) if rng.random() < 0.1 and year < 2026 else None
        rows.append({
            "ref": None,
            "title": place + a["title"] + suffix,
            "body": lead + a["body"] + other + tail,
            "category": a["category"],
            "keywords": "、".join(keywords),
            "issuing_body": a["issuing_body"],
            "effective_on": dt.date(year, 1, 1),
            "expires_on": expires,
            "status": status,
            "created_at": NOW - dt.timedelta(days=k % 700),
            "updated_at": NOW - dt.timedelta(days=k % 300),
            "title_terms": " ".join((terms(place), terms(a["title"]), terms(suffix))),
            "keyword_terms": " ".join(terms(w) for w in keywords),
            "body_terms": " ".join((terms(lead), terms(a["body"]), terms(other), terms(tail))),
        })
    return rows


def load(url: str, rows: list[dict]) -> int:
    with db.session_scope(url) as s:
        seeded = kb.seed_articles(s, now=NOW)
    table = KnowledgeArticle.__table__
    engine = db.make_engine(url)
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(table), rows[i:i + 5000])
    return seeded + len(rows)


def run(backend: str, url: str, rows: list[dict], queries: list[str]) -> tuple[dict[str, list[float]], float]:
    db.upgrade(url)
    t = time.perf_counter()
    total = load(url, rows)
    if backend == "PostgreSQL":
        vacuum_analyze(url, "kb_article")
    else:
        with db.make_engine(url).begin() as conn:
            conn.execute(text("ANALYZE"))
    print(f"  {backend}: loaded {total:,} articles in {time.perf_counter() - t:.1f} s")
    factory = db.session_factory(url)
    with db.session_scope(factory) as s:
        max_id = s.execute(text("select max(id) from kb_article")).scalar()
    rng = random.Random(3)

    def in_session(fn):
        def go(i):
            with db.session_scope(factory) as s:
                fn(s, i)
        return go

    hits = []
    cases = {
        "get_article by id (baseline)": lambda s, i: kb.get_article(s, rng.randint(1, max_id), today=TODAY),
        "search, labelled queries": lambda s, i: hits.append(
            len(kb.search(s, queries[i % len(queries)], limit=10, today=TODAY))),
    }
    results = {}
    for label, fn in cases.items():
        timed(in_session(fn), runs=20)  # warm the cache and the plans
        hits.clear()
        runs = PASSES * len(queries) if "search" in label else 400
        results[f"{backend}: {label}"] = timed(in_session(fn), runs=runs)
    results[f"{backend}: parse_query only (no database)"] = timed(
        lambda i: kb_text.parse_query(queries[i % len(queries)]), runs=len(queries))
    print(f"  {backend}: {sum(1 for h in hits if h):,} of {len(hits):,} searches found something, "
          f"{sum(hits) / max(1, len(hits)):.1f} hits each")
    return results, p95(results[f"{backend}: get_article by id (baseline)"])


def main() -> list[tuple[str, bool]]:
    queries = [q["query"] for q in load_labelled_queries()]
    kb_text.parse_query("预热")  # load jieba's dictionary outside the timings
    t = time.perf_counter()
    rows = variant_rows(max(0, N - len(kb.load_seed_articles())))
    print(f"  built {len(rows):,} variations in {time.perf_counter() - t:.1f} s; "
          f"{len(queries)} labelled queries, each timed {PASSES}x")
    results: dict[str, list[float]] = {}
    bases = {}
    with tempfile.TemporaryDirectory(prefix="cc_bench_kb_") as tmp:
        url = f"sqlite:///{Path(tmp) / 'kb.db'}"
        try:
            r, bases["SQLite"] = run("SQLite", url, rows, queries)
            results.update(r)
        finally:
            db.dispose_engines()
    with throwaway_pg_database("cc_bench_kb", keep_env="KB_BENCH_KEEP") as url:
        r, bases["PostgreSQL"] = run("PostgreSQL", url, rows, queries)
        results.update(r)
    base = bases["SQLite"]
    print_table(results, base, label="operation (x SQLite baseline)", width=46)
    print(f"  machine {machine_load()} (figures are wall-clock; a shared machine slows all of them)")
    return [(f"knowledge search p95 <= {SEARCH_P95_MS:.0f} ms with {N:,} articles ({backend})",
             p95(results[f"{backend}: search, labelled queries"]) <= SEARCH_P95_MS)
            for backend in ("SQLite", "PostgreSQL")]


if __name__ == "__main__":
    for target, ok in main():
        print("PASS" if ok else "MISS", target)
