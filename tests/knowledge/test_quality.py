"""Retrieval quality on the shipped articles and labelled operator queries, on both backends."""
import datetime as dt

from contactcenter import db
from contactcenter.knowledge import service as kb
from contactcenter.knowledge.evaluate import evaluate, load_labelled_queries


def test_labelled_queries_are_enough_and_point_at_shipped_articles():
    labelled = load_labelled_queries()
    refs = {a["ref"] for a in kb.load_seed_articles()}
    assert len(labelled) >= 100
    assert all(item["relevant"] and set(item["relevant"]) <= refs for item in labelled)
    # how operators type: mostly short
    short = [item for item in labelled if len(item["query"]) <= 6]
    assert len(short) / len(labelled) >= 0.9


def test_recall_at_5_meets_the_target(db_url):
    with db.session_scope(db_url) as session:
        kb.seed_articles(session)
    with db.session_scope(db_url) as session:
        result = evaluate(session, today=dt.date(2026, 12, 3))
    assert result.queries == len(load_labelled_queries())
    assert result.recall_at_k >= 0.95, result.misses
    assert result.mrr >= 0.85
