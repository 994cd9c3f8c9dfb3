"""Callback policy: the pure rules of who is called back, when, and what happens after each try.

No I/O, no clocks: every function takes the current time as an argument (aware UTC datetimes)
and returns a decision. The intake (closed calls) and the dispatcher (due tasks) apply these
decisions to the database; this module decides.

Attempt results (what one try of a callback came to):
  reached           the caller answered the seat
  caller_busy       the caller's line was busy
  caller_no_answer  the caller's phone rang out
  failed            congestion or a network failure on the caller's side
  invalid_number    the network says the number does not exist
  seat_no_answer    the seat's phone rang out before the caller was dialled (not counted)
  seat_busy         the seat's phone refused the call (not counted)
  not_sent          Asterisk refused the Originate action itself (not counted)
  cancelled         the caller got through on their own while the callback was ringing
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

# task statuses (callback list contract)
PENDING = "pending"
DIALING = "dialing"
REACHED = "reached"
CALLER_GOT_THROUGH = "caller_got_through"
GAVE_UP = "gave_up"
INVALID_NUMBER = "invalid_number"
BLOCKED = "blocked"
OPEN_STATUSES = (PENDING, DIALING)
STATUSES = (PENDING, DIALING, REACHED, CALLER_GOT_THROUGH, GAVE_UP, INVALID_NUMBER, BLOCKED)

# attempt results
R_REACHED = "reached"
R_CALLER_BUSY = "caller_busy"
R_CALLER_NO_ANSWER = "caller_no_answer"
R_FAILED = "failed"
R_INVALID = "invalid_number"
R_SEAT_NO_ANSWER = "seat_no_answer"
R_SEAT_BUSY = "seat_busy"
R_NOT_SENT = "not_sent"
R_CANCELLED = "cancelled"
SEAT_SIDE = (R_SEAT_NO_ANSWER, R_SEAT_BUSY, R_NOT_SENT)
RESULTS = (R_REACHED, R_CALLER_BUSY, R_CALLER_NO_ANSWER, R_FAILED, R_INVALID, R_SEAT_NO_ANSWER, R_SEAT_BUSY,
           R_NOT_SENT, R_CANCELLED)

UTC = dt.timezone.utc
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class RedialPolicy:
    """The callback rules, with the hotline's defaults.

    `calling_hours[weekday]` (0 = Monday) is a (start, end) pair of local times in `timezone`,
    or None for a day without callbacks. An attempt may start at `start` and no later than
    `end` minus `last_call_margin`.
    """

    timezone: str = "Asia/Shanghai"
    calling_hours: tuple = tuple((dt.time(8, 0), dt.time(21, 0)) for _ in range(7))
    # the caller may well call again at once: give them a moment before the first try
    first_delay: dt.timedelta = dt.timedelta(minutes=2)
    retry_after: dict = field(default_factory=lambda: {
        R_CALLER_BUSY: dt.timedelta(minutes=5),
        R_CALLER_NO_ANSWER: dt.timedelta(minutes=30),
        R_FAILED: dt.timedelta(minutes=10),
        R_SEAT_NO_ANSWER: dt.timedelta(minutes=1),
        R_SEAT_BUSY: dt.timedelta(minutes=1),
        R_NOT_SENT: dt.timedelta(minutes=1),
    })
    max_attempts: int = 4
    # seat-side failures are not the caller's attempts, but a task must not loop for ever
    max_seat_failures: int = 10
    expiry: dt.timedelta = dt.timedelta(hours=72)
    last_call_margin: dt.timedelta = dt.timedelta(minutes=0)

    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    @classmethod
    def from_settings(cls, settings) -> "RedialPolicy":
        """Defaults, the site time zone, and `[redial]` keys of the TOML file (settings.extra):
        `calling_hours = {mon = "08:00-21:00", sun = "off"}`, `first_delay_s`, `max_attempts`,
        `expiry_hours`, `retry_after_s = {caller_busy = 300, ...}`, `last_call_margin_s`."""
        policy = cls(timezone=getattr(settings, "site_timezone", None) or "Asia/Shanghai")
        conf = (getattr(settings, "extra", None) or {}).get("redial", {}) or {}
        return policy.with_overrides(conf)

    def with_overrides(self, conf: dict) -> "RedialPolicy":
        policy = self
        if "calling_hours" in conf:
            hours = list(policy.calling_hours)
            for day, value in conf["calling_hours"].items():
                hours[_weekday_index(day)] = parse_window(value)
            policy = replace(policy, calling_hours=tuple(hours))
        if "first_delay_s" in conf:
            policy = replace(policy, first_delay=dt.timedelta(seconds=float(conf["first_delay_s"])))
        if "max_attempts" in conf:
            policy = replace(policy, max_attempts=int(conf["max_attempts"]))
        if "max_seat_failures" in conf:
            policy = replace(policy, max_seat_failures=int(conf["max_seat_failures"]))
        if "expiry_hours" in conf:
            policy = replace(policy, expiry=dt.timedelta(hours=float(conf["expiry_hours"])))
        if "last_call_margin_s" in conf:
            policy = replace(policy, last_call_margin=dt.timedelta(seconds=float(conf["last_call_margin_s"])))
        if "retry_after_s" in conf:
            table = dict(policy.retry_after)
            for result, seconds in conf["retry_after_s"].items():
                if result not in table:
                    raise ValueError(f"unknown result in retry_after_s: {result!r}")
                table[result] = dt.timedelta(seconds=float(seconds))
            policy = replace(policy, retry_after=table)
        return policy


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _weekday_index(day) -> int:
    if isinstance(day, int):
        return day
    key = str(day).strip().lower()[:3]
    if key not in WEEKDAYS:
        raise ValueError(f"unknown weekday {day!r}")
    return WEEKDAYS.index(key)


def parse_window(value) -> tuple[dt.time, dt.time] | None:
    """'08:00-21:00' -> (08:00, 21:00); 'off' / None -> None."""
    if value is None or str(value).strip().lower() in ("off", "closed", "none", ""):
        return None
    start_text, _, end_text = str(value).partition("-")
    start, end = dt.time.fromisoformat(start_text.strip()), dt.time.fromisoformat(end_text.strip())
    if end <= start:
        raise ValueError(f"calling hours end before they start: {value!r}")
    return start, end


# ---------------------------------------------------------------- calling hours

def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: pass aware UTC times to the policy")
    return value


def in_calling_hours(at: dt.datetime, policy: RedialPolicy) -> bool:
    """Whether an attempt may start at `at`."""
    return next_calling_time(at, policy) == _aware(at).astimezone(UTC)


def next_calling_time(at: dt.datetime, policy: RedialPolicy) -> dt.datetime | None:
    """The earliest instant at or after `at` inside calling hours (UTC), None if there is none
    within a week (no calling hours configured at all)."""
    zone = policy.zone()
    local = _aware(at).astimezone(zone)
    for offset in range(8):
        day = local.date() + dt.timedelta(days=offset)
        window = policy.calling_hours[day.weekday()]
        if window is None:
            continue
        start = dt.datetime.combine(day, window[0], tzinfo=zone)
        last = dt.datetime.combine(day, window[1], tzinfo=zone) - policy.last_call_margin
        if offset == 0 and local >= last:
            continue
        candidate = max(local, start) if offset == 0 else start
        if candidate < last:
            return candidate.astimezone(UTC)
    return None


# ---------------------------------------------------------------- creation and merging

def priority_of(attempts: int, missed_count: int) -> int:
    """Lower is sooner: first attempts before retries; within each, repeat callers first.
    Ties are broken by the oldest first miss (see `due_order_key`)."""
    return (2 if attempts > 0 else 0) + (0 if missed_count > 1 else 1)


def due_order_key(priority: int, first_missed_at: dt.datetime, task_id: int) -> tuple:
    """The order the dispatcher takes due tasks in (the SQL ORDER BY mirrors it)."""
    return (priority, first_missed_at, task_id)


@dataclass(frozen=True)
class NewTask:
    """What to store for a caller not yet on the list."""

    status: str
    next_attempt_at: dt.datetime | None
    priority: int
    reason: str | None


def new_task(missed_at: dt.datetime, *, number_valid: bool, reason: str | None, blocked: bool,
             policy: RedialPolicy) -> NewTask:
    """A first missed call from a caller with no open entry."""
    if not number_valid:
        return NewTask(INVALID_NUMBER, None, priority_of(0, 1), reason or "invalid")
    if blocked:
        return NewTask(BLOCKED, None, priority_of(0, 1), "do_not_call")
    due = first_attempt_at(missed_at, policy)
    if due is None or due > missed_at + policy.expiry:
        return NewTask(GAVE_UP, None, priority_of(0, 1), "no_calling_hours_before_expiry")
    return NewTask(PENDING, due, priority_of(0, 1), None)


def first_attempt_at(missed_at: dt.datetime, policy: RedialPolicy) -> dt.datetime | None:
    return next_calling_time(_aware(missed_at) + policy.first_delay, policy)


@dataclass(frozen=True)
class Merge:
    next_attempt_at: dt.datetime | None
    priority: int


def merge_missed(*, status: str, attempts: int, missed_count: int, next_attempt_at: dt.datetime | None,
                 missed_at: dt.datetime, policy: RedialPolicy) -> Merge:
    """Another missed call from a caller whose entry is open. `missed_count` includes the new
    call. A repeat caller moves up; the due time never moves later (they are waiting) but a
    retry pause after a busy line may be shortened to the first-attempt delay."""
    due = next_attempt_at
    if status == PENDING:
        sooner = first_attempt_at(missed_at, policy)
        if due is None or (sooner is not None and sooner < due):
            due = sooner
    return Merge(due, priority_of(attempts, missed_count))


def cancels_on_answered(*, status: str, first_missed_at: dt.datetime, answered_call_started_at: dt.datetime) -> bool:
    """An answered inbound call from the caller closes their open entry as `caller_got_through`,
    but only a call that started after the first miss (an older call closing late says nothing)."""
    return status in OPEN_STATUSES and answered_call_started_at > first_missed_at


# ---------------------------------------------------------------- after an attempt

@dataclass(frozen=True)
class AfterAttempt:
    status: str
    attempts: int  # caller attempts counted so far
    seat_failures: int
    next_attempt_at: dt.datetime | None
    priority: int
    reason: str | None


def after_attempt(*, result: str, attempts: int, seat_failures: int, missed_count: int,
                  first_missed_at: dt.datetime, now: dt.datetime, policy: RedialPolicy) -> AfterAttempt:
    """What becomes of a task after one try ended with `result`. `attempts` and `seat_failures`
    are the counts before this try."""
    if result not in RESULTS:
        raise ValueError(f"unknown attempt result {result!r}")
    seat_side = result in SEAT_SIDE
    counted = attempts if seat_side or result == R_CANCELLED else attempts + 1
    seat_failures = seat_failures + 1 if seat_side else seat_failures
    prio = priority_of(counted, missed_count)
    if result == R_REACHED:
        return AfterAttempt(REACHED, counted, seat_failures, None, prio, None)
    if result == R_INVALID:
        return AfterAttempt(INVALID_NUMBER, counted, seat_failures, None, prio, "network: number does not exist")
    if result == R_CANCELLED:
        return AfterAttempt(CALLER_GOT_THROUGH, counted, seat_failures, None, prio, None)
    if counted >= policy.max_attempts:
        return AfterAttempt(GAVE_UP, counted, seat_failures, None, prio, "max_attempts")
    if seat_failures > policy.max_seat_failures:
        return AfterAttempt(GAVE_UP, counted, seat_failures, None, prio, "seats_did_not_answer")
    due = next_calling_time(_aware(now) + policy.retry_after[result], policy)
    if due is None or due > first_missed_at + policy.expiry:
        return AfterAttempt(GAVE_UP, counted, seat_failures, None, prio, "expired")
    return AfterAttempt(PENDING, counted, seat_failures, due, prio, None)


def is_expired(first_missed_at: dt.datetime, now: dt.datetime, policy: RedialPolicy) -> bool:
    return _aware(now) >= first_missed_at + policy.expiry


# ---------------------------------------------------------------- reading results

# hangup causes that mean the number itself is wrong (Q.850: 1 unallocated, 28 invalid format)
INVALID_CAUSES = (1, 3, 28)


def result_from_callback_call(outcome: str | None, hangup_cause: int | None) -> str:
    """Map the callback call's own record (direction callback) to an attempt result."""
    if outcome == "answered":
        return R_REACHED
    if outcome == "busy":
        return R_CALLER_BUSY
    if outcome == "failed":
        return R_INVALID if hangup_cause in INVALID_CAUSES else R_FAILED
    # no_answer, abandoned (the seat gave up while the caller's phone rang) or unknown
    return R_CALLER_NO_ANSWER


