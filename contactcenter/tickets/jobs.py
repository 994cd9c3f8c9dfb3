"""Scheduled work: escalate overdue work orders (an APScheduler job, run by `contactcenter listen`
or any process holding a scheduler)."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.tickets import service, workflow as wf
from contactcenter.tickets.models import WorkOrder

log = logging.getLogger(__name__)

SYSTEM = wf.Actor("system", "escalation-job")
JOB_ID = "tickets.escalate_overdue"


def escalate_overdue(session: Session, now: dt.datetime, batch: int = 500) -> list[int]:
    """Escalate every order still held by a unit past its deadline and not escalated since its
    deadline was last set. Returns the ids escalated (each gets an `escalate` event)."""
    ids = session.scalars(
        select(WorkOrder.id).where(WorkOrder.status.in_(wf.UNIT_STATES), WorkOrder.due_at < now,
                                   WorkOrder.escalated_at.is_(None))
        .order_by(WorkOrder.due_at).limit(batch)).all()
    for order_id in ids:
        service.act(session, order_id, "escalate", SYSTEM, now, note="overdue: escalated to the centre")
    if ids:
        log.warning("escalated %d overdue work orders", len(ids))
    return list(ids)


def run_escalation(db_url: str) -> list[int]:
    """The job body: one unit of work at the current time."""
    from contactcenter.db import session_scope

    with session_scope(db_url) as session:
        return escalate_overdue(session, dt.datetime.now(dt.timezone.utc))


def register_escalation_job(scheduler, db_url: str, minutes: int = 15):
    """Add the escalation job to an APScheduler scheduler (every `minutes`, one instance at a
    time, replacing an earlier registration)."""
    from apscheduler.triggers.interval import IntervalTrigger

    return scheduler.add_job(run_escalation, IntervalTrigger(minutes=minutes), args=[db_url], id=JOB_ID,
                             replace_existing=True, max_instances=1, coalesce=True)
