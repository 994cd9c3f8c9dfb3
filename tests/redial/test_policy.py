"""The callback policy as pure functions: exact times across time zones, day boundaries, the
retry table, priorities and pacing. Expected values worked out by hand (Shanghai = UTC+8, no DST;
New York = UTC-5 in winter, UTC-4 in summer; 2026-03-08 is New York's spring-forward day)."""
from __future__ import annotations

import datetime as dt

import pytest

from contactcenter.config import Settings
from contactcenter.redial import policy as P

UTC = dt.timezone.utc
SH = P.RedialPolicy()


def u(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# ---------------------------------------------------------------- calling hours (Shanghai)

@pytest.mark.parametrize("now, expected", [
    ("2026-12-03 02:00:00", "2026-12-03 02:00:00"),  # 10:00 local: now
    ("2026-12-02 23:59:59", "2026-12-03 00:00:00"),  # 07:59:59 local: 08:00
    ("2026-12-03 00:00:00", "2026-12-03 00:00:00"),  # 08:00 sharp: allowed
    ("2026-12-03 12:59:59", "2026-12-03 12:59:59"),  # 20:59:59: still allowed
    ("2026-12-03 13:00:00", "2026-12-04 00:00:00"),  # 21:00 sharp: tomorrow 08:00
    ("2026-12-03 15:30:00", "2026-12-04 00:00:00"),  # 23:30 local
    ("2026-12-03 16:00:00", "2026-12-04 00:00:00"),  # 00:00 local Dec 4 (UTC still Dec 3)
    ("2026-12-31 14:00:00", "2027-01-01 00:00:00"),  # New Year's Eve 22:00 -> Jan 1 08:00
])
def test_next_calling_time_shanghai(now, expected):
    assert P.next_calling_time(u(now), SH) == u(expected)


def test_in_calling_hours_edges():
    assert P.in_calling_hours(u("2026-12-03 00:00:00"), SH)
    assert not P.in_calling_hours(u("2026-12-02 23:59:59"), SH)
    assert P.in_calling_hours(u("2026-12-03 12:59:59"), SH)
    assert not P.in_calling_hours(u("2026-12-03 13:00:00"), SH)


def test_server_timezone_does_not_matter(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        assert P.next_calling_time(u("2026-12-03 13:00:00"), SH) == u("2026-12-04 00:00:00")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_per_weekday_hours_and_closed_days():
    # Saturday shorter, Sunday closed; 2026-12-05 is a Saturday, 2026-12-06 a Sunday
    pol = SH.with_overrides({"calling_hours": {"sat": "09:00-12:00", "sun": "off"}})
    assert pol.calling_hours[5] == (dt.time(9), dt.time(12))
    assert pol.calling_hours[6] is None
    # Friday 21:30 local -> Saturday 09:00 local = 01:00 UTC
    assert P.next_calling_time(u("2026-12-04 13:30:00"), pol) == u("2026-12-05 01:00:00")
    # Saturday 12:00 local -> Sunday closed -> Monday 08:00 local = Monday 00:00 UTC
    assert P.next_calling_time(u("2026-12-05 04:00:00"), pol) == u("2026-12-07 00:00:00")
    # Sunday noon -> Monday 08:00
    assert P.next_calling_time(u("2026-12-06 04:00:00"), pol) == u("2026-12-07 00:00:00")


def test_no_calling_hours_at_all():
    pol = P.RedialPolicy(calling_hours=(None,) * 7)
    assert P.next_calling_time(u("2026-12-03 02:00:00"), pol) is None
    assert P.new_task(u("2026-12-03 02:00:00"), number_valid=True, reason=None, blocked=False, policy=pol) == \
        P.NewTask("gave_up", None, 1, "no_calling_hours_before_expiry")


def test_last_call_margin():
    pol = SH.with_overrides({"last_call_margin_s": 600})
    assert P.next_calling_time(u("2026-12-03 12:49:59"), pol) == u("2026-12-03 12:49:59")  # 20:49:59
    assert P.next_calling_time(u("2026-12-03 12:50:00"), pol) == u("2026-12-04 00:00:00")  # 20:50


# ---------------------------------------------------------------- other time zones

NY = P.RedialPolicy(timezone="America/New_York")


@pytest.mark.parametrize("now, expected", [
    ("2026-12-03 12:00:00", "2026-12-03 13:00:00"),  # 07:00 EST -> 08:00 EST = 13:00 UTC
    ("2026-12-04 02:30:00", "2026-12-04 13:00:00"),  # 21:30 EST Dec 3 -> 08:00 Dec 4
    ("2026-07-01 11:00:00", "2026-07-01 12:00:00"),  # 07:00 EDT -> 08:00 EDT = 12:00 UTC
    # spring forward: Sat Mar 7 22:00 EST -> Sun Mar 8 08:00 EDT = 12:00 UTC
    ("2026-03-08 03:00:00", "2026-03-08 12:00:00"),
])
def test_next_calling_time_new_york(now, expected):
    assert P.next_calling_time(u(now), NY) == u(expected)


def test_policy_from_settings_uses_site_zone_and_toml_keys():
    settings = Settings(site_timezone="Europe/Berlin", extra={"redial": {
        "max_attempts": 6, "first_delay_s": 0, "expiry_hours": 24,
        "retry_after_s": {"caller_busy": 120}, "calling_hours": {"mon": "10:00-18:00"}}})
    pol = P.RedialPolicy.from_settings(settings)
    assert (pol.timezone, pol.max_attempts, pol.first_delay, pol.expiry) == (
        "Europe/Berlin", 6, dt.timedelta(0), dt.timedelta(hours=24))
    assert pol.retry_after["caller_busy"] == dt.timedelta(minutes=2)
    assert pol.retry_after["caller_no_answer"] == dt.timedelta(minutes=30)
    assert pol.calling_hours[0] == (dt.time(10), dt.time(18))
    assert pol.calling_hours[1] == (dt.time(8), dt.time(21))
    with pytest.raises(ValueError):
        SH.with_overrides({"retry_after_s": {"coffee": 1}})
    with pytest.raises(ValueError):
        SH.with_overrides({"calling_hours": {"mon": "21:00-08:00"}})


# ---------------------------------------------------------------- creation and merging

def test_new_task_first_attempt_two_minutes_after_the_miss():
    assert P.new_task(u("2026-12-03 02:00:30"), number_valid=True, reason=None, blocked=False, policy=SH) == \
        P.NewTask("pending", u("2026-12-03 02:02:30"), 1, None)


def test_new_task_just_before_closing_waits_for_the_morning():
    # 20:59 local + 2 min = 21:01: tomorrow 08:00
    assert P.new_task(u("2026-12-03 12:59:00"), number_valid=True, reason=None, blocked=False, policy=SH) == \
        P.NewTask("pending", u("2026-12-04 00:00:00"), 1, None)


def test_new_task_invalid_and_blocked():
    assert P.new_task(u("2026-12-03 02:00:00"), number_valid=False, reason="withheld", blocked=False, policy=SH) == \
        P.NewTask("invalid_number", None, 1, "withheld")
    assert P.new_task(u("2026-12-03 02:00:00"), number_valid=True, reason=None, blocked=True, policy=SH) == \
        P.NewTask("blocked", None, 1, "do_not_call")


def test_merge_keeps_earlier_due_and_raises_priority():
    m = P.merge_missed(status="pending", attempts=0, missed_count=2, next_attempt_at=u("2026-12-03 02:02:30"),
                       missed_at=u("2026-12-03 02:01:30"), policy=SH)
    assert m == P.Merge(u("2026-12-03 02:02:30"), 0)


def test_merge_shortens_a_retry_pause():
    # after a no-answer the retry was 30 min away; the caller called again and missed: 2 min
    m = P.merge_missed(status="pending", attempts=1, missed_count=2, next_attempt_at=u("2026-12-03 02:40:00"),
                       missed_at=u("2026-12-03 02:10:00"), policy=SH)
    assert m == P.Merge(u("2026-12-03 02:12:00"), 2)


def test_merge_while_dialing_keeps_due():
    m = P.merge_missed(status="dialing", attempts=1, missed_count=3, next_attempt_at=None,
                       missed_at=u("2026-12-03 02:10:00"), policy=SH)
    assert m == P.Merge(None, 2)


@pytest.mark.parametrize("status, started, expected", [
    ("pending", "2026-12-03 02:00:01", True),
    ("dialing", "2026-12-03 02:05:00", True),
    ("pending", "2026-12-03 02:00:00", False),  # the missed call itself / same instant
    ("pending", "2026-12-03 01:59:00", False),  # an older call closing late
    ("reached", "2026-12-03 03:00:00", False),
    ("gave_up", "2026-12-03 03:00:00", False),
])
def test_cancels_on_answered(status, started, expected):
    assert P.cancels_on_answered(status=status, first_missed_at=u("2026-12-03 02:00:00"),
                                 answered_call_started_at=u(started)) is expected


# ---------------------------------------------------------------- priority

def test_priority_order():
    assert P.priority_of(0, 2) == 0  # first attempt, repeat caller
    assert P.priority_of(0, 1) == 1  # first attempt
    assert P.priority_of(1, 3) == 2  # retry, repeat caller
    assert P.priority_of(2, 1) == 3  # retry
    keys = sorted([
        P.due_order_key(P.priority_of(1, 1), u("2026-12-03 01:00:00"), 1),
        P.due_order_key(P.priority_of(0, 1), u("2026-12-03 02:00:00"), 3),
        P.due_order_key(P.priority_of(0, 1), u("2026-12-03 01:30:00"), 2),
        P.due_order_key(P.priority_of(0, 2), u("2026-12-03 02:30:00"), 4),
    ])
    assert [k[2] for k in keys] == [4, 2, 3, 1]


# ---------------------------------------------------------------- the retry table

NOW = u("2026-12-03 02:00:00")  # 10:00 local
FIRST = u("2026-12-03 01:55:00")


@pytest.mark.parametrize("result, attempts, seat_failures, expected", [
    ("caller_busy", 0, 0, P.AfterAttempt("pending", 1, 0, u("2026-12-03 02:05:00"), 3, None)),
    ("caller_no_answer", 0, 0, P.AfterAttempt("pending", 1, 0, u("2026-12-03 02:30:00"), 3, None)),
    ("failed", 1, 0, P.AfterAttempt("pending", 2, 0, u("2026-12-03 02:10:00"), 3, None)),
    ("seat_no_answer", 0, 0, P.AfterAttempt("pending", 0, 1, u("2026-12-03 02:01:00"), 1, None)),
    ("seat_busy", 2, 3, P.AfterAttempt("pending", 2, 4, u("2026-12-03 02:01:00"), 3, None)),
    ("not_sent", 0, 0, P.AfterAttempt("pending", 0, 1, u("2026-12-03 02:01:00"), 1, None)),
    ("reached", 1, 0, P.AfterAttempt("reached", 2, 0, None, 3, None)),
    ("invalid_number", 0, 0, P.AfterAttempt("invalid_number", 1, 0, None, 3, "network: number does not exist")),
    ("cancelled", 1, 0, P.AfterAttempt("caller_got_through", 1, 0, None, 3, None)),
    # the fourth caller attempt without reaching them: give up
    ("caller_no_answer", 3, 0, P.AfterAttempt("gave_up", 4, 0, None, 3, "max_attempts")),
    ("caller_busy", 3, 5, P.AfterAttempt("gave_up", 4, 5, None, 3, "max_attempts")),
    # seats keep failing: the eleventh seat-side failure gives up
    ("seat_no_answer", 0, 10, P.AfterAttempt("gave_up", 0, 11, None, 1, "seats_did_not_answer")),
])
def test_retry_table(result, attempts, seat_failures, expected):
    assert P.after_attempt(result=result, attempts=attempts, seat_failures=seat_failures, missed_count=1,
                           first_missed_at=FIRST, now=NOW, policy=SH) == expected


def test_retry_across_closing_time_goes_to_the_morning():
    # no answer at 20:45 local: +30 min = 21:15 -> 08:00 next day
    after = P.after_attempt(result="caller_no_answer", attempts=0, seat_failures=0, missed_count=1,
                            first_missed_at=u("2026-12-03 12:40:00"), now=u("2026-12-03 12:45:00"), policy=SH)
    assert after == P.AfterAttempt("pending", 1, 0, u("2026-12-04 00:00:00"), 3, None)


def test_retry_after_expiry_gives_up():
    # missed 71h ago; the retry would fall after the 72 h expiry
    first = u("2026-12-03 02:00:00") - dt.timedelta(hours=71, minutes=45)
    after = P.after_attempt(result="caller_no_answer", attempts=1, seat_failures=0, missed_count=1,
                            first_missed_at=first, now=u("2026-12-03 02:00:00"), policy=SH)
    assert after == P.AfterAttempt("gave_up", 2, 0, None, 3, "expired")
    assert P.is_expired(first, u("2026-12-03 02:15:00"), SH)
    assert not P.is_expired(first, u("2026-12-03 02:14:59"), SH)


def test_unknown_result_is_refused():
    with pytest.raises(ValueError):
        P.after_attempt(result="maybe", attempts=0, seat_failures=0, missed_count=1, first_missed_at=FIRST,
                        now=NOW, policy=SH)


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        P.next_calling_time(dt.datetime(2026, 12, 3, 10), SH)


# ---------------------------------------------------------------- reading results

@pytest.mark.parametrize("outcome, cause, seat_answered, expected", [
    ("answered", 16, True, "reached"),
    ("busy", 17, True, "caller_busy"),
    ("no_answer", 19, True, "caller_no_answer"),
    ("abandoned", 16, True, "caller_no_answer"),
    ("failed", 34, True, "failed"),
    ("failed", 1, True, "invalid_number"),
    ("failed", 28, True, "invalid_number"),
    ("busy", 17, False, "seat_busy"),  # cb5: the seat's phone returned 486
    ("no_answer", 0, False, "seat_no_answer"),  # cb4: the seat rang out
    ("failed", 34, False, "seat_no_answer"),
])
def test_result_from_callback_record(outcome, cause, seat_answered, expected):
    assert P.result_from_callback_record(outcome, cause, seat_answered) == expected


@pytest.mark.parametrize("originate, call, expected", [
    (None, None, None),  # Reason 4 seen, call still going
    ("seat_no_answer", None, "seat_no_answer"),
    (None, "caller_busy", "caller_busy"),
    ("seat_busy", "seat_busy", "seat_busy"),
    (None, "reached", "reached"),
])
def test_combine_results(originate, call, expected):
    assert P.combine_results(originate, call) == expected


# ---------------------------------------------------------------- pacing

@pytest.mark.parametrize("idle, ringing, reserve, max_in_flight, in_flight, expected", [
    (["8001", "8002", "8003", "8004"], set(), 2, 10, 0, ["8001", "8002"]),
    (["8001", "8002", "8003", "8004"], {"8001"}, 2, 10, 1, ["8002"]),
    (["8001", "8002"], set(), 2, 10, 0, []),
    (["8001"], set(), 2, 10, 0, []),
    (["8001", "8002", "8003", "8004", "8005"], set(), 0, 3, 1, ["8001", "8002"]),
    (["8001", "8002", "8003"], set(), 0, 3, 5, []),
])
def test_callback_slots(idle, ringing, reserve, max_in_flight, in_flight, expected):
    assert P.callback_slots(idle_seats=idle, seats_in_callbacks=ringing, reserve=reserve,
                            max_in_flight=max_in_flight, in_flight=in_flight) == expected