def result_from_callback_record(outcome: str | None, hangup_cause: int | None, seat_answered: bool) -> str:
    """The attempt result told by the callback call's own record. When the seat never took the
    call (the correlator leaves `answered_by` empty) the caller was never dialled: seat side."""
    if outcome == "answered":
        return R_REACHED
    if not seat_answered:
        return R_SEAT_BUSY if outcome == "busy" else R_SEAT_NO_ANSWER
    return result_from_callback_call(outcome, hangup_cause)


def combine_results(originate_result: str | None, call_result: str | None) -> str | None:
    """The final result of one attempt from what is known so far, or None if not final yet.

    The call record is the fuller witness (it knows the caller's side, and whether the seat
    answered); OriginateResponse alone is final only when the seat did not answer (a seat-side
    result); Reason 4 (seat answered) waits for the call record.
    """
    if call_result is not None:
        return call_result
    return originate_result


# ---------------------------------------------------------------- pacing

def callback_slots(*, idle_seats: list[str], seats_in_callbacks: set[str], reserve: int,
                   max_in_flight: int, in_flight: int) -> list[str]:
    """The seats that may take a callback now, in order: idle seats not already ringing for a
    callback, keeping `reserve` idle seats for inbound calls, never more than `max_in_flight`
    callbacks at once."""
    free = [seat for seat in idle_seats if seat not in seats_in_callbacks]
    room = min(len(free) - max(reserve, 0), max_in_flight - in_flight)
    return free[:max(room, 0)]
