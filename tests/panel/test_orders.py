"""Work-order pages on the real work-order service: intake from a missed call, dispatch with
the routing suggestion, leader approval, the unit's accept/reply, feedback, redo and close;
a unit handler confined to its own unit's orders whatever id is in the URL."""
import re

import pytest
from sqlalchemy import select

from contactcenter.db import session_scope
from tests.panel.conftest import token_for

ts = pytest.importorskip("contactcenter.tickets.service")
from contactcenter.routing.models import HandlingUnit  # noqa: E402
from contactcenter.tickets.models import WorkOrder, WorkOrderEvent  # noqa: E402


def unit_id(url, code):
    with session_scope(url) as s:
        return s.scalar(select(HandlingUnit.id).where(HandlingUnit.code == code))


def post(client, path, data, page=None):
    token = token_for(client, page or "/orders/")
    return client.post(path, data={**data, "csrf_token": token})


INTAKE = {"channel": "phone", "order_type": "complaint", "category": "供暖", "subject": "小区暖气不热",
          "description": "东昌府区古楼街道光岳路12号院暖气一直不热，室温只有12度，请尽快处理。",
          "county": "东昌府区", "town": "古楼街道", "address": "光岳路12号院"}


def create(client, **extra):
    resp = post(client, "/orders/new", {**INTAKE, "call_id": "1764720000.2", **extra}, page="/orders/new")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def act(client, order_id, action, **data):
    resp = post(client, f"/orders/{order_id}/act/{action}", data, page=f"/orders/{order_id}")
    assert resp.status_code == 302, resp.status_code
    html = client.get(f"/orders/{order_id}").get_data(as_text=True)
    return html


def status_of(url, order_id):
    with session_scope(url) as s:
        return s.get(WorkOrder, order_id).status


def test_intake_form_is_prefilled_from_a_missed_call(as_role):
    html = as_role("operator").get("/orders/new", query_string={"call_id": "1764720000.4"}).get_data(as_text=True)
    assert 'name="call_id" value="1764720000.4"' in html
    assert "139****3333" in html and "未接" in html
    # the caller name from the caller ID is prefilled, escaped
    assert 'value="&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;"' in html
    assert as_role("operator").get("/orders/new", query_string={"call_id": "nope"}).status_code == 404


def test_intake_creates_an_order_linked_to_the_call(as_role, seeded_url):
    order_id = create(as_role("operator"))
    with session_scope(seeded_url) as s:
        o = s.get(WorkOrder, order_id)
        assert (o.channel, o.call_id, o.caller_number, o.order_type, o.status, o.created_by) == (
            "phone", "1764720000.2", "13900002222", "complaint", "new", "op")
    html = as_role("operator").get("/calls/1764720000.2").get_data(as_text=True)
    assert f'href="/orders/{order_id}"' in html


def test_intake_shows_the_services_refusal(as_role):
    resp = post(as_role("operator"), "/orders/new", {**INTAKE, "call_id": "1764720000.2", "subject": ""},
                page="/orders/new")
    assert resp.status_code == 400 and "subject is required" in resp.get_data(as_text=True)


def test_full_flow_dispatch_accept_reply_feedback_redo_close(as_role, seeded_url):
    op, unit = as_role("operator"), as_role("unit_a")
    order_id = create(op)
    html = op.get(f"/orders/{order_id}").get_data(as_text=True)
    # routing suggestion with its reasons: heating is the city heating company's (vertically
    # managed), the place names point at 东昌府区; the first suggestion is preselected
    suggestions = re.search(r'<div class="suggest">(.*?)</div>', html, re.S).group(1)
    assert re.findall(r"<li><b>([^<]+)</b>", suggestions) == ["聊城市热力公司", "聊城市东昌府区"]
    assert "matched 暖气 → 聊城市热力公司" in suggestions and "location town 古楼街道 → 聊城市东昌府区" in suggestions
    assert re.search(rf'<option value="{unit_id(seeded_url, "D26")}" selected>D26 ', html)
    # the operator knows better this time: the district's own heating office takes it
    c01 = unit_id(seeded_url, "C01")
    html = act(op, order_id, "dispatch", unit_id=str(c01), note="请尽快处理")
    assert status_of(seeded_url, order_id) == "dispatched" and "即将到期" not in html
    # the unit sees it in its list, masked, and accepts and replies
    listing = unit.get("/orders/").get_data(as_text=True)
    assert f'data-order="{order_id}"' in listing and "139****2222" in listing and "13900002222" not in listing
    act(unit, order_id, "accept")
    assert status_of(seeded_url, order_id) == "in_progress"
    act(unit, order_id, "reply", reply="已安排热力公司上门排查，管道已疏通，室温恢复到20度。")
    assert status_of(seeded_url, order_id) == "replied"
    act(op, order_id, "notify_caller", channel="sms")
    assert status_of(seeded_url, order_id) == "caller_notified"
    html = act(op, order_id, "record_opinion", satisfaction="dissatisfied", objection_reasonable="yes",
               note="来电人称仍不热")
    assert status_of(seeded_url, order_id) == "returned_for_redo" and "重办 1 次" in html
    act(unit, order_id, "reply", reply="再次上门，更换了阀门，室温22度。")
    act(op, order_id, "notify_caller", channel="sms")
    act(op, order_id, "record_opinion", satisfaction="satisfied")
    assert status_of(seeded_url, order_id) == "closed"
    with session_scope(seeded_url) as s:
        actions = s.scalars(select(WorkOrderEvent.action).where(WorkOrderEvent.work_order_id == order_id)
                            .order_by(WorkOrderEvent.id)).all()
    assert actions == ["create", "dispatch", "accept", "reply", "notify_caller", "record_opinion", "reply",
                       "notify_caller", "record_opinion"]


