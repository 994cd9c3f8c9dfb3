"""Closed calls onto the callback list (the listener's hook into redial).

`on_call_closed` is called by the listener for every call that closes, inside the session that
stores the call, so the call and its callback entry are committed together. The decisions come
from `redial.policy`; this module only reads and writes rows. It is idempotent: the same record
twice changes nothing.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contactcenter.cdr.records import ANSWERED, CALLBACK, INBOUND, CallRecord
from contactcenter.db import UTCDateTime
from contactcenter.numbers import mask, read_number
from contactcenter.redial import policy as P
from contactcenter.redial.models import CallbackAttempt, CallbackMissedCall, CallbackTask, DoNotCall

log = logging.getLogger(__name__)

_policy_cache: list = [None, None]  # [settings object, its policy]


def policy_for(settings) -> P.RedialPolicy:
    """The policy of these settings (built once per settings object)."""
    if _policy_cache[0] is not settings:
        _policy_cache[1] = P.RedialPolicy.from_settings(settings)
        _policy_cache[0] = settings
    return _policy_cache[1]


def on_call_closed(session: Session, record: CallRecord, settings, now: dt.datetime) -> None:
    """Apply one closed call to the callback list.

    - missed inbound call: create or merge the caller's open entry (withheld/unusable numbers
      get an `invalid_number` entry with the reason; do-not-call numbers a `blocked` one);
    - answered inbound call: the caller's open entry becomes `caller_got_through` (if the
      call started after the entry's first miss);
    - callback call (CALLBACK_ID set): the attempt's caller-side result, and the task's.
    """
    if record.direction == INBOUND:
        if record.missed:
            _missed_call(session, record, settings, now)
        elif record.outcome == ANSWERED:
            _answered_call(session, record, now)
    elif record.direction == CALLBACK and record.callback_id:
        _callback_call(session, record, settings, now)


def open_task_for(session: Session, number: str, *, lock: bool = False) -> CallbackTask | None:
    stmt = (select(CallbackTask)
            .where(CallbackTask.number == number, CallbackTask.status.in_(P.OPEN_STATUSES))
            .order_by(CallbackTask.id).limit(1))
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalars().first()


# Everything a missed call needs to know, in one round trip (plain SQL: this runs for every
# missed call on the listener's path). COALESCE keeps SQLite off the (outcome, started_at)
# index, which would scan every answered call since the miss; the caller index finds this
# caller's few calls at once.
_LOOKUPS = text("""
SELECT
  (SELECT task_id FROM callback_missed_call WHERE call_id = :call_id) AS seen,
  (SELECT id FROM callback_task WHERE number = :number AND status IN ('pending', 'dialing')
     ORDER BY id LIMIT 1) AS open_id,
  (SELECT number FROM do_not_call WHERE number = :number) AS blocked,
  (SELECT call_id FROM call WHERE caller = :number AND direction = 'inbound'
     AND COALESCE(outcome, '') = 'answered' AND started_at > :started AND call_id != :call_id LIMIT 1) AS later
