"""Reading the rows the figures are computed from: the `call` table and the callback tables."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from contactcenter.cdr.models import Call
from contactcenter.redial.models import CallbackAttempt, CallbackMissedCall, CallbackTask
from contactcenter.stats.figures import Attempt, InboundCall, report


def local_day_bounds(first: dt.date | None, last: dt.date | None, tz: ZoneInfo
                     ) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[first 00:00 local, day after last 00:00 local) in UTC; None for an open end. ValueError for
    a day at the very edge of the calendar (0001-01-01 east of UTC, 9999-12-31)."""
    try:
        since = dt.datetime.combine(first, dt.time(), tzinfo=tz).astimezone(dt.timezone.utc) if first else None
        until = (dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(dt.timezone.utc)
                 if last else None)
    except OverflowError:
        raise ValueError(f"date out of range: {first or last}") from None
    return since, until


def load_stats(session: Session, *, since: dt.datetime | None, until: dt.datetime | None, tz: ZoneInfo,
               service_level_s: float = 20.0) -> dict:
    """The figures of DESIGN.md for the closed inbound calls that started in [since, until)
    (a call still in progress is neither answered nor missed yet)."""
    stmt = select(Call.call_id, Call.caller, Call.started_at, Call.outcome, Call.queued_at, Call.queue, Call.wait_s,
                  Call.talk_s, Call.short_abandon).where(Call.direction == "inbound", Call.closed.is_(True))
    if since is not None:
        stmt = stmt.where(Call.started_at >= since)
    if until is not None:
        stmt = stmt.where(Call.started_at < until)
    calls = [InboundCall(call_id=r[0], caller=r[1], started_at=r[2], outcome=r[3],
                         queued=r[4] is not None, wait_s=r[6], talk_s=r[7], short_abandon=bool(r[8]))
             for r in session.execute(stmt)]

    astmt = select(CallbackAttempt.started_at, CallbackAttempt.result).where(
        or_(CallbackAttempt.result.is_(None), CallbackAttempt.result != "not_sent"),
        or_(CallbackAttempt.error.is_(None), ~CallbackAttempt.error.like("refusing to originate%")))
    if since is not None:
        astmt = astmt.where(CallbackAttempt.started_at >= since)
    if until is not None:
        astmt = astmt.where(CallbackAttempt.started_at < until)
    attempts = [Attempt(started_at=r[0], result=r[1]) for r in session.execute(astmt)]

    # missed calls whose callback reached the caller: by the task's status or an attempt's result,
    # or a later answered callback/outbound call to the number in the call table
    mstmt = (select(CallbackMissedCall.call_id, CallbackTask.number, CallbackTask.status, CallbackMissedCall.missed_at,
                    CallbackTask.id)
             .join(CallbackTask, CallbackTask.id == CallbackMissedCall.task_id)
             .where(CallbackTask.number.is_not(None)))
    if since is not None:
        mstmt = mstmt.where(CallbackMissedCall.missed_at >= since)
    if until is not None:
        mstmt = mstmt.where(CallbackMissedCall.missed_at < until)
    missed_rows = session.execute(mstmt).all()
    task_ids = {r[4] for r in missed_rows}
    reached_tasks = set(session.execute(select(CallbackAttempt.task_id).where(
        CallbackAttempt.result == "reached", CallbackAttempt.task_id.in_(task_ids))).scalars()) if task_ids else set()
    out_stmt = (select(Call.caller, func.max(Call.started_at))
                .where(Call.direction.in_(("callback", "outbound")), Call.outcome == "answered",
                       Call.caller.is_not(None)).group_by(Call.caller))
    if since is not None:
        out_stmt = out_stmt.where(Call.started_at >= since)  # only a call after the miss reaches them
    first_answered_out = dict(session.execute(out_stmt).all())
    reached: dict[str, set[str]] = {}
    for call_id, number, status, missed_at, task_id in missed_rows:
        latest_out = first_answered_out.get(number)
        if status == "reached" or task_id in reached_tasks or (latest_out and latest_out > missed_at):
            reached[call_id] = {number}
    return report(calls, attempts, reached, tz=tz, service_level_s=service_level_s)
