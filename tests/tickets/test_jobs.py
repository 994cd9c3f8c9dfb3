"""Escalation of overdue work orders, and its APScheduler registration."""
from __future__ import annotations

import datetime as dt

from apscheduler.schedulers.background import BackgroundScheduler

from contactcenter.db import session_scope
from contactcenter.tickets import jobs, service
from tests.tickets.conftest import NOW, OPERATOR, handler, new_order

DAY = dt.timedelta(days=1)


def test_escalate_overdue_once_per_deadline(db_url, units):
    with session_scope(db_url) as s:
        late = new_order(s)["id"]
        fresh = new_order(s)["id"]
        closed = new_order(s, order_type="consultation")["id"]
        service.dispatch(s, late, units["C01"], OPERATOR, NOW - 10 * DAY)    # due 17 Nov... overdue
        service.dispatch(s, fresh, units["C01"], OPERATOR, NOW)               # due 8 Dec
        service.act(s, closed, "resolve_directly", OPERATOR, NOW, answer="已答复")
    with session_scope(db_url) as s:
        assert jobs.escalate_overdue(s, NOW) == [late]
    with session_scope(db_url) as s:
        assert jobs.escalate_overdue(s, NOW + DAY) == []          # already escalated
        o = service.get_order(s, late, OPERATOR, NOW)
        assert o["escalated_at"] == NOW
        assert o["history"][-1]["action"] == "escalate" and o["history"][-1]["actor_role"] == "system"
        # an approved extension sets a new deadline and re-arms the escalation
        service.act(s, late, "accept", handler(units["C01"]), NOW)
        service.act(s, late, "request_extension", handler(units["C01"]), NOW, days=1, reason="等材料")
        service.act(s, late, "approve_extension", OPERATOR, NOW)
    with session_scope(db_url) as s:
        assert jobs.escalate_overdue(s, NOW + 20 * DAY) == [late, fresh]


def test_registration_helper_adds_one_interval_job(sqlite_url):
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start(paused=True)
    try:
        job = jobs.register_escalation_job(scheduler, sqlite_url, minutes=10)
        jobs.register_escalation_job(scheduler, sqlite_url, minutes=10)
        assert [j.id for j in scheduler.get_jobs()] == [jobs.JOB_ID]
    finally:
        scheduler.shutdown(wait=False)
    assert job.trigger.interval == dt.timedelta(minutes=10)
    assert job.func is jobs.run_escalation and job.args == (sqlite_url,)
    assert jobs.run_escalation(sqlite_url) == []