""").bindparams(bindparam("started", type_=UTCDateTime))


def _lookups(session: Session, record: CallRecord) -> tuple:
    """(this call's entry if already seen, the caller's open entry, on the do-not-call list?,
    a later answered call from the caller that closed first — calls may close out of order)."""
    row = session.execute(_LOOKUPS, {"call_id": record.call_id, "number": record.caller or "",
                                     "started": record.started_at}).one()
    if not record.caller:
        return row[0], None, False, None
    return row[0], row[1], row[2] is not None, row[3]


def _missed_call(session: Session, record: CallRecord, settings, now: dt.datetime, _retried: bool = False) -> None:
    seen, open_id, blocked, answered_later = _lookups(session, record)
    if seen is not None:
        return  # already on the list
    policy = policy_for(settings)
    missed_at = record.started_at
    ended_at = record.ended_at or record.started_at
    number = record.caller
    task = session.get(CallbackTask, open_id) if open_id is not None else None
    if task is not None:
        task.missed_calls = [*task.missed_calls, record.call_id]
        task.last_missed_at = max(task.last_missed_at, missed_at)
        if missed_at < task.first_missed_at:
            task.first_missed_at = missed_at
        merge = P.merge_missed(status=task.status, attempts=task.attempts, missed_count=len(task.missed_calls),
                               next_attempt_at=task.next_attempt_at, missed_at=ended_at, policy=policy)
        task.next_attempt_at = merge.next_attempt_at
        task.priority = merge.priority
        task.updated_at = now
        log.info("missed call %s merged into callback %s (%s, %d misses)", record.call_id, task.id,
                 mask(number), len(task.missed_calls))
    else:
        reason = None
        if not number:
            reason = read_number(record.caller_raw, settings).reason or "withheld"
        decision = P.new_task(ended_at, number_valid=bool(number), reason=reason, blocked=blocked, policy=policy)
        task = CallbackTask(
            number=number, status=decision.status, missed_calls=[record.call_id], first_missed_at=missed_at,
            last_missed_at=missed_at, attempts=0, next_attempt_at=decision.next_attempt_at,
            reason=decision.reason, priority=decision.priority, seat_failures=0, source="missed",
            created_at=now, updated_at=now,
        )
        if decision.status not in P.OPEN_STATUSES:
            task.closed_at = now
        elif answered_later is not None:
            _close_got_through(task, answered_later, now)
        try:
            with session.begin_nested():
                session.add(task)
                session.flush()
        except IntegrityError:
            if _retried:
                raise
            # an open entry for the number appeared meanwhile (a callback requested in the
            # panel at this moment; one open entry per number is a unique index): merge into it
            _missed_call(session, record, settings, now, _retried=True)
            return
        log.info("missed call %s: callback %s %s (%s)", record.call_id, task.id, task.status, mask(number))
    session.add(CallbackMissedCall(call_id=record.call_id, task_id=task.id, missed_at=missed_at))


def _close_got_through(task: CallbackTask, call_id: str, now: dt.datetime) -> None:
    task.status = P.CALLER_GOT_THROUGH
    task.closed_at = now
    task.closed_by_call = call_id
    task.next_attempt_at = None
    task.updated_at = now


_OPEN_TASK_ID = text("SELECT id FROM callback_task WHERE number = :number AND status IN ('pending', 'dialing') "
                     "ORDER BY id LIMIT 1")


def _answered_call(session: Session, record: CallRecord, now: dt.datetime) -> None:
    if not record.caller:
        return
    # most answered calls owe nothing: one cheap lookup before loading anything
    task_id = session.execute(_OPEN_TASK_ID, {"number": record.caller}).scalar()
    if task_id is None:
        return
    task = session.get(CallbackTask, task_id)
    if P.cancels_on_answered(status=task.status, first_missed_at=task.first_missed_at,
                             answered_call_started_at=record.started_at):
        _close_got_through(task, record.call_id, now)
        log.info("callback %s closed: %s got through on call %s", task.id, mask(record.caller), record.call_id)


def attempt_by_callback_id(session: Session, callback_id: str, *, lock: bool = False) -> CallbackAttempt | None:
    stmt = select(CallbackAttempt).where(CallbackAttempt.callback_id == callback_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalars().first()


def _callback_call(session: Session, record: CallRecord, settings, now: dt.datetime) -> None:
    attempt = attempt_by_callback_id(session, record.callback_id, lock=True)
    if attempt is None:
        log.warning("callback call %s carries unknown CALLBACK_ID %r", record.call_id, record.callback_id)
        return
    if attempt.call_result is not None:
        return  # this record was applied already
    attempt.call_id = record.call_id
    attempt.call_result = P.result_from_callback_record(record.outcome, record.hangup_cause,
                                                        seat_answered=record.answered_by is not None)
    final = P.combine_results(attempt.originate_result, attempt.call_result)
    if final is not None:
        apply_attempt_result(session, attempt, final, now, policy_for(settings))


def apply_attempt_result(session: Session, attempt: CallbackAttempt, result: str, now: dt.datetime,
                         policy: P.RedialPolicy) -> None:
    """Close one attempt with its final result and move its task on (retry, give up, done)."""
    if attempt.result is not None:
        return
    attempt.result = result
    attempt.state = "done"
    attempt.ended_at = now
    task = session.get(CallbackTask, attempt.task_id)
    if task is None:
        return
    task.last_result = result
    task.updated_at = now
    after = P.after_attempt(result=result, attempts=task.attempts, seat_failures=task.seat_failures,
                            missed_count=max(len(task.missed_calls or []), 1), first_missed_at=task.first_missed_at,
                            now=now, policy=policy)
    task.attempts = after.attempts
    task.seat_failures = after.seat_failures
    if task.status != P.DIALING:
        # closed meanwhile (the caller got through, an operator skipped it): keep that status
        return
    task.status = after.status
    task.next_attempt_at = after.next_attempt_at
    task.priority = after.priority
    task.reason = after.reason
    if after.status not in P.OPEN_STATUSES:
        task.closed_at = now
        if result == P.R_REACHED:
            task.closed_by_call = attempt.call_id
    log.info("callback %s attempt %s: %s -> %s", task.id, attempt.seq, result, task.status)
