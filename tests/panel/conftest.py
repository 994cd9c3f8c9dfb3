"""Panel fixtures: an app on a fresh database, one user per role, a logged-in client."""
from __future__ import annotations

import re
import shutil

import pytest

from contactcenter.config import Settings
from contactcenter import db
from contactcenter.db import session_scope
from contactcenter.panel import create_app
from contactcenter.panel.accounts import create_user
from tests.panel.seed import NOW, seed_all

PASSWORD = "correct-horse-9"
API_TOKEN = "api-token-for-tests-0123456789"
SMS_TOKEN = "sms-token-for-tests-0123456789"
USERS = {
    # username: (role, unit)
    "op": ("operator", None),
    "cb": ("callback_agent", None),
    # seeded handling units (migration 0003): C01 东昌府区, C02 茌平区
    "unit_a": ("unit_handler", "C01"),
    "unit_b": ("unit_handler", "C02"),
    "boss": ("leader", None),
    "root": ("admin", None),
}
ROLE_USER = {"operator": "op", "callback_agent": "cb", "unit_handler": "unit_a", "leader": "boss", "admin": "root"}


def make_app(url: str):
    settings = Settings(db_url=url, panel_secret_key="test-secret-key", api_token=API_TOKEN, sms_token=SMS_TOKEN)
    app = create_app(settings, testing=True)
    app.extensions["cc_clock"] = lambda: NOW
    return app


def add_users(url: str) -> None:
    with session_scope(url) as s:
        for name, (role, unit) in USERS.items():
            create_user(s, name, PASSWORD, role, unit=unit, display_name=f"用户{name}", now=NOW)


@pytest.fixture(scope="session")
def _seeded_template(_sqlite_template, tmp_path_factory):
    """Users and calls seeded once (password hashing is deliberately slow); copied per test."""
    path = tmp_path_factory.mktemp("panel-seeded") / "seeded.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    add_users(url)
    with session_scope(url) as s:
        seed_all(s)
    db._engines.pop(url).dispose()
    return path


@pytest.fixture
def seeded_url(tmp_path, _seeded_template):
    path = tmp_path / "panel.db"
    shutil.copy(_seeded_template, path)
    url = f"sqlite:///{path}"
    yield url
    engine = db._engines.pop(url, None)
    if engine is not None:
        engine.dispose()


@pytest.fixture
def app(seeded_url):
    return make_app(seeded_url)


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "page has no CSRF token"
    return m.group(1) or m.group(2)


def login(client, username: str, password: str = PASSWORD):
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def token_for(client, path: str = "/login") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


@pytest.fixture
def as_role(app):
    """as_role('leader') -> a test client logged in with that role."""

    def _client(role_or_user: str):
        client = app.test_client()
        user = ROLE_USER.get(role_or_user, role_or_user)
        resp = login(client, user)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return client

    return _client


class LiveServer:
    """The app served by werkzeug on 127.0.0.1 (ephemeral port) in a thread."""

    def __init__(self, app):
        import threading

        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    server = LiveServer(app)
    yield server
    server.stop()


# module scope: Playwright's sync API runs an event loop on this thread while it is open, and
# later tests (asyncio.run in the AMI and dispatcher tests) need the thread free again
@pytest.fixture(scope="module")
def _browser():
    from tests.panel.browser import ARGS, chromium_or_skip

    executable = chromium_or_skip()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(_browser, live_server):
    """A fresh browser context (own cookies) at 1366x768, the operators' screen size."""
    context = _browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                   timezone_id="Asia/Shanghai")
    context.set_default_timeout(10000)
    page = context.new_page()
    page.base = live_server.url
    yield page
    context.close()


def browser_login(page, user: str, password: str = PASSWORD):
    page.goto(f"{page.base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
