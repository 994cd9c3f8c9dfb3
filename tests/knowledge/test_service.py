"""Knowledge service against real SQLite (FTS5) and PostgreSQL (tsvector) databases."""
import datetime as dt

import pytest

from contactcenter import db
from contactcenter.knowledge import service as kb
from tests.knowledge.conftest import NOW, TODAY


def ids(hits):
    return [h.article_id for h in hits]


def test_two_character_terms_find_articles_inside_longer_words(add, find):
    card = add("社保卡申领", "首次申领请持身份证到合作银行网点办理。")
    insurance = add("居民缴费标准", "城乡居民基本医疗保险个人缴费每人每年400元。")
    heating = add("采暖季安排", "本市集中供暖自11月15日开始。")
    assert ids(find("社保")) == [card]
    assert ids(find("医保")) == [insurance]
    assert ids(find("供暖")) == [heating]


def test_synonyms_work_in_both_directions(add, find):
    minimum = add("困难家庭救助", "家庭人均收入低于最低生活保障标准的可以申请。")
    fund = add("提取规定", "职工购房可以提取住房公积金。")
    short = add("报销比例", "医保住院报销比例为60%至85%。")
    assert ids(find("低保")) == [minimum]
    assert ids(find("公积金")) == [fund]
    assert ids(find("医疗保险")) == [short]


def test_full_width_and_upper_case_input_match(add, find):
    etc = add("高速通行卡", "可在银行网点办理ＥＴＣ，免费安装。")
    assert ids(find("ｅｔｃ")) == [etc]
    assert ids(find("ETC")) == [etc]
    assert find("ＥＴＣ")[0].snippet_html == "可在银行网点办理<mark>ＥＴＣ</mark>，免费安装。"


def test_title_beats_keywords_beats_body_and_expired_comes_last(add, find):
    title = add("供暖期安排", "本市法定采暖季从十一月中旬开始。")
    keyword = add("热费缴纳", "每年九月开始缴纳热费。", keywords=["供暖"])
    body = add("小区服务", "物业负责小区服务，冬季供暖问题请联系热力公司。")
    old = add("供暖期安排（旧）", "上一年度采暖季安排。", effective_on="2024-11-01", expires_on="2025-03-15")
    hits = find("供暖")
    assert ids(hits) == [title, keyword, body, old]
    assert [h.expired for h in hits] == [False, False, False, True]
    assert ids(find("供暖", include_expired=False)) == [title, keyword, body]
    assert hits[0].title_html == "<mark>供暖</mark>期安排"
    assert hits[0].score > hits[1].score > hits[2].score


def test_articles_holding_every_word_come_before_those_holding_some(add, find):
    title = add("供暖期安排", "本市法定采暖季从十一月中旬开始。")
    both = add("热费缴纳", "每年九月开始缴纳热费。", keywords=["供暖"])
    body = add("小区服务", "物业负责小区服务，冬季供暖问题请联系热力公司。")
    assert ids(find("供暖 缴纳")) == [both, title, body]
    assert ids(find("供暖 缴纳", limit=1)) == [both]


def test_expired_from_the_day_after_the_expiry_date(add, find):
    article = add("停水通知", "城区计划停水。", effective_on="2026-11-01", expires_on="2026-12-03")
    assert find("停水", today=dt.date(2026, 12, 3))[0].expired is False
    assert find("停水", today=dt.date(2026, 12, 4))[0].expired is True
    assert find("停水", today=dt.date(2026, 12, 4), include_expired=False) == []
    assert ids(find("停水", today=dt.date(2026, 12, 4))) == [article]


def test_an_article_published_ahead_of_its_effective_date_is_flagged_until_that_day(add, find):
    current = add("停水通知", "城区计划停水。")
    coming = add("新停水规定", "城区停水须提前三天公告。", effective_on="2027-01-01")
    hits = find("停水", today=dt.date(2026, 12, 31))
    # ranks as current (title and body both hold the word), flagged as the coming rule
    assert [(h.article_id, h.not_yet_effective, h.expired) for h in hits] == [
        (current, False, False), (coming, True, False)]
    assert hits[1].effective_on == dt.date(2027, 1, 1)
    assert [h.not_yet_effective for h in find("停水", today=dt.date(2027, 1, 1))] == [False, False]


def test_snippet_escapes_article_markup(add, find):
    add("停水<b>通知</b>", '<script>alert("x")</script>停水通知&nbsp;')
    hit = find("停水")[0]
    assert hit.snippet_html == '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<mark>停水</mark>通知&amp;nbsp;'
    assert hit.title_html == "<mark>停水</mark>&lt;b&gt;通知&lt;/b&gt;"
    assert hit.title == "停水<b>通知</b>"


def test_hit_carries_what_the_panel_shows(add, find):
    article = add("燃气开户", "新房通气须先开户。", issuing_body="市燃气集团有限公司", category="水电气",
                  expires_on="2027-12-31")
    [hit] = find("天然气")
    assert (hit.article_id, hit.title, hit.issuing_body, hit.category, hit.expires_on, hit.expired) == (
        article, "燃气开户", "市燃气集团有限公司", "水电气", dt.date(2027, 12, 31), False)
    assert hit.snippet_html == "新房通气须先开户。"


