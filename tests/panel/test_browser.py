"""Main flows in headless Chromium against the panel on a loopback port.

Each main page is kept as a screenshot in artifacts/screenshots/ (gitignored)."""
import re

import pytest
from playwright.sync_api import expect

from contactcenter.db import session_scope
from tests.panel.browser import shot
from tests.panel.conftest import browser_login

pytestmark = pytest.mark.browser


def test_login_and_wallboard_updates_without_reload(browser_page, seeded_url):
    page = browser_page
    page.goto(f"{page.base}/wallboard/")
    assert page.url.startswith(f"{page.base}/login")
    shot(page, "01-login")
    browser_login(page, "op")
    assert page.url == f"{page.base}/wallboard/"
    assert page.inner_text("[data-key='today.calls']") == "6"
    assert page.inner_text("[data-key='waiting']") == "2"
    shot(page, "02-wallboard")
    # a seat goes from idle to talking and a third caller starts waiting: the page follows by polling
    import datetime as dt

    from contactcenter.cdr.models import Call, Seat
    from tests.panel.seed import NOW

    with session_scope(seeded_url) as s:
        s.get(Seat, "8001").device_state = "talking"
        s.add(Call(call_id="1764720000.9", direction="inbound", caller="13900008888", started_at=NOW,
                   queued_at=NOW, missed=False, short_abandon=False, closed=False))
    expect(page.locator("[data-key='waiting']")).to_have_text("3", timeout=12000)
    assert page.get_attribute("[data-seat='8001']", "class") == "seat talking"
    assert page.inner_text("[data-key='seat_counts.talking']") == "3"
    assert page.url == f"{page.base}/wallboard/"


def test_call_log_filter_and_detail(browser_page):
    page = browser_page
    browser_login(page, "op")
    page.click("text=通话记录")
    page.select_option("select[name=outcome]", "missed")
    page.click("button:has-text('查询')")
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 4
    shot(page, "03-call-log")
    page.click("a[href='/calls/1764720000.4']")
    assert "<script>" in page.inner_text("main")  # the caller name shows as text, nothing ran
    page.fill("#unmask-form input[name=reason]", "来电人要求回电")
    page.click("#unmask-form button")
    assert page.inner_text("#full-number") == "13900003333"
    shot(page, "04-call-detail")


def test_knowledge_search_during_a_call(browser_page, seeded_url):
    kb = pytest.importorskip("contactcenter.knowledge.service")
    from tests.panel.seed import NOW

    with session_scope(seeded_url) as s:
        kb.create_article(s, title="医疗保险异地就医备案办理", body="参保人员异地就医，可通过国家医保服务平台备案。",
                          category="医疗保障", issuing_body="市医疗保障局", keywords="医保、异地就医", now=NOW,
                          effective_on="2025-01-01")
        kb.create_article(s, title="供暖费缴纳时间", body="每年10月15日前缴纳供暖费。", category="城市管理",
                          issuing_body="市住房和城乡建设局", keywords="供暖", now=NOW, effective_on="2025-01-01")
    page = browser_page
    browser_login(page, "op")
    # the operator is on the call log with a caller on the line and uses the header search box
    page.click("text=通话记录")
    page.fill("header input[name=q]", "医保 异地")
    page.press("header input[name=q]", "Enter")
    page.wait_for_load_state("networkidle")
    titles = page.locator("#kb-hits .hit-title").all_inner_texts()
    assert titles[0] == "医疗保险异地就医备案办理"
    assert "国家医保服务平台" in page.inner_text("article")
    shot(page, "05-knowledge-search")


def test_callback_agent_sees_the_list_and_history(browser_page):
    page = browser_page
    browser_login(page, "cb")
    assert page.url == f"{page.base}/callbacks/"
    assert page.locator("#callback-list tbody tr").count() == 1
    assert "139****4444" in page.inner_text("#callback-list")
    shot(page, "06-callbacks")
    page.select_option("select[name=status]", "reached")
    page.click("button:has-text('筛选')")
    page.click("#callback-list tbody tr a >> nth=0")
    assert re.search(r"已接通", page.inner_text("#attempts"))
    shot(page, "07-callback-detail")
