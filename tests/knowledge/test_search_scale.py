"""How search fills its list in a large knowledge base (FALLBACK_GROUP_MAX, IDF_SAMPLE made small so a
handful of articles stands for tens of thousands), on both backends."""
import pytest

from contactcenter.knowledge import service as kb


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
