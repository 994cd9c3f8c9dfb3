"""Retrieval quality of knowledge search on the labelled queries (data/queries.json): recall@k and MRR."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.knowledge import search as kb_text
from contactcenter.knowledge.models import KnowledgeArticle
from contactcenter.knowledge.service import search


def load_labelled_queries() -> list[dict]:
    """[{"query": "社保卡丢了", "relevant": ["sb-004"]}, ...]"""
    return json.loads((kb_text.DATA_DIR / "queries.json").read_text(encoding="utf-8"))


@dataclass
class Evaluation:
    queries: int
    k: int
    recall_at_k: float  # share of queries with a relevant article in the top k
    mrr: float  # mean of 1 / rank of the first relevant article (0 when not in the top 10)
    misses: list[dict] = field(default_factory=list)  # queries with no relevant article in the top k


def evaluate(session: Session, labelled: list[dict] | None = None, k: int = 5,
             today: dt.date | None = None) -> Evaluation:
    """Run every labelled query against the seeded articles (matched by ref)."""
    items = load_labelled_queries() if labelled is None else labelled
    ids = dict(session.execute(select(KnowledgeArticle.ref, KnowledgeArticle.id).where(KnowledgeArticle.ref.is_not(None))).all())
    refs = {v: k_ for k_, v in ids.items()}
    found_in_k = 0
    reciprocal = 0.0
    misses = []
    for item in items:
        wanted = {ids[r] for r in item["relevant"] if r in ids}
        hits = search(session, item["query"], limit=10, today=today)
        rank = next((i for i, h in enumerate(hits, 1) if h.article_id in wanted), None)
        if rank is not None:
            reciprocal += 1 / rank
        if rank is not None and rank <= k:
            found_in_k += 1
        else:
            misses.append({"query": item["query"], "relevant": item["relevant"], "rank": rank,
                           "got": [refs.get(h.article_id, h.article_id) for h in hits[:k]]})
    n = len(items) or 1
    return Evaluation(queries=len(items), k=k, recall_at_k=found_in_k / n, mrr=reciprocal / n, misses=misses)
