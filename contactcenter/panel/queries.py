"""The panel's reads of the call-logging tables (call, call_leg, seat, callback_task).

Thin: SQL in, plain rows out; the figures are computed by `figures` (pure). Lists use
keyset pagination on (started_at, call_id) so the millionth row costs what the first does.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from contactcenter.cdr.models import Call, CallLeg, Seat
from contactcenter.panel import figures
from contactcenter.redial.models import CallbackAttempt, CallbackTask
from contactcenter.stats.queries import load_stats

PAGE = 50


@dataclass(frozen=True)
class SeatView:
    seat: str
    name: str | None
    state: str
    pause_reason: str | None
    since: dt.datetime | None


def seats(session: Session) -> list[SeatView]:
    """Every seat and its wallboard state, in seat order."""
    rows = session.execute(select(Seat).order_by(Seat.seat)).scalars().all()
    return [SeatView(seat=s.seat, name=s.name, state=figures.seat_state(s.logged_in, s.paused, s.device_state),
                     pause_reason=s.pause_reason if s.paused else None, since=s.updated_at) for s in rows]


def waiting_since(session: Session) -> list[dt.datetime]:
    """When each caller now waiting in the queue entered it (open inbound calls not answered)."""
    stmt = select(Call.queued_at).where(Call.closed.is_(False), Call.direction == "inbound",
                                        Call.queued_at.is_not(None), Call.answered_at.is_(None))
    return [t for t in session.scalars(stmt) if t is not None]


def wallboard(session: Session, now: dt.datetime, tz) -> dict:
    """Everything the wallboard shows, as JSON-ready values."""
    start, end = figures.local_day_bounds(now, tz)
    seat_rows = seats(session)
    counts = {k: 0 for k in figures.SEAT_STATES}
    for s in seat_rows:
        counts[s.state] += 1
    waiting = waiting_since(session)
    # the same figures as `contactcenter stats` for today, by the same code
    day = load_stats(session, since=start, until=end, tz=tz)
    in_progress = session.scalar(select(func.count()).select_from(Call).where(
        Call.closed.is_(False), Call.started_at >= start - dt.timedelta(hours=2))) or 0
    return {
        "at": now.isoformat(),
        "at_local": now.astimezone(tz).strftime("%H:%M:%S"),
        "seats": [{"seat": s.seat, "name": s.name, "state": s.state, "pause_reason": s.pause_reason}
                  for s in seat_rows],
        "seat_counts": counts,
        "waiting": len(waiting),
        "longest_wait_s": figures.longest_wait_s(waiting, now),
        "in_progress": in_progress,
        "today": {key: day[key] for key in ("calls", "answered", "missed", "first_attempt_connect_rate",
                                            "callers", "callers_reached", "overall_connect_rate")},
    }


@dataclass
class CallFilter:
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    caller: str | None = None
    seat: str | None = None
    # an outcome name, or "missed" for every missed call
    outcome: str | None = None
    direction: str | None = None


OUTCOME_CHOICES = ("answered", "abandoned", "busy", "no_answer", "failed", "missed")


def call_page(session: Session, flt: CallFilter, *, before: tuple[dt.datetime, str] | None = None,
              limit: int = PAGE) -> tuple[list[Call], tuple[dt.datetime, str] | None]:
    """One page of calls, newest first, and the cursor for the next page (None at the end)."""
    stmt = select(Call)
    conds = []
    if flt.start:
        conds.append(Call.started_at >= flt.start)
    if flt.end:
        conds.append(Call.started_at < flt.end)
    if flt.caller:
        conds.append(Call.caller == flt.caller)
    if flt.seat:
        conds.append(Call.answered_by == flt.seat)
    if flt.outcome == "missed":
        conds.append(Call.missed.is_(True))
    elif flt.outcome:
        conds.append(Call.outcome == flt.outcome)
    if flt.direction:
        conds.append(Call.direction == flt.direction)
    if before is not None:
        at, cid = before
        conds.append(or_(Call.started_at < at, and_(Call.started_at == at, Call.call_id < cid)))
    if conds:
        stmt = stmt.where(*conds)
    rows = list(session.scalars(stmt.order_by(Call.started_at.desc(), Call.call_id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = (rows[-1].started_at, rows[-1].call_id) if more and rows else None
    return rows, cursor


def call_detail(session: Session, call_id: str) -> tuple[Call | None, list[CallLeg], list[CallbackTask]]:
    call = session.get(Call, call_id)
    if call is None:
        return None, [], []
    legs = list(session.scalars(select(CallLeg).where(CallLeg.call_id == call_id)
                                .order_by(CallLeg.ring_started_at, CallLeg.id)))
    tasks = []
    if call.caller:
        # the task owed to this caller: its missed_calls list names this call
        for task in session.scalars(select(CallbackTask).where(CallbackTask.number == call.caller)
                                    .order_by(CallbackTask.id.desc()).limit(20)):
            if call_id in (task.missed_calls or []):
                tasks.append(task)
    if call.callback_id:
        # a callback call: the task it was placed for
        attempt = session.scalar(select(CallbackAttempt).where(CallbackAttempt.callback_id == call.callback_id))
        if attempt is not None and all(t.id != attempt.task_id for t in tasks):
            task = session.get(CallbackTask, attempt.task_id)
            if task is not None:
                tasks.append(task)
    return call, legs, tasks


CALLBACK_OPEN = ("pending", "dialing")


def callback_page(session: Session, *, status: str | None = None, open_only: bool = True,
                  limit: int = 200) -> list[CallbackTask]:
    """The callback list: open tasks by next attempt (oldest miss first when equal)."""
    stmt = select(CallbackTask)
    if status:
        stmt = stmt.where(CallbackTask.status == status)
    elif open_only:
        stmt = stmt.where(CallbackTask.status.in_(CALLBACK_OPEN))
    if open_only and not status:
        stmt = stmt.order_by(CallbackTask.next_attempt_at.asc().nulls_last(), CallbackTask.first_missed_at)
    else:
        stmt = stmt.order_by(CallbackTask.updated_at.desc())
    return list(session.scalars(stmt.limit(limit)))


def callback_attempts(session: Session, task: CallbackTask) -> list[CallbackAttempt]:
    """Every try of a callback, first first (seat-side failures included)."""
    return list(session.scalars(select(CallbackAttempt).where(CallbackAttempt.task_id == task.id)
                                .order_by(CallbackAttempt.seq)))


def missed_calls_of(session: Session, task: CallbackTask) -> list[Call]:
    ids = list(task.missed_calls or [])[:50]
    if not ids:
        return []
    return list(session.scalars(select(Call).where(Call.call_id.in_(ids)).order_by(Call.started_at)))