def test_important_order_goes_to_the_leader(as_role, seeded_url):
    op, boss = as_role("operator"), as_role("leader")
    order_id = create(op, important="1")
    c01 = unit_id(seeded_url, "C01")
    act(op, order_id, "submit_for_approval", unit_id=str(c01), note="涉及群体诉求")
    assert status_of(seeded_url, order_id) == "awaiting_approval"
    listing = boss.get("/orders/", query_string={"status": "awaiting_approval"}).get_data(as_text=True)
    assert f'data-order="{order_id}"' in listing
    html = act(boss, order_id, "approve", instructions="请东昌府区三日内办结并回复")
    assert status_of(seeded_url, order_id) == "dispatched"
    assert "请东昌府区三日内办结并回复" in html


def test_refused_transition_shows_a_clear_message(as_role, seeded_url):
    op = as_role("operator")
    order_id = create(op)
    resp = post(op, f"/orders/{order_id}/act/accept", {}, page=f"/orders/{order_id}")
    assert resp.status_code == 302
    html = op.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "无权操作" in html or "当前状态不能执行此操作" in html
    assert status_of(seeded_url, order_id) == "new"
    post(op, f"/orders/{order_id}/act/dispatch", {"unit_id": ""}, page=f"/orders/{order_id}")
    assert "请选择承办单位" in op.get(f"/orders/{order_id}").get_data(as_text=True)


def test_unit_handler_cannot_reach_another_units_order_by_id(as_role, seeded_url):
    op, unit_a, unit_b = as_role("operator"), as_role("unit_a"), as_role("unit_b")
    order_id = create(op)
    act(op, order_id, "dispatch", unit_id=str(unit_id(seeded_url, "C02")))
    assert unit_b.get(f"/orders/{order_id}").status_code == 200
    assert unit_a.get(f"/orders/{order_id}").status_code == 404
    token = token_for(unit_a, "/orders/")
    for action in ("accept", "return_to_centre", "reply"):
        resp = unit_a.post(f"/orders/{order_id}/act/{action}", data={"csrf_token": token, "reason": "x", "reply": "x"})
        assert resp.status_code == 404
    assert unit_a.post(f"/orders/{order_id}/unmask", data={"csrf_token": token, "reason": "看看"}).status_code == 403
    listing = unit_a.get("/orders/", query_string={"unit_id": str(unit_id(seeded_url, "C02"))}).get_data(as_text=True)
    assert f'data-order="{order_id}"' not in listing
    assert status_of(seeded_url, order_id) == "dispatched"


def test_order_text_is_escaped_everywhere(as_role, seeded_url):
    op = as_role("operator")
    order_id = create(op, subject="<script>alert(1)</script>", description="<img src=x onerror=alert(2)> 暖气不热")
    for path in ("/orders/", f"/orders/{order_id}"):
        html = op.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_operator_unmasks_an_orders_number_with_a_reason(as_role, seeded_url):
    from contactcenter.panel.models import PanelAudit

    op = as_role("operator")
    order_id = create(op)
    assert "13900002222" not in op.get(f"/orders/{order_id}").get_data(as_text=True)
    resp = post(op, f"/orders/{order_id}/unmask", {"reason": "电话告知结果"}, page=f"/orders/{order_id}")
    assert '<strong id="full-number">13900002222</strong>' in resp.get_data(as_text=True)
    with session_scope(seeded_url) as s:
        assert [(a.target, a.reason) for a in s.scalars(select(PanelAudit))] == [
            (f"work_order:{order_id}", "电话告知结果")]


ORDER_PAGES = [("/orders/", {"operator", "callback_agent", "unit_handler", "leader", "admin"}),
               ("/orders/new", {"operator", "admin"}),
               ("/units/", {"operator", "callback_agent", "leader", "admin"}),
               ("/units/{c01}", {"operator", "callback_agent", "leader", "admin"})]


@pytest.mark.parametrize("role", ["operator", "callback_agent", "unit_handler", "leader", "admin"])
def test_order_and_unit_pages_by_role(as_role, seeded_url, role):
    client = as_role(role)
    c01 = unit_id(seeded_url, "C01")
    for path, allowed in ORDER_PAGES:
        assert client.get(path.format(c01=c01)).status_code == (200 if role in allowed else 403), (role, path)
    resp = post(client, f"/units/{c01}", {"name": "聊城市东昌府区", "short_name": "东昌府区", "active": "1"})
    assert resp.status_code == (302 if role == "admin" else 403), role


def test_admin_edits_a_unit(as_role, seeded_url):
    admin = as_role("admin")
    c01 = unit_id(seeded_url, "C01")
    resp = post(admin, f"/units/{c01}", {"name": "聊城市东昌府区", "short_name": "东昌府区", "head_name": "张三",
                                          "places": "古楼街道、新地名街道", "active": "1"})
    assert resp.status_code == 302
    with session_scope(seeded_url) as s:
        u = s.get(HandlingUnit, c01)
        assert (u.head_name, u.places) == ("张三", ["古楼街道", "新地名街道"])


def test_a_phone_order_can_be_written_from_the_blank_form_without_a_call_link(as_role, seeded_url):
    # the form's defaults (channel phone, no call chosen): the operator types the caller's number
    resp = post(as_role("operator"), "/orders/new", {**INTAKE, "caller_number": "139 0000 6666"}, page="/orders/new")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    order_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    with session_scope(seeded_url) as s:
        o = s.get(WorkOrder, order_id)
        assert (o.channel, o.call_id, o.caller_number, o.status) == ("phone", None, "13900006666", "new")
