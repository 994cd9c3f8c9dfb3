"""Closed calls onto the callback list (the listener's hook into redial).

`on_call_closed` is called by the listener for every call that closes, inside the session that
stores the call, so the call and its callback entry are committed together. The decisions come
from `redial.policy`; this module only reads and writes rows. It is idempotent: the same record
twice changes nothing.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.cdr.records import ANSWERED, CALLBACK, INBOUND, CallRecord
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


def _missed_call(session: Session, record: CallRecord, settings, now: dt.datetime) -> None:
    if session.get(CallbackMissedCall, record.call_id) is not None:
        return  # already on the list
    policy = policy_for(settings)
    missed_at = record.started_at
    ended_at = record.ended_at or record.started_at
    number = record.caller
    task: CallbackTask | None = None
    if number:
        task = open_task_for(session, number)
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
        blocked = bool(number) and session.get(DoNotCall, number) is not None
        decision = P.new_task(ended_at, number_valid=bool(number), reason=reason, blocked=blocked, policy=policy)
        task = CallbackTask(
            number=number, status=decision.status, missed_calls=[record.call_id], first_missed_at=missed_at,
            last_missed_at=missed_at, attempts=0, next_attempt_at=decision.next_attempt_at,
            reason=decision.reason, priority=decision.priority, seat_failures=0, source="missed",
            created_at=now, updated_at=now,
        )
        if decision.status not in P.OPEN_STATUSES:
            task.closed_at = now
        session.add(task)
        session.flush()
        if number and decision.status == P.PENDING:
            _close_if_already_through(session, task, record, now)
        log.info("missed call %s: callback %s %s (%s)", record.call_id, task.id, task.status, mask(number))
    session.add(CallbackMissedCall(call_id=record.call_id, task_id=task.id, missed_at=missed_at))


def _close_if_already_through(session: Session, task: CallbackTask, record: CallRecord, now: dt.datetime) -> None:
    """Calls may close out of order: if the caller already got through on a later call that
    closed before this miss did, nothing is owed."""
    from contactcenter.cdr.models import Call

    later = session.execute(
        select(Call.call_id).where(Call.caller == task.number, Call.direction == INBOUND,
                                   Call.outcome == ANSWERED, Call.started_at > record.started_at,
                                   Call.call_id != record.call_id).limit(1)
    ).scalar()
    if later is not None:
        _close_got_through(task, later, now)


def _close_got_through(task: CallbackTask, call_id: str, now: dt.datetime) -> None:
    task.status = P.CALLER_GOT_THROUGH
    task.closed_at = now
    task.closed_by_call = call_id
    task.next_attempt_at = None
    task.updated_at = now


def _answered_call(session: Session, record: CallRecord, now: dt.datetime) -> None:
    if not record.caller:
        return
    task = open_task_for(session, record.caller)
    if task is None:
        return
    if P.cancels_on_answered(status=task.status, first_missed_at=task.first_missed_at,
                             answered_call_started_at=record.started_at):
        _close_got_through(task, record.call_id, now)
        log.info("callback %s closed: %s got through on call %s", task.id, mask(record.caller), record.call_id)


def attempt_by_callback_id(session: Session, callback_id: str) -> CallbackAttempt | None:
    return session.execute(
        select(CallbackAttempt).where(CallbackAttempt.callback_id == callback_id)
    ).scalars().first()


def _callback_call(session: Session, record: CallRecord, settings, now: dt.datetime) -> None:
    attempt = attempt_by_callback_id(session, record.callback_id)
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