def test_index_follows_update_archive_and_delete(db_url, add, find):
    article = add("供暖报修", "暖气不热请联系供热企业。")
    other = add("燃气报修", "闻到燃气味请立即关阀开窗。")
    assert ids(find("暖气")) == [article]
    with db.session_scope(db_url) as session:
        updated = kb.update_article(session, article, title="燃气表故障", body="燃气表不走字请联系燃气公司。",
                                    now=NOW + dt.timedelta(hours=1), today=TODAY)
    assert updated.updated_at == NOW + dt.timedelta(hours=1) and updated.created_at == NOW
    assert find("暖气") == []
    assert ids(find("燃气表")) == [article]
    with db.session_scope(db_url) as session:
        kb.update_article(session, article, keywords="暖气、报修")
    assert ids(find("暖气")) == [article]
    with db.session_scope(db_url) as session:
        kb.archive_article(session, article)
        assert kb.get_article(session, article).status == "archived"
    assert ids(find("燃气")) == [other]
    with db.session_scope(db_url) as session:
        kb.delete_article(session, other)
    assert find("燃气") == []
    with db.session_scope(db_url) as session, pytest.raises(kb.ArticleNotFound):
        kb.get_article(session, other)


def test_get_article_returns_all_fields(db_url, add):
    article = add("低保申请", "向镇（街道）申请。", keywords="低保，申请、最低生活保障", effective_on=dt.date(2026, 1, 1),
                  expires_on="2026-06-30")
    with db.session_scope(db_url) as session:
        view = kb.get_article(session, str(article), today=TODAY)
    assert (view.title, view.body, view.keywords, view.effective_on, view.expires_on, view.status, view.expired) == (
        "低保申请", "向镇（街道）申请。", ("低保", "申请", "最低生活保障"), dt.date(2026, 1, 1), dt.date(2026, 6, 30),
        "published", True)
    assert view.created_at == NOW


@pytest.mark.parametrize("fields, errors", [
    ({"title": "  ", "body": ""}, {"title": "标题不能为空", "body": "正文不能为空"}),
    ({"title": "甲" * 201}, {"title": "标题不能超过200个字（现有201个）"}),
    ({"issuing_body": ""}, {"issuing_body": "发文机关不能为空"}),
    ({"effective_on": "2026-13-01"}, {"effective_on": "日期格式应为 YYYY-MM-DD"}),
    ({"effective_on": "2026-06-01", "expires_on": "2026-06-01"}, {"expires_on": "失效日期必须晚于生效日期"}),
    ({"status": "deleted"}, {"status": "状态只能是 draft, published, archived"}),
])
def test_invalid_articles_are_refused_with_every_problem_named(db_url, fields, errors):
    good = dict(title="标题", body="正文", category="分类", issuing_body="市民政局")
    with db.session_scope(db_url) as session, pytest.raises(kb.ArticleInvalid) as caught:
        kb.create_article(session, **{**good, **fields})
    assert caught.value.errors == errors


def test_update_validates_the_merged_article_and_loses_nothing(db_url, add, find):
    article = add("停水通知", "城区计划停水。", effective_on="2026-11-01")
    with db.session_scope(db_url) as session, pytest.raises(kb.ArticleInvalid) as caught:
        kb.update_article(session, article, expires_on="2026-10-01")
    assert caught.value.errors == {"expires_on": "失效日期必须晚于生效日期"}
    with db.session_scope(db_url) as session, pytest.raises(kb.ArticleInvalid) as caught:
        kb.update_article(session, article, ref="x", created_at=NOW)
    assert caught.value.errors == {"created_at": "不能修改这个字段", "ref": "不能修改这个字段"}
    with db.session_scope(db_url) as session, pytest.raises(kb.ArticleNotFound):
        kb.update_article(session, 999999, title="x")
    with db.session_scope(db_url) as session:
        assert kb.get_article(session, article).expires_on is None
    assert ids(find("停水")) == [article]


def test_queries_that_are_empty_or_too_long(add, find):
    add("停水通知", "城区计划停水。")
    assert find("") == []
    assert find("怎么办啊？") == []
    with pytest.raises(ValueError):
        find("停水" * 60)


def test_seed_is_idempotent_and_ships_enough_content(db_url):
    shipped = kb.load_seed_articles()
    with db.session_scope(db_url) as session:
        assert kb.seed_articles(session) == len(shipped)
    with db.session_scope(db_url) as session:
        assert kb.seed_articles(session) == 0
        assert len(kb.list_articles(session, limit=500)) == len(shipped)
    assert len(shipped) >= 300
    assert len({a["title"] for a in shipped}) == len(shipped)
    assert all(a["issuing_body"] for a in shipped)
    assert len({a["category"] for a in shipped}) >= 25
