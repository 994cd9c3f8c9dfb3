"""Page contents against the seeded morning (see seed.py for the worked-out figures),
CSRF, XSS, masking and the audit of unmasking."""
import re

import pytest
from sqlalchemy import select

from contactcenter.db import session_scope
from contactcenter.panel.models import PanelAudit
from tests.panel.conftest import PASSWORD, login, token_for


def test_wallboard_json_has_the_worked_out_figures(as_role):
    data = as_role("operator").get("/wallboard/data.json").get_json()
    assert data["seat_counts"] == {"idle": 1, "ringing": 1, "talking": 2, "paused": 1, "offline": 1}
    assert [(s["seat"], s["state"]) for s in data["seats"]] == [
        ("8001", "idle"), ("8002", "ringing"), ("8003", "talking"), ("8004", "paused"), ("8005", "offline"),
        ("8006", "talking")]
    assert data["waiting"] == 2
    assert data["longest_wait_s"] == 90.0
    assert data["in_progress"] == 2
    assert data["today"] == {"calls": 6, "answered": 2, "missed": 4, "first_attempt_connect_rate": 0.3333,
                             "callers": 5, "callers_reached": 3, "overall_connect_rate": 0.6}
    assert data["at_local"] == "10:00:00"


def test_wallboard_page_renders_figures_and_loads_local_script(as_role):
    html = as_role("leader").get("/wallboard/").get_data(as_text=True)
    assert '<div class="v" data-key="waiting">2</div>' in html
    assert 'data-fmt="seconds">1分30秒</div>' in html
    assert 'data-fmt="percent">33.3%</div>' in html and 'data-fmt="percent">60.0%</div>' in html
    assert 'src="/static/wallboard.js"' in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html  # no CDN


def test_call_log_lists_newest_first_with_masked_numbers(as_role):
    html = as_role("operator").get("/calls/").get_data(as_text=True)
    order = re.findall(r'href="/calls/([0-9.]+)"', html)
    assert order == ["1764720000.8", "1764720000.7", "1764720000.40", "1764720000.6", "1764720000.5",
                     "1764720000.4", "1764720000.3", "1764720000.2", "1764720000.1", "1764600000.1"]
    assert "139****1111" in html and "13900001111" not in html


@pytest.mark.parametrize("query, expected", [
    ({"outcome": "missed"}, ["1764720000.6", "1764720000.5", "1764720000.4", "1764720000.2"]),
    ({"outcome": "answered", "seat": "8001"}, ["1764720000.1", "1764600000.1"]),
    ({"caller": "+86 139-0000-2222"}, ["1764720000.3", "1764720000.2"]),
    ({"from": "2026-12-03T08:31", "to": "2026-12-03T08:55"}, ["1764720000.4", "1764720000.3"]),
    ({"from": "2026-12-03T08:30", "to": "2026-12-03T08:40"}, ["1764720000.2"]),  # from inclusive, to exclusive
    ({"to": "2026-12-02"}, ["1764600000.1"]),
    ({"direction": "callback"}, ["1764720000.40"]),
])
def test_call_log_filters(as_role, query, expected):
    html = as_role("operator").get("/calls/", query_string=query).get_data(as_text=True)
    assert re.findall(r'href="/calls/([0-9.]+)"', html) == expected


@pytest.mark.parametrize("query, message", [
    ({"from": "last tuesday"}, "时间格式不正确"),
    ({"caller": "139'; DROP TABLE call;--"}, "号码只能包含"),
    ({"seat": "80 01"}, "坐席号只能是"),
    ({"outcome": "exploded"}, "未知的结果"),
])
def test_call_log_bad_filters_get_a_clear_message(as_role, query, message):
    resp = as_role("operator").get("/calls/", query_string=query)
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)


def test_call_log_pages_by_keyset(app, as_role, seeded_url):
    from contactcenter.panel import queries

    client = as_role("operator")
    with app.app_context():
        from contactcenter.panel.web import db

        first, cursor = queries.call_page(db(), queries.CallFilter(), limit=4)
        second, cursor2 = queries.call_page(db(), queries.CallFilter(), before=cursor, limit=4)
        third, cursor3 = queries.call_page(db(), queries.CallFilter(), before=cursor2, limit=4)
    ids = [c.call_id for c in first + second + third]
    assert ids == ["1764720000.8", "1764720000.7", "1764720000.40", "1764720000.6", "1764720000.5",
                   "1764720000.4", "1764720000.3", "1764720000.2", "1764720000.1", "1764600000.1"]
    assert cursor3 is None
    # the page's "next" link carries the cursor
    assert "下一页" not in client.get("/calls/").get_data(as_text=True)


def test_call_detail_shows_legs_and_callback(as_role):
    html = as_role("operator").get("/calls/1764720000.4").get_data(as_text=True)
    assert "回拨任务 #" in html and "已回访" in html
    html = as_role("operator").get("/calls/1764720000.1").get_data(as_text=True)
    assert html.count("<td>8002</td>") == 1 and "未接" in html and "<td>8001</td>" in html


def test_caller_name_with_script_is_escaped(as_role):
    for path in ("/calls/", "/calls/1764720000.4"):
        html = as_role("operator").get(path).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html


