"""The panel over real HTTP: werkzeug's server on a loopback port, urllib/http.client as the client."""
import http.client
import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request

from tests.panel.conftest import API_TOKEN, PASSWORD


def _opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def _login(live_server, user="op"):
    opener, jar = _opener()
    page = opener.open(f"{live_server.url}/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"username": user, "password": PASSWORD, "csrf_token": token}).encode()
    resp = opener.open(f"{live_server.url}/login", data=body, timeout=10)
    return opener, jar, resp


def test_login_over_http_sets_a_httponly_cookie_and_lands_on_the_wallboard(live_server):
    opener, jar, resp = _login(live_server)
    assert resp.status == 200 and resp.geturl() == f"{live_server.url}/wallboard/"
    assert "实时监控" in resp.read().decode()
    cookie = next(c for c in jar if c.name == "cc_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    data = json.loads(opener.open(f"{live_server.url}/wallboard/data.json", timeout=10).read())
    assert data["today"]["calls"] == 6 and data["waiting"] == 2


def test_static_assets_are_served_locally(live_server):
    conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=10)
    conn.request("GET", "/static/wallboard.js")
    resp = conn.getresponse()
    body = resp.read().decode()
    assert resp.status == 200 and "fetch(url" in body
    conn.request("GET", "/static/panel.css")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Type").startswith("text/css")
    resp.read()
    conn.close()


def test_post_without_csrf_over_http_is_refused(live_server):
    opener, _jar, _ = _login(live_server)
    body = urllib.parse.urlencode({"reason": "核实"}).encode()
    try:
        opener.open(f"{live_server.url}/calls/1764720000.1/unmask", data=body, timeout=10)
        raise AssertionError("POST without CSRF token was accepted")
    except urllib.error.HTTPError as exc:
        assert exc.code == 400


def test_api_over_http_needs_the_bearer_token(live_server):
    conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=10)
    conn.request("GET", "/api/calls?outcome=missed")
    resp = conn.getresponse()
    assert resp.status == 401 and resp.getheader("WWW-Authenticate").startswith("Bearer")
    resp.read()
    conn.request("GET", "/api/calls?outcome=missed", headers={"Authorization": f"Bearer {API_TOKEN}"})
    resp = conn.getresponse()
    data = json.loads(resp.read())
    assert resp.status == 200
    assert [c["call_id"] for c in data["calls"]] == ["1764720000.6", "1764720000.5", "1764720000.4", "1764720000.2"]
    conn.close()


def test_password_guessing_is_slowed_per_user_and_a_login_lasts_the_shift(app):
    from tests.panel.conftest import PASSWORD, login

    client = app.test_client()
    codes = [login(client, "op", "wrong-password").status_code for _ in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429
    # the right password is refused too while the bucket is empty: guessing gains nothing
    assert login(client, "op", PASSWORD).status_code == 429
    other = app.test_client()
    resp = login(other, "boss")
    assert resp.status_code == 302
    cookie = resp.headers["Set-Cookie"]
    assert "cc_session=" in cookie and "Expires=" in cookie and "HttpOnly" in cookie
