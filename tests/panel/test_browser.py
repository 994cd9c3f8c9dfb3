"""Main flows in headless Chromium against the panel on a loopback port.

Each main page is kept as a screenshot in artifacts/screenshots/ (gitignored)."""
import re

import pytest
from playwright.sync_api import expect

from sqlalchemy import select

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


def test_callback_agent_works_the_callback_list(browser_page, seeded_url):
    page = browser_page
    browser_login(page, "cb")
    assert page.url == f"{page.base}/callbacks/"
    assert page.locator("#callback-list tbody tr").count() == 1
    assert "139****4444" in page.inner_text("#callback-list")
    shot(page, "06-callbacks")
    if page.locator("button.call-now").count():  # the dialer's service is installed
        from contactcenter.redial.models import CallbackTask

        page.click("button.call-now")
        assert "已排到最前" in page.inner_text(".flash")
        with session_scope(seeded_url) as s:
            assert s.scalar(select(CallbackTask.priority).where(CallbackTask.number == "13900004444")) == -1
        page.click("#callback-list button.skip")
        assert "已跳过" in page.inner_text(".flash")
        assert page.locator("#callback-list tbody tr td.muted").inner_text() == "回拨列表为空。"
    page.select_option("select[name=status]", "reached")
    page.click("button:has-text('筛选')")
    page.click("#callback-list tbody tr a >> nth=0")
    assert re.search(r"已接通", page.inner_text("#attempts"))
    shot(page, "07-callback-detail")


def _act(page, action, **fields):
    form = page.locator(f"form.act-{action}")
    for name, value in fields.items():
        el = form.locator(f"[name={name}]")
        if el.evaluate("e => e.tagName") == "SELECT":
            el.select_option(value)
        else:
            el.fill(value)
    form.locator("button").click()
    page.wait_for_load_state("networkidle")
    flash = page.locator(".flash").first.inner_text()
    assert "已完成" in flash, flash


def test_work_order_from_missed_call_to_closed(_browser, live_server, seeded_url):
    pytest.importorskip("contactcenter.tickets.service")
    from contactcenter.tickets.models import WorkOrder

    def new_page():
        ctx = _browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        ctx.set_default_timeout(10000)
        p = ctx.new_page()
        p.base = live_server.url
        return p

    op = new_page()
    browser_login(op, "op")
    # the operator finds the missed call in the call log and registers an order from it
    op.goto(f"{op.base}/calls/?outcome=missed")
    op.click("a[href='/calls/1764720000.2']")
    op.click("text=由此通话创建工单")
    assert op.input_value("input[name=call_id]") == "1764720000.2"
    op.select_option("select[name=order_type]", "complaint")
    op.fill("input[name=category]", "供暖")
    op.fill("input[name=subject]", "小区暖气不热")
    op.fill("textarea[name=description]", "东昌府区古楼街道光岳路12号院暖气一直不热，室温只有12度。")
    op.fill("input[name=county]", "东昌府区")
    op.fill("input[name=town]", "古楼街道")
    shot(op, "08-order-intake")
    op.click("#intake button")
    order_id = int(op.url.rsplit("/", 1)[1])
    assert op.inner_text("#order-status") == "待派发"
    assert "派发建议" in op.inner_text("#order-actions")
    shot(op, "09-order-dispatch")
    c01 = op.locator("form.act-dispatch option", has_text="C01 ").get_attribute("value")
    _act(op, "dispatch", unit_id=c01, note="请尽快处理")
    assert op.inner_text("#order-status") == "已派发待签收"

    unit = new_page()
    browser_login(unit, "unit_a")
    assert unit.url == f"{unit.base}/orders/"
    unit.click(f"tr[data-order='{order_id}'] a >> nth=0")
    assert "139****2222" in unit.inner_text("main") and "13900002222" not in unit.content()
    _act(unit, "accept")
    _act(unit, "reply", reply="已安排热力站上门排查，室温恢复到20度。")
    shot(unit, "10-order-unit-reply")
    assert unit.inner_text("#order-status") == "单位已答复"

    op.reload()
    assert "室温恢复到20度" in op.inner_text("#order-reply")
    _act(op, "notify_caller", channel="sms")
    _act(op, "record_opinion", satisfaction="satisfied", note="来电人表示满意")
    assert op.inner_text("#order-status") == "已办结"
    shot(op, "11-order-closed")
    with session_scope(seeded_url) as s:
        o = s.get(WorkOrder, order_id)
        assert (o.status, o.satisfaction, o.call_id) == ("closed", "satisfied", "1764720000.2")
    op.goto(f"{op.base}/orders/")
    shot(op, "12-orders-list")
    op.context.close()
    unit.context.close()
