"""Every page, every role: allowed roles get the page, others get 403, strangers the login.

The table lists each route with the roles allowed (written out, not derived from the
permission table, so a wrong permission is caught)."""
import pytest

from tests.panel.conftest import ROLE_USER

CENTRE = {"operator", "callback_agent", "leader", "admin"}
ALL = CENTRE | {"unit_handler"}

# (rule, concrete path, roles allowed)
PAGES = [
    ("/wallboard/", "/wallboard/", CENTRE),
    ("/wallboard/data.json", "/wallboard/data.json", CENTRE),
    ("/calls/", "/calls/", CENTRE),
    ("/calls/<path:call_id>", "/calls/1764720000.1", CENTRE),
    ("/callbacks/", "/callbacks/", CENTRE),
    ("/callbacks/<int:task_id>", "/callbacks/{pending}", CENTRE),
    ("/admin/users", "/admin/users", {"admin"}),
    ("/admin/seats", "/admin/seats", {"admin"}),
    ("/admin/settings", "/admin/settings", {"admin"}),
    ("/admin/audit", "/admin/audit", {"admin"}),
    ("/welcome", "/welcome", ALL),
]
# POST-only routes: a logged-in user without the role is refused before anything happens
POSTS = [
    ("/calls/<path:call_id>/unmask", "/calls/1764720000.1/unmask", CENTRE),
    ("/admin/users/<int:user_id>/active", "/admin/users/1/active", {"admin"}),
    ("/admin/users/<int:user_id>/password", "/admin/users/1/password", {"admin"}),
]
PUBLIC = {"/login", "/logout", "/", "/healthz", "/static/<path:filename>"}
API = {"/api/openapi.json", "/api/calls", "/api/calls/<path:call_id>", "/api/callbacks",
       "/api/callbacks/<int:task_id>"}


def _path(template: str, ids: dict) -> str:
    return template.format(**ids)


@pytest.fixture
def task_ids(seeded_url):
    from sqlalchemy import select

    from contactcenter.db import session_scope
    from contactcenter.redial.models import CallbackTask

    with session_scope(seeded_url) as s:
        return {"pending": s.scalar(select(CallbackTask.id).where(CallbackTask.status == "pending"))}


def test_every_route_is_in_the_table(app):
    rules = {r.rule for r in app.url_map.iter_rules()}
    covered = {p[0] for p in PAGES} | {p[0] for p in POSTS} | PUBLIC | API | extra_rules(app)
    assert rules == covered, f"routes missing from the role table: {sorted(rules - covered)}"


def extra_rules(app) -> set[str]:
    """Routes of areas served once their services are installed, tested in their own files."""
    return {r.rule for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in app.config["CC_AREAS"]
            or r.rule.startswith("/api/orders")}


@pytest.mark.parametrize("role", sorted(ALL))
def test_pages_by_role(app, as_role, role, task_ids):
    client = as_role(role)
    for _rule, path, allowed in PAGES:
        resp = client.get(_path(path, task_ids))
        expected = 200 if role in allowed else 403
        assert resp.status_code == expected, f"{role} GET {path}: {resp.status_code}, expected {expected}"


@pytest.mark.parametrize("role", sorted(ALL))
def test_posts_refused_for_other_roles(app, as_role, role):
    from tests.panel.conftest import token_for

    client = as_role(role)
    token = token_for(client, "/login")
    for _rule, path, allowed in POSTS:
        resp = client.post(path, data={"csrf_token": token})
        if role in allowed:
            assert resp.status_code != 403, f"{role} POST {path} refused"
        else:
            assert resp.status_code == 403, f"{role} POST {path}: {resp.status_code}"


def test_anonymous_is_sent_to_login(app, task_ids):
    client = app.test_client()
    for _rule, path, _allowed in PAGES:
        resp = client.get(_path(path, task_ids))
        assert resp.status_code == 302, path
        assert resp.headers["Location"].startswith("/login?next="), path


def test_home_sends_each_role_to_its_page(as_role):
    expected = {"operator": "/wallboard/", "callback_agent": "/callbacks/", "leader": "/wallboard/",
                "admin": "/wallboard/"}
    for role, target in expected.items():
        assert as_role(role).get("/").headers["Location"] == target, role
    assert ROLE_USER["unit_handler"] == "unit_a"
