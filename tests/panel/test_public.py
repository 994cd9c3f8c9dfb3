"""Public web intake (no login) and the SMS webhook create work orders; the work-order API."""
import pytest
from sqlalchemy import select

from contactcenter.db import session_scope
from tests.panel.conftest import API_TOKEN, SMS_TOKEN, token_for

pytest.importorskip("contactcenter.tickets.service")
from contactcenter.tickets.models import WorkOrder  # noqa: E402

FORM = {"name": "王女士", "phone": "139 0000 5678", "order_type": "help_request", "subject": "路灯不亮",
        "description": "柳园街道兴华路北段路灯已经一周不亮了，晚上出行很不安全。", "county": "东昌府区",
        "address": "兴华路北段"}


def submit(client, data):
    return client.post("/public/intake", data={**data, "csrf_token": token_for(client, "/public/intake")})


def test_public_form_creates_a_web_order_without_login(app, seeded_url):
    client = app.test_client()
    page = client.get("/public/intake")
    assert page.status_code == 200 and "网上诉求登记" in page.get_data(as_text=True)
    resp = submit(client, FORM)
    assert resp.status_code == 200
    order_id = int(resp.get_data(as_text=True).split('id="order-number">')[1].split("<")[0])
    with session_scope(seeded_url) as s:
        o = s.get(WorkOrder, order_id)
        assert (o.channel, o.caller_number, o.caller_name, o.order_type, o.subject, o.created_by, o.status) == (
            "web", "13900005678", "王女士", "help_request", "路灯不亮", "web-form", "new")


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "请填写姓名"), ("phone", "12345", "联系电话应为"), ("phone", "abc", "号码只能包含"),
    ("subject", "灯", "标题至少 4 个字"), ("description", "太短了", "诉求内容至少 10 个字"),
    ("order_type", "spam", "请选择诉求类型"), ("description", "长" * 2001, "诉求内容不能超过 2000 个字"),
])
def test_public_form_validates_each_field(app, seeded_url, field, value, message):
    resp = submit(app.test_client(), {**FORM, field: value})
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    with session_scope(seeded_url) as s:
        assert s.scalar(select(WorkOrder.id)) is None


def test_public_form_escapes_and_needs_csrf(app, seeded_url):
    client = app.test_client()
    assert client.post("/public/intake", data=FORM).status_code == 400  # no CSRF token
    resp = submit(client, {**FORM, "name": "<script>x()</script>", "subject": ""})
    assert "&lt;script&gt;x()&lt;/script&gt;" in resp.get_data(as_text=True)


def test_public_form_is_rate_limited_per_address(app, seeded_url):
    client = app.test_client()
    codes = [submit(client, FORM).status_code for _ in range(6)]
    assert codes == [200, 200, 200, 200, 200, 429]
    with session_scope(seeded_url) as s:
        assert len(s.scalars(select(WorkOrder.id)).all()) == 5


def test_honeypot_catches_robots(app, seeded_url):
    resp = submit(app.test_client(), {**FORM, "website": "http://spam.example"})
    assert resp.status_code == 200
    with session_scope(seeded_url) as s:
        assert s.scalar(select(WorkOrder.id)) is None


def test_sms_webhook_needs_the_token_and_creates_an_order(app, seeded_url):
    client = app.test_client()
    msg = {"from": "+8613900007777", "text": "茌平区振兴街道自来水停水三天了\n请尽快恢复"}
    assert client.post("/public/sms", data=msg).status_code == 401
    assert client.post("/public/sms", data=msg, headers={"Authorization": "Bearer nope"}).status_code == 401
    resp = client.post("/public/sms", json=msg, headers={"Authorization": f"Bearer {SMS_TOKEN}"})
    assert resp.status_code == 201
    order_id = resp.get_json()["work_order_id"]
    with session_scope(seeded_url) as s:
        o = s.get(WorkOrder, order_id)
        assert (o.channel, o.caller_number, o.subject, o.description, o.created_by) == (
            "sms", "13900007777", "茌平区振兴街道自来水停水三天了", msg["text"], "sms-gateway")
    resp = client.post("/public/sms", data={"from": "x", "text": "hi there"}, headers={"X-SMS-Token": SMS_TOKEN})
    assert resp.status_code == 400 and "号码只能包含" in resp.get_json()["error"]


AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def test_work_order_api(app, seeded_url):
    client = app.test_client()
    assert client.get("/api/orders").status_code == 401
    resp = client.post("/api/orders", headers=AUTH, json={"order_type": "suggestion", "category": "交通",
                                                          "subject": "建议增开公交线路", "description": "建议增开K5路夜班车。",
                                                          "caller_number": "13900001212"})
    assert resp.status_code == 201
    created = resp.get_json()
    assert (created["channel"], created["status"], created["caller_number"]) == ("web", "new", "139****1212")
    listing = client.get("/api/orders", headers=AUTH).get_json()
    assert [o["id"] for o in listing["orders"]] == [created["id"]] and listing["has_more"] is False
    one = client.get(f"/api/orders/{created['id']}", headers=AUTH).get_json()
    assert one["history"][0]["action"] == "create" and one["created_at"].endswith("Z")
    assert client.get("/api/orders/999999", headers=AUTH).status_code == 404
    bad = client.post("/api/orders", headers=AUTH, json={"order_type": "x", "category": "c", "subject": "s",
                                                         "description": "d"})
    assert bad.status_code == 400 and "order_type must be one of" in bad.get_json()["error"]
    assert client.post("/api/orders", headers=AUTH, json={"evil": 1}).get_json() == {"error": "unknown field(s): evil"}


def test_sms_is_limited_per_sender_not_for_the_whole_gateway(app, seeded_url):
    client = app.test_client()
    headers = {"X-SMS-Token": SMS_TOKEN}

    def sms(sender, i):
        return client.post("/public/sms", data={"from": sender, "text": f"第{i}条：小区路灯不亮"}, headers=headers).status_code

    # every message comes from the gateway's one address: 12 citizens are all served
    assert [sms(f"139000080{i:02d}", i) for i in range(12)] == [201] * 12
    # one sender flooding is stopped after the burst of 10
    assert [sms("13900009999", i) for i in range(11)] == [201] * 10 + [429]
    with session_scope(seeded_url) as s:
        assert len(s.scalars(select(WorkOrder.id).where(WorkOrder.channel == "sms")).all()) == 22


def test_corrected_mistakes_do_not_use_up_the_public_forms_limit(app, seeded_url):
    client = app.test_client()
    assert [submit(client, {**FORM, "description": "太短了"}).status_code for _ in range(6)] == [400] * 6
    assert submit(client, FORM).status_code == 200
