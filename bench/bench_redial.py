"""Callback benchmarks (figures and same-run ratios, not tests).

1. Hangup of a missed call -> its callback task stored: the real capture `load-part1` fed
   message by message through the listener's pipeline (correlate, store the call, redial
   intake, commit; SQLite file). For each message that closes a missed call, the time of that
   message's processing is the latency. Baseline: the same run without the intake hook.
   Target: p99 <= 50 ms.
2. One dispatcher decision over 10,000 pending tasks (60 seats, 20 idle): choose seats, take
   the best due tasks, mark them dialing, store their attempts, commit. Baseline: the bare
   ordered SELECT of the same rows. Target: <= 100 ms (worst of the runs).
"""
from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

CAPTURES = [Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "captures" / "load-part1" / "ami.raw",
            Path("/work/shared/asterisk-captures/load-part1/ami.raw")]
UTC = dt.timezone.utc


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def _fresh_db(folder: Path, name: str) -> str:
    from contactcenter import db

    url = f"sqlite:///{folder / name}"
    db.upgrade(url)
    return url


def _hangup_latencies(url: str, messages: list, with_intake: bool) -> list[float]:
    from contactcenter.config import Settings
    from contactcenter.listener import CallLogger
    from contactcenter.redial.intake import on_call_closed

    missed_closed = []

    def hook(session, record, settings, now):
        if with_intake:
            on_call_closed(session, record, settings, now)
        if record.missed:
            missed_closed.append(record.call_id)

    logger = CallLogger(url, Settings(db_url=url), journal=None, hooks=[hook])
    latencies = []
    for msg in messages:
        before = len(missed_closed)
        started = time.perf_counter()
        logger.on_messages([msg])
        elapsed = time.perf_counter() - started
        if len(missed_closed) > before:
            latencies.append(elapsed * 1000)
    return latencies


def bench_hangup_to_task(folder: Path) -> list[tuple[str, bool]]:
    from contactcenter.ami.protocol import parse_all

    capture = next((p for p in CAPTURES if p.exists()), None)
    if capture is None:
        print("  load-part1 capture not found; skipped")
        return [("hangup -> callback task stored p99 <= 50 ms (capture missing)", False)]
    messages = [f for f in parse_all(capture.read_bytes()) if f.usable and f.pairs]
    with_intake, without = [], []
    for run in range(3):
        without += _hangup_latencies(_fresh_db(folder, f"base{run}.db"), messages, with_intake=False)
        with_intake += _hangup_latencies(_fresh_db(folder, f"redial{run}.db"), messages, with_intake=True)
    p50, p99 = _percentile(with_intake, 0.5), _percentile(with_intake, 0.99)
    b50, b99 = _percentile(without, 0.5), _percentile(without, 0.99)
    print(f"  missed calls closed: {len(with_intake)} (3 replays of {capture.parent.name}, {len(messages)} messages)")
    print(f"  hangup -> task stored: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {max(with_intake):.2f} ms")
    print(f"  baseline (store the call, no intake): p50 {b50:.2f} ms, p99 {b99:.2f} ms")
    print(f"  ratio p99 with/without intake: {p99 / b99:.2f}x")
    return [(f"hangup -> callback task stored p99 <= 50 ms (got {p99:.1f} ms)", p99 <= 50.0)]


def bench_decision(folder: Path) -> list[tuple[str, bool]]:
    from sqlalchemy import delete, insert, select, update

    from contactcenter.cdr.models import Seat
    from contactcenter.config import Settings
    from contactcenter.db import session_scope
    from contactcenter.redial.dispatcher import CallbackDispatcher, DispatcherConfig
    from contactcenter.redial.models import CallbackAttempt, CallbackTask

    url = _fresh_db(folder, "decision.db")
    now = dt.datetime(2026, 12, 3, 6, 0, tzinfo=UTC)  # 14:00 Shanghai
    base = now - dt.timedelta(hours=30)
    rows = []
    for i in range(10_000):
        missed_at = base + dt.timedelta(seconds=10 * i)
        rows.append({"number": f"139{i:08d}", "status": "pending", "missed_calls": [f"b{i}"],
                     "first_missed_at": missed_at, "last_missed_at": missed_at, "attempts": i % 3,
                     "next_attempt_at": missed_at + dt.timedelta(minutes=2), "priority": (2 if i % 3 else 0) + (i % 2),
                     "seat_failures": 0, "source": "missed", "created_at": missed_at, "updated_at": missed_at})
    with session_scope(url) as s:
        s.execute(insert(CallbackTask), rows)
        for n in range(1, 61):
            s.add(Seat(seat=f"80{n:02d}", interface=f"PJSIP/80{n:02d}", logged_in=True, paused=False,
                       device_state="idle" if n <= 20 else "talking"))
    settings = Settings(db_url=url)
    dispatcher = CallbackDispatcher(url, settings, link=None,
                                    config=DispatcherConfig(reserve_seats=2, max_in_flight=60), clock=lambda: now)
    timings, baseline = [], []
    for _ in range(21):
        started = time.perf_counter()
        claimed = dispatcher.claim_due(now)
        timings.append((time.perf_counter() - started) * 1000)
        assert len(claimed) == 18, len(claimed)
        with session_scope(url) as s:
            started = time.perf_counter()
            s.execute(select(CallbackTask).where(CallbackTask.status == "pending", CallbackTask.next_attempt_at <= now)
                      .order_by(CallbackTask.priority, CallbackTask.first_missed_at, CallbackTask.id)
                      .limit(18)).scalars().all()
            baseline.append((time.perf_counter() - started) * 1000)
            s.execute(delete(CallbackAttempt))
            s.execute(update(CallbackTask).where(CallbackTask.status == "dialing").values(status="pending"))
    worst, median = max(timings[1:]), statistics.median(timings[1:])
    print(f"  decision over 10,000 pending tasks (18 dialled): median {median:.2f} ms, worst {worst:.2f} ms")
    print(f"  baseline (ordered SELECT of the same 18 rows): median {statistics.median(baseline[1:]):.2f} ms")
    print(f"  ratio median decision/select: {median / statistics.median(baseline[1:]):.1f}x")
    return [(f"dispatcher decision over 10,000 pending tasks <= 100 ms (worst {worst:.1f} ms)", worst <= 100.0)]


def main() -> list[tuple[str, bool]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        return bench_hangup_to_task(folder) + bench_decision(folder)


if __name__ == "__main__":
    for target, ok in main():
        print("PASS" if ok else "MISS", target)
