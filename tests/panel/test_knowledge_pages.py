"""Knowledge-base pages on the real knowledge service: search during a call, expired
articles flagged, the editor's validation, escaping of article text."""
import datetime as dt
import re

import pytest

from contactcenter.db import session_scope
from tests.panel.conftest import token_for
from tests.panel.seed import NOW

pytest.importorskip("contactcenter.knowledge.service")
from contactcenter.knowledge import service as kb  # noqa: E402


@pytest.fixture
def articles(seeded_url):
    with session_scope(seeded_url) as s:
        a = kb.create_article(s, title="社保关系转移怎么办理", body="参保人跨市流动就业，社保关系可以在新参保地申请转移。",
                              category="社会保障", issuing_body="市人力资源和社会保障局", keywords="社保、转移",
                              effective_on="2025-01-01", now=NOW)
        old = kb.create_article(s, title="2025年供暖收费标准", body="居民供暖费每平方米22元。",
                                category="城市管理", issuing_body="市住房和城乡建设局", keywords="供暖",
                                effective_on="2025-01-01", expires_on="2026-03-15", now=NOW)
        evil = kb.create_article(s, title="<script>alert(1)</script>测试", body="<img src=x onerror=alert(2)>医保",
                                 category="测试", issuing_body="<b>机关</b>", now=NOW)
        return {"social": a.id, "heating": old.id, "evil": evil.id}


def test_search_finds_the_article_and_shows_it_beside_the_hits(as_role, articles):
    html = as_role("operator").get("/knowledge/", query_string={"q": "社保"}).get_data(as_text=True)
    assert re.findall(r'article=(\d+)" class="hit-title"', html) == [str(articles["social"])]
    assert "<mark>社保</mark>" in html
    assert f'id="article-{articles["social"]}"' in html  # the first hit opens beside the list


def test_expired_article_is_flagged(as_role, articles):
    client = as_role("unit_handler")
    html = client.get(f"/knowledge/{articles['heating']}").get_data(as_text=True)
    assert '<span class="badge bad">已失效</span>' in html and "本文已于 2026-03-15 失效" in html
    html = client.get("/knowledge/", query_string={"q": "供暖"}).get_data(as_text=True)
    assert '<span class="badge bad">已失效</span>' in html


def test_an_article_not_yet_in_effect_is_flagged(as_role, seeded_url):
    with session_scope(seeded_url) as s:
        coming = kb.create_article(s, title="2027年供暖收费新标准", body="居民供暖费调整为每平方米23元。",
                                   category="城市管理", issuing_body="市住房和城乡建设局", keywords="供暖",
                                   effective_on="2027-01-01", now=NOW).id
    client = as_role("operator")
    html = client.get(f"/knowledge/{coming}").get_data(as_text=True)
    assert '<span class="badge warn">尚未生效</span>' in html and "本文自 2027-01-01 起施行，目前尚未生效" in html
    html = client.get("/knowledge/", query_string={"q": "供暖"}).get_data(as_text=True)
    assert '<span class="badge warn">2027-01-01 起施行</span>' in html


def test_article_text_is_escaped(as_role, articles):
    client = as_role("operator")
    for path, query in ((f"/knowledge/{articles['evil']}", None), ("/knowledge/", {"q": "医保"}),
                        ("/knowledge/", {"q": "测试"})):
        html = client.get(path, query_string=query).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>机关</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/knowledge/{articles['evil']}").get_data(as_text=True)


def test_overlong_query_gets_a_message(as_role, articles):
    resp = as_role("operator").get("/knowledge/", query_string={"q": "社" * 101})
    assert resp.status_code == 400 and "搜索词不能超过100个字" in resp.get_data(as_text=True)


def test_editor_validates_and_saves(as_role, articles, seeded_url):
    client = as_role("leader")
    token = token_for(client, "/knowledge/new")
    bad = {"title": "", "category": "社会保障", "issuing_body": "市医保局", "body": "正文",
           "effective_on": "2026-12-01", "expires_on": "2026-11-01", "status": "published", "csrf_token": token}
    resp = client.post("/knowledge/new", data=bad)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "标题不能为空" in html and "失效日期必须晚于生效日期" in html
    good = dict(bad, title="医保异地就医备案", expires_on="2027-12-31", keywords="医保 异地")
    resp = client.post("/knowledge/new", data=good)
    assert resp.status_code == 302
    new_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    with session_scope(seeded_url) as s:
        a = kb.get_article(s, new_id, today=dt.date(2026, 12, 3))
        assert (a.title, a.issuing_body, a.effective_on, a.expires_on, a.keywords) == (
            "医保异地就医备案", "市医保局", dt.date(2026, 12, 1), dt.date(2027, 12, 31), ("医保", "异地"))
    resp = client.post(f"/knowledge/{new_id}/edit", data=dict(good, title="医保异地就医备案（更新）"))
    assert resp.status_code == 302
    assert "医保异地就医备案（更新）" in client.get(f"/knowledge/{new_id}").get_data(as_text=True)
    assert client.post(f"/knowledge/{new_id}/archive", data={"csrf_token": token}).status_code == 302
    assert "医保异地就医备案" not in client.get("/knowledge/", query_string={"q": "异地"}).get_data(as_text=True)


@pytest.mark.parametrize("role, expected", [("operator", 403), ("unit_handler", 403), ("callback_agent", 403),
                                            ("leader", 200), ("admin", 200)])
def test_only_leaders_and_admins_edit(as_role, articles, role, expected):
    client = as_role(role)
    assert client.get("/knowledge/new").status_code == expected
    assert client.get(f"/knowledge/{articles['social']}/edit").status_code == expected
    assert client.get("/knowledge/manage").status_code == expected
    assert client.get(f"/knowledge/{articles['social']}").status_code == 200
    assert client.get("/knowledge/", query_string={"q": "社保"}).status_code == 200
