"""Leader duty and statistics pages on the real services; CSV export."""
import csv
import io

import pytest

from tests.panel.conftest import token_for

pytest.importorskip("contactcenter.duty.service")
pytest.importorskip("contactcenter.stats.queries")


def test_operator_plans_duty_and_the_leader_reads_a_digest(as_role):
    op, boss = as_role("operator"), as_role("leader")
    resp = op.post("/duty/plan", data={"weeks": "4", "csrf_token": token_for(op, "/duty/")})
    assert resp.status_code == 302
    html = boss.get("/duty/").get_data(as_text=True)
    # Wednesdays after Thursday 3 Dec 2026: 9, 16, 23, 30 Dec; the first is within a week: published
    assert [d for d in ("2026-12-09", "2026-12-16", "2026-12-23", "2026-12-30") if d in html] == [
        "2026-12-09", "2026-12-16", "2026-12-23", "2026-12-30"]
    assert html.count("已发布") == 1 and html.count("待发布") == 3
    assert boss.post("/duty/plan", data={"weeks": "4", "csrf_token": token_for(boss, "/duty/")}).status_code == 403
    digest_link = html.split('href="/duty/digest/')[1].split('"')[0]
    page = boss.get(f"/duty/digest/{digest_link}")
    assert page.status_code == 200 and "近 30 天热点话题" in page.get_data(as_text=True)


def test_stats_page_figures_and_charts(as_role):
    html = as_role("leader").get("/stats/", query_string={"from": "2026-12-03", "to": "2026-12-03"}).get_data(as_text=True)
    # 8 inbound calls started on 3 Dec; two are still in progress (neither answered nor missed
    # yet, so not counted); 2 answered
    assert '<div class="v">6</div><div class="k">呼入</div>' in html
    assert '<div class="v">2</div><div class="k">接听</div>' in html
    assert html.count("<svg") >= 4 and "<script" not in html


def test_stats_csv_export(as_role):
    resp = as_role("admin").get("/stats/export.csv", query_string={"from": "2026-12-02", "to": "2026-12-03"})
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["date"], r["calls"], r["answered"]) for r in rows] == [("2026-12-02", "1", "1"), ("2026-12-03", "6", "2")]
    assert as_role("admin").get("/stats/export.csv", query_string={"kind": "bogus"}).status_code == 400


@pytest.mark.parametrize("role, code", [("operator", 403), ("callback_agent", 403), ("unit_handler", 403),
                                        ("leader", 200), ("admin", 200)])
def test_stats_only_for_leaders_and_admins(as_role, role, code):
    assert as_role(role).get("/stats/").status_code == code


def test_stats_bad_period(as_role):
    resp = as_role("leader").get("/stats/", query_string={"from": "2026-12-05", "to": "2026-12-01"})
    assert resp.status_code == 400 and "开始日期不能晚于结束日期" in resp.get_data(as_text=True)
    for period in ({"from": "0001-01-01", "to": "0001-01-02"}, {"from": "9999-12-30", "to": "9999-12-31"}):
        resp = as_role("leader").get("/stats/", query_string=period)
        assert resp.status_code == 400 and "日期应在 2000 年至 2100 年之间" in resp.get_data(as_text=True)
