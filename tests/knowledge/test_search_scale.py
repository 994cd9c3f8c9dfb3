"""How search fills its list in a large knowledge base (FALLBACK_GROUP_MAX, IDF_SAMPLE made small so a
handful of articles stands for tens of thousands), on both backends."""
import datetime as dt

import pytest
from sqlalchemy import insert

from contactcenter import db
from contactcenter.knowledge import search as kb_text
from contactcenter.knowledge import service as kb
from contactcenter.knowledge.models import KnowledgeArticle

NOW = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.timezone.utc)


def ids(hits):
    return [h.article_id for h in hits]


@pytest.fixture
def four(add):
    return {
        "title": add("供暖期安排", "本市法定采暖季从十一月中旬开始。"),
        "both": add("热费缴纳", "每年九月开始缴纳热费。", keywords=["供暖"]),
        "body": add("小区服务", "物业负责小区服务，冬季供暖问题请联系热力公司。"),
        "other": add("物业费缴纳", "物业费按季度缴纳。"),
    }


def test_while_every_word_is_rare_enough_the_fill_takes_every_article_holding_some(four, find):
    hits = ids(find("供暖 缴纳"))
    assert hits[0] == four["both"]
    assert set(hits) == set(four.values())


def test_a_common_word_brings_no_article_in_by_itself(four, find, monkeypatch):
    monkeypatch.setattr(kb, "FALLBACK_GROUP_MAX", 2)
    monkeypatch.setattr(kb, "IDF_SAMPLE", 2)
    # 供暖 is in three articles, more than FALLBACK_GROUP_MAX; 缴纳 in two
    assert ids(find("供暖 缴纳")) == [four["both"], four["other"]]


def test_when_every_word_is_common_the_rarest_brings_the_others_in(four, find, monkeypatch):
    monkeypatch.setattr(kb, "FALLBACK_GROUP_MAX", 1)
    monkeypatch.setattr(kb, "IDF_SAMPLE", 2)
    assert ids(find("供暖 缴纳")) == [four["both"], four["other"]]


def test_words_in_no_article_do_not_keep_the_others_apart(four, find, monkeypatch):
    monkeypatch.setattr(kb, "FALLBACK_GROUP_MAX", 1)
    monkeypatch.setattr(kb, "IDF_SAMPLE", 2)
    # nothing holds 火箭: those holding both words that are somewhere come first, then the rarest word's
    assert ids(find("供暖 缴纳 火箭")) == [four["both"], four["other"]]


def test_an_empty_knowledge_base_finds_nothing_through_the_fill(find, monkeypatch):
    # two words, nothing holds both: the fill counts the groups of an empty table
    assert find("供暖 缴纳") == []
    monkeypatch.setattr(kb, "IDF_SAMPLE", 2)
    assert find("供暖 缴纳") == []


def test_group_counts_on_postgresql_sample_the_common_and_count_the_rare(db_url, monkeypatch):
    with db.session_scope(db_url) as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("SQLite counts its FTS5 doclists")
    # 120 articles over 11 pages: 供暖 in every third title, 缴纳 in 8 others, 火箭 nowhere
    rows = [dict(title=f"文章{i}", body="正文" * 300, category="测试", keywords="", issuing_body="市测试局",
                 status="published", created_at=NOW, updated_at=NOW, keyword_terms="", body_terms="正文 " * 300,
                 title_terms="供暖" if i % 3 == 0 else "缴纳" if i % 10 == 1 else "其他") for i in range(120)]
    with db.make_engine(db_url).begin() as conn:
        conn.execute(insert(KnowledgeArticle.__table__), rows)
    query = kb_text.parse_query("供暖 缴纳 火箭")
    with db.session_scope(db_url) as session:
        # at most IDF_SAMPLE ids: every article is looked at
        assert kb._pg_group_counts(session, query) == (120, [40, 8, 0])
        monkeypatch.setattr(kb, "IDF_SAMPLE", 40)
        monkeypatch.setattr(kb, "FALLBACK_GROUP_MAX", 20)
        # a third of the pages (the repeatable sample holds 22 articles, 7 with 供暖): the total and
        # 供暖 are scaled up, 缴纳 (estimated rare) and 火箭 are counted exactly
        assert kb._pg_group_counts(session, query) == (66, [21, 8, 0])
        monkeypatch.setattr(kb, "IDF_SAMPLE", 2)
        # the sample of 2 % of an 11-page table holds no article: too few to scale, all are counted
        assert kb._pg_group_counts(session, query) == (120, [40, 8, 0])
