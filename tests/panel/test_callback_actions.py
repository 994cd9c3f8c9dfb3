"""The callback agent's actions on the real dialer service: call now, skip, do-not-call, a
caller's own request; only callback agents, leaders and admins may act."""
import datetime as dt

import pytest
from sqlalchemy import select

from contactcenter.db import session_scope
from contactcenter.redial.models import CallbackTask
from tests.panel.conftest import token_for
from tests.panel.seed import NOW

svc = pytest.importorskip("contactcenter.redial.service")
from contactcenter.redial.models import DoNotCall  # noqa: E402

UTC = dt.timezone.utc


def task_id(url, status):
    with session_scope(url) as s:
        return s.scalar(select(CallbackTask.id).where(CallbackTask.status == status))


def post(client, path, data=None):
    return client.post(path, data={**(data or {}), "csrf_token": token_for(client, "/callbacks/")})


def test_call_now_puts_the_task_first_in_line(as_role, seeded_url):
    tid = task_id(seeded_url, "pending")
    resp = post(as_role("callback_agent"), f"/callbacks/{tid}/call-now", {"next": "list"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/callbacks/"
    with session_scope(seeded_url) as s:
        t = s.get(CallbackTask, tid)
        # 10:00 in Shanghai is inside calling hours: due at once, top priority
        assert (t.status, t.priority, t.next_attempt_at, t.note) == ("pending", -1, NOW, "call now requested by cb")


def test_skip_closes_the_task_with_who_and_why(as_role, seeded_url):
    tid = task_id(seeded_url, "pending")
    post(as_role("callback_agent"), f"/callbacks/{tid}/skip", {"reason": "坐席跳过"})
    with session_scope(seeded_url) as s:
        t = s.get(CallbackTask, tid)
        assert (t.status, t.reason, t.closed_at) == ("gave_up", "skipped by cb: 坐席跳过", NOW)


def test_do_not_call_blocks_the_number(as_role, seeded_url):
    tid = task_id(seeded_url, "pending")
    client = as_role("callback_agent")
    post(client, f"/callbacks/{tid}/do-not-call", {"reason": "来电人要求不再回拨"})
    with session_scope(seeded_url) as s:
        assert s.get(CallbackTask, tid).status == "blocked"
        entry = s.get(DoNotCall, "13900004444")
        assert (entry.reason, entry.added_by) == ("来电人要求不再回拨", "cb")
    html = client.get("/callbacks/do-not-call").get_data(as_text=True)
    assert "139****4444" in html and "13900004444" not in html


def test_a_callers_own_request_at_a_later_time(as_role, seeded_url):
    client = as_role("callback_agent")
    resp = post(client, "/callbacks/request", {"number": "138-0000-9999", "at": "2026-12-03T15:00", "note": "下午方便"})
    assert resp.status_code == 302
    with session_scope(seeded_url) as s:
        t = s.scalar(select(CallbackTask).where(CallbackTask.number == "13800009999"))
        assert (t.status, t.source, t.next_attempt_at) == ("pending", "manual", dt.datetime(2026, 12, 3, 7, 0, tzinfo=UTC))
    resp = post(client, "/callbacks/request", {"number": "12"})
    assert resp.status_code == 400 and "未能登记" in resp.get_data(as_text=True)


def test_acting_on_a_closed_task_says_why(as_role, seeded_url):
    tid = task_id(seeded_url, "reached")
    client = as_role("callback_agent")
    post(client, f"/callbacks/{tid}/call-now")
    assert "is reached, not pending" in client.get(f"/callbacks/{tid}").get_data(as_text=True)


@pytest.mark.parametrize("role, allowed", [("operator", False), ("unit_handler", False), ("callback_agent", True),
                                           ("leader", True), ("admin", True)])
def test_only_callback_roles_act(as_role, seeded_url, role, allowed):
    tid = task_id(seeded_url, "pending")
    client = as_role(role)
    resp = post(client, f"/callbacks/{tid}/call-now")
    assert resp.status_code == (302 if allowed else 403)
    assert client.get("/callbacks/request").status_code == (200 if allowed else 403)
    html = client.get("/callbacks/").get_data(as_text=True) if role != "unit_handler" else ""
    assert ("立即回拨" in html) == allowed