def test_post_without_csrf_token_is_refused(as_role, app):
    client = as_role("operator")
    resp = client.post("/calls/1764720000.1/unmask", data={"reason": "回访核实"})
    assert resp.status_code == 400
    assert "CSRF" in resp.get_data(as_text=True)
    # nor can one log in without it
    anon = app.test_client()
    assert anon.post("/login", data={"username": "op", "password": PASSWORD}).status_code == 400


def test_unmask_needs_a_reason_and_is_audited(as_role, seeded_url):
    client = as_role("operator")
    token = token_for(client, "/calls/1764720000.1")
    resp = client.post("/calls/1764720000.1/unmask", data={"reason": "", "csrf_token": token})
    assert resp.status_code == 302
    assert "请填写查看原因" in client.get(resp.headers["Location"]).get_data(as_text=True)
    resp = client.post("/calls/1764720000.1/unmask", data={"reason": "来电人要求回电核实", "csrf_token": token})
    assert '<strong id="full-number">13900001111</strong>' in resp.get_data(as_text=True)
    with session_scope(seeded_url) as s:
        rows = s.scalars(select(PanelAudit)).all()
        assert [(a.username, a.action, a.target, a.reason) for a in rows] == [
            ("op", "unmask_number", "call:1764720000.1", "来电人要求回电核实")]


def test_login_refuses_wrong_password_and_unknown_user(app):
    client = app.test_client()
    for user, pw in (("op", "wrong-password"), ("nobody", PASSWORD)):
        resp = login(client, user, pw)
        assert resp.status_code == 200 and "用户名或密码错误" in resp.get_data(as_text=True)
    assert client.get("/wallboard/").status_code == 302


def test_login_never_redirects_off_site(app):
    client = app.test_client()
    token = token_for(client)
    resp = client.post("/login?next=//evil.example/x", data={"username": "op", "password": PASSWORD,
                                                            "csrf_token": token})
    assert resp.headers["Location"] == "/wallboard/"


def test_session_cookie_is_httponly_and_lax(app):
    client = app.test_client()
    resp = login(client, "op")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_secure_cookie_is_configurable(seeded_url):
    from contactcenter.config import Settings
    from contactcenter.panel import create_app

    app = create_app(Settings(db_url=seeded_url, panel_secret_key="k", extra={"panel_cookie_secure": True}),
                     testing=True)
    resp = login(app.test_client(), "op")
    assert "Secure" in resp.headers["Set-Cookie"]


def test_logout_needs_post_and_ends_the_session(as_role):
    client = as_role("operator")
    assert client.get("/logout").status_code == 405
    token = token_for(client, "/wallboard/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/wallboard/").status_code == 302


def test_disabled_user_is_logged_out_everywhere(as_role, app):
    op = as_role("operator")
    admin = as_role("admin")
    from contactcenter.panel.models import PanelUser

    with app.app_context():
        from contactcenter.panel.web import db

        user_id = db().scalar(select(PanelUser.id).where(PanelUser.username == "op"))
    token = token_for(admin, "/admin/users")
    assert admin.post(f"/admin/users/{user_id}/active", data={"csrf_token": token}).status_code == 302
    assert op.get("/wallboard/").status_code == 302
    assert login(app.test_client(), "op").status_code == 200  # refused: form shown again


def test_admin_creates_a_user_with_validation(as_role):
    admin = as_role("admin")
    token = token_for(admin, "/admin/users")
    resp = admin.post("/admin/users", data={"username": "new_unit", "password": "longenough1", "role": "unit_handler",
                                            "unit": "", "csrf_token": token})
    assert resp.status_code == 400 and "承办单位用户必须指定所属单位" in resp.get_data(as_text=True)
    resp = admin.post("/admin/users", data={"username": "new_unit", "password": "longenough1", "role": "unit_handler",
                                            "unit": "ZZZ", "csrf_token": token})
    assert resp.status_code == 400 and "没有代码为 ZZZ 的承办单位" in resp.get_data(as_text=True)
    resp = admin.post("/admin/users", data={"username": "x y", "password": "longenough1", "role": "operator",
                                            "csrf_token": token})
    assert "用户名须为" in resp.get_data(as_text=True)
    resp = admin.post("/admin/users", data={"username": "new_op", "password": "longenough1", "role": "operator",
                                            "display_name": "<b>新</b>", "csrf_token": token})
    assert resp.status_code == 302
    html = admin.get("/admin/users").get_data(as_text=True)
    assert "new_op" in html and "&lt;b&gt;新&lt;/b&gt;" in html
    assert login(admin.application.test_client(), "new_op", "longenough1").status_code == 302


def test_callback_list_shows_open_tasks_and_attempt_history(as_role, seeded_url):
    client = as_role("callback_agent")
    html = client.get("/callbacks/").get_data(as_text=True)
    assert "139****4444" in html and "待回拨" in html
    assert "139****3333" not in html  # reached: not open any more
    html = client.get("/callbacks/", query_string={"status": "reached"}).get_data(as_text=True)
    assert "139****3333" in html
    from contactcenter.redial.models import CallbackTask

    with session_scope(seeded_url) as s:
        reached = s.scalar(select(CallbackTask.id).where(CallbackTask.status == "reached"))
    html = client.get(f"/callbacks/{reached}").get_data(as_text=True)
    assert 'href="/calls/1764720000.40"' in html and "已接通" in html and 'href="/calls/1764720000.4"' in html
    # the callback call's own page leads back to its task
    assert f'href="/callbacks/{reached}"' in client.get("/calls/1764720000.40").get_data(as_text=True)
