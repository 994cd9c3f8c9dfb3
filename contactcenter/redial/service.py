"""What the panel may do with the callback list. The panel never speaks AMI: "call now" makes a
task due at once and the dispatcher (with its seat pacing, calling hours and checks) dials it.

Every function opens its own unit of work on `db_url`, takes the acting user's name (`by`) and
the current time (`now`), and raises `CallbackServiceError` with a clear message for a request
that cannot be done (nothing is changed then).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from contactcenter.cdr.records import iso_utc
from contactcenter.db import session_scope
from contactcenter.numbers import mask, read_number
from contactcenter.redial import policy as P
from contactcenter.redial.intake import open_task_for, policy_for
from contactcenter.redial.models import CallbackAttempt, CallbackTask, DoNotCall


class CallbackServiceError(ValueError):
    """A request the callback list cannot carry out (unknown task, wrong state, bad number)."""


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def task_contract(task: CallbackTask, *, show_number: bool = True) -> dict:
    """One entry as `contactcenter callbacks --format jsonl` prints it (DESIGN.md), plus the
    panel's extra keys after the contract's."""
    return {
        "number": task.number if show_number or task.number is None else mask(task.number),
        "status": task.status,
        "missed_calls": list(task.missed_calls or []),
        "first_missed_at": iso_utc(task.first_missed_at),
        "attempts": task.attempts,
        "next_attempt_at": iso_utc(task.next_attempt_at),
        "last_result": task.last_result,
        "id": task.id,
        "reason": task.reason,
        "priority": task.priority,
        "seat_failures": task.seat_failures,
        "last_attempt_at": iso_utc(task.last_attempt_at),
        "closed_at": iso_utc(task.closed_at),
        "source": task.source,
        "note": task.note,
    }


CONTRACT_KEYS = ("number", "status", "missed_calls", "first_missed_at", "attempts", "next_attempt_at", "last_result")


def list_callbacks(db_url: str, *, status: str | list[str] | None = None, number: str | None = None,
                   since: dt.datetime | None = None, until: dt.datetime | None = None, limit: int | None = None,
                   offset: int = 0, show_numbers: bool = True) -> list[dict]:
    """The callback list, oldest first miss first. `status` one or several statuses; `number`
    any form of a caller ID (read like the product reads caller IDs); `since`/`until` bound the
    first miss (UTC). `show_numbers=False` masks numbers for roles that may not see them."""
    stmt = select(CallbackTask).order_by(CallbackTask.first_missed_at, CallbackTask.id)
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        unknown = set(statuses) - set(P.STATUSES)
        if unknown:
            raise CallbackServiceError(f"unknown status: {', '.join(sorted(unknown))}")
        stmt = stmt.where(CallbackTask.status.in_(statuses))
    if number:
        reading = read_number(number)
        stmt = stmt.where(CallbackTask.number == (reading.canonical or number))
    if since is not None:
        stmt = stmt.where(CallbackTask.first_missed_at >= since)
    if until is not None:
        stmt = stmt.where(CallbackTask.first_missed_at < until)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    with session_scope(db_url) as session:
        return [task_contract(t, show_number=show_numbers) for t in session.execute(stmt).scalars()]


def count_by_status(db_url: str) -> dict[str, int]:
    with session_scope(db_url) as session:
        rows = session.execute(select(CallbackTask.status, func.count()).group_by(CallbackTask.status)).all()
    return {status: n for status, n in rows}


def _task(session, task_id: int, *, lock: bool = False) -> CallbackTask:
    stmt = select(CallbackTask).where(CallbackTask.id == task_id)
    if lock:
        stmt = stmt.with_for_update()
    task = session.execute(stmt).scalars().first()
    if task is None:
        raise CallbackServiceError(f"no callback with id {task_id}")
    return task


def call_now(db_url: str, task_id: int, *, by: str, settings=None, now: dt.datetime | None = None) -> dict:
    """Put a pending callback first in line: due now (or at the next calling hour), top priority.
    The dispatcher dials it on its next round when a seat is free."""
    now = now or _utcnow()
    policy = policy_for(settings) if settings is not None else P.RedialPolicy()
    with session_scope(db_url) as session:
        task = _task(session, task_id, lock=True)
        if task.status != P.PENDING:
            raise CallbackServiceError(f"callback {task_id} is {task.status}, not pending")
        if session.get(DoNotCall, task.number) is not None:
            raise CallbackServiceError(f"callback {task_id}: the number is on the do-not-call list")
        task.next_attempt_at = P.next_calling_time(now, policy) or now
        task.priority = -1
        task.note = _append_note(task.note, f"call now requested by {by}")
        task.updated_at = now
        return task_contract(task)


def skip(db_url: str, task_id: int, *, by: str, reason: str = "", now: dt.datetime | None = None) -> dict:
    """Close an open callback without calling (status `gave_up`, reason says who and why). A
    callback ringing at that moment is hung up by the dispatcher."""
    now = now or _utcnow()
    with session_scope(db_url) as session:
        task = _task(session, task_id, lock=True)
        if task.status not in P.OPEN_STATUSES:
            raise CallbackServiceError(f"callback {task_id} is already closed ({task.status})")
        task.status = P.GAVE_UP
        task.reason = f"skipped by {by}" + (f": {reason}" if reason else "")
        task.next_attempt_at = None
        task.closed_at = now
        task.updated_at = now
        return task_contract(task)


def _canonical_or_error(raw: str, settings) -> str:
    reading = read_number(raw, settings) if settings is not None else read_number(raw)
    if not reading.valid:
        raise CallbackServiceError(f"not a number that can be called: {reading.reason}")
    return reading.canonical


def add_do_not_call(db_url: str, number: str, *, by: str, reason: str = "", settings=None,
                    now: dt.datetime | None = None) -> dict:
    """Put a number on the do-not-call list; its open callback (if any) becomes `blocked`."""
    now = now or _utcnow()
    canonical = _canonical_or_error(number, settings)
    with session_scope(db_url) as session:
        entry = session.get(DoNotCall, canonical)
        if entry is None:
            entry = DoNotCall(number=canonical, reason=reason or None, added_by=by, added_at=now)
            session.add(entry)
        blocked = []
        while (task := open_task_for(session, canonical, lock=True)) is not None:
            task.status = P.BLOCKED
            task.reason = "do_not_call"
            task.next_attempt_at = None
            task.closed_at = now
            task.updated_at = now
            session.flush()
            blocked.append(task.id)
        return {"number": canonical, "reason": entry.reason, "added_by": entry.added_by,
                "added_at": iso_utc(entry.added_at), "blocked_callbacks": blocked}


def remove_do_not_call(db_url: str, number: str, *, by: str, settings=None) -> bool:
    """Take a number off the do-not-call list (closed callbacks stay closed). True if it was on."""
    canonical = _canonical_or_error(number, settings)
    with session_scope(db_url) as session:
        entry = session.get(DoNotCall, canonical)
        if entry is None:
            return False
        session.delete(entry)
        return True


def list_do_not_call(db_url: str) -> list[dict]:
    with session_scope(db_url) as session:
        rows = session.execute(select(DoNotCall).order_by(DoNotCall.added_at)).scalars().all()
        return [{"number": r.number, "reason": r.reason, "added_by": r.added_by, "added_at": iso_utc(r.added_at)}
                for r in rows]


MAX_REQUEST_AHEAD = dt.timedelta(days=30)


def request_callback(db_url: str, number: str, *, by: str, at: dt.datetime | None = None, note: str = "",
                     settings=None, now: dt.datetime | None = None) -> dict:
    """A caller asks to be called back at this number (maybe another than they called from)
    and/or at this time. An open callback for the number is moved to that time; otherwise a
    `manual` one is created. The time is moved into calling hours."""
    now = now or _utcnow()
    if at is not None and at.tzinfo is None:
        raise CallbackServiceError("the requested time needs a time zone")
    if at is not None and at > now + MAX_REQUEST_AHEAD:
        # a typo (2099) must not park a caller's callback for ever
        raise CallbackServiceError(f"a callback can be requested at most {MAX_REQUEST_AHEAD.days} days ahead")
    policy = policy_for(settings) if settings is not None else P.RedialPolicy()
    canonical = _canonical_or_error(number, settings)
    when = P.next_calling_time(max(at or now, now), policy)
    if when is None:
        raise CallbackServiceError("no calling hours are configured")
    text = f"requested by {by}" + (f": {note}" if note else "")
    with session_scope(db_url) as session:
        if session.get(DoNotCall, canonical) is not None:
            raise CallbackServiceError("the number is on the do-not-call list")
        task = open_task_for(session, canonical, lock=True)
        if task is None:
            task = CallbackTask(number=canonical, status=P.PENDING, missed_calls=[], first_missed_at=now,
                                last_missed_at=now, attempts=0, next_attempt_at=when, priority=P.priority_of(0, 1),
                                seat_failures=0, source="manual", note=text, created_at=now, updated_at=now)
            session.add(task)
        else:
            if task.status == P.PENDING:
                task.next_attempt_at = when
            task.note = _append_note(task.note, text)
            task.updated_at = now
        session.flush()
        return task_contract(task)


def attempt_history(db_url: str, task_id: int) -> list[dict]:
    """Every try of one callback, oldest first: seat, times, what Asterisk said, the result."""
    with session_scope(db_url) as session:
        _task(session, task_id)
        rows = session.execute(select(CallbackAttempt).where(CallbackAttempt.task_id == task_id)
                               .order_by(CallbackAttempt.seq)).scalars().all()
        return [{"seq": a.seq, "seat": a.seat, "started_at": iso_utc(a.started_at), "ended_at": iso_utc(a.ended_at),
                 "state": a.state, "originate_reason": a.originate_reason, "call_id": a.call_id,
                 "result": a.result, "error": a.error} for a in rows]


def _append_note(note: str | None, text: str) -> str:
    return f"{note}; {text}" if note else text
