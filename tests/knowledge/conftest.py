import datetime as dt

import pytest

from contactcenter import db
from contactcenter.knowledge import service as kb

TODAY = dt.date(2026, 12, 3)
NOW = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def add(db_url):
    """Create one article in its own unit of work; returns its id."""
    def _add(title, body, keywords=(), category="测试", issuing_body="市测试局", **extra):
        with db.session_scope(db_url) as session:
            return kb.create_article(session, title=title, body=body, keywords=keywords, category=category,
                                     issuing_body=issuing_body, now=NOW, today=TODAY, **extra).id
    return _add


@pytest.fixture
def find(db_url):
    """Search in a fresh session, as the panel would; returns the hits."""
    def _find(query, **kwargs):
        kwargs.setdefault("today", TODAY)
        with db.session_scope(db_url) as session:
            return kb.search(session, query, **kwargs)
    return _find
