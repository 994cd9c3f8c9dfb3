"""The callback dispatcher: a scheduler job on the listener's asyncio loop that dials due callbacks.

Each round (every `interval_s` seconds):
1. settle attempts that went quiet (no answer from Asterisk) against the live channels;
2. hang up callbacks still ringing for callers who got through on their own meanwhile;
3. inside calling hours, pick the seats free for callbacks (idle, not ringing for another
   callback, keeping a reserve free for inbound calls) and claim as many due tasks, best first
   (`SELECT ... FOR UPDATE SKIP LOCKED` plus a conditional update, so two dispatchers on one
   database never take the same task), mark them `dialing` and store the attempt, commit;
4. only then send each Originate, never re-sent on reconnect (`resend_on_reconnect=False`).

Results come back through `on_message` (OriginateResponse: the seat's side) and through
`redial.intake.on_call_closed` (the callback call's record: the caller's side). After a restart
or a reconnect, in-flight attempts are reconciled with Asterisk's live channels (CALLBACK_ID
channel variable) before anything is dialled again.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Callable, Protocol

from sqlalchemy import String, cast, exists, func, insert, literal, select, update
from sqlalchemy.orm import Session

from contactcenter.ami.connection import AmiConnectionLost
from contactcenter.ami.originate import (CALLER_ID, CONTEXT, DEFAULT_CALLER_ID, EXTEN, SEAT, TIMEOUT_MS,
                                         CallbackDial, check_action, originate_action, originate_result)
from contactcenter.db import session_scope
from contactcenter.numbers import mask, read_number
from contactcenter.redial import policy as P
from contactcenter.redial.intake import apply_attempt_result, policy_for
from contactcenter.redial.models import SCHEDULER_JOBS_TABLE, CallbackAttempt, CallbackTask, DoNotCall

log = logging.getLogger(__name__)

IN_FLIGHT = ("sending", "sent", "seat_answered")
LIVE_CHANNEL = re.compile(r"\A(?:PJSIP|SIP|Local)/[A-Za-z0-9_.@-]{1,60}-[0-9a-f]{8}(?:;[12])?\Z")
# device states in which a seat can take a call
IDLE_STATES = ("idle", "not_inuse", "NOT_INUSE")


class AmiLinkLike(Protocol):
    """What the dispatcher needs of the AMI link (contactcenter.ami.connection.AmiLink)."""

    async def send_action(self, action: dict, *, resend_on_reconnect: bool = False,
                          timeout: float = 10) -> list: ...


class ActionNotSent(Exception):
    """Asterisk answered the action with an error: nothing was dialled."""


@dataclass
class DispatcherConfig:
    interval_s: float = 5.0
    # idle seats kept free for inbound calls
    reserve_seats: int = 2
    max_in_flight: int = 10
    # seats that may take callbacks (None: every seat in the seat table)
    seats: list[str] | None = None
    originate_timeout_ms: int = 15000
    context: str = "callback"
    caller_id: str = DEFAULT_CALLER_ID
    # an attempt with no word from Asterisk for this long is checked against live channels
    stale_sent_s: float = 120.0
    stale_answered_s: float = 4 * 3600.0
    # an attempt younger than this is never settled for lack of a live channel: its Originate
    # may still be on its way to Asterisk (another dispatcher, or ours before a crash)
    settle_grace_s: float = 20.0
    name: str = "main"

    @classmethod
    def from_settings(cls, settings) -> "DispatcherConfig":
        conf = (getattr(settings, "extra", None) or {}).get("redial", {}) or {}
        hotline = getattr(settings, "hotline_number", "12345") or "12345"
        cfg = cls(caller_id=f'"Hotline Callback" <{hotline}>')
        for key in ("interval_s", "stale_sent_s", "stale_answered_s", "settle_grace_s"):
            if key in conf:
                setattr(cfg, key, float(conf[key]))
        for key in ("reserve_seats", "max_in_flight", "originate_timeout_ms"):
            if key in conf:
                setattr(cfg, key, int(conf[key]))
        if "seats" in conf:
            cfg.seats = [str(s) for s in conf["seats"]]
        if "context" in conf:
            cfg.context = str(conf["context"])
        return cfg


def _check_config(config: DispatcherConfig, settings) -> None:
    """Refuse to start with settings every Originate would fail on (a typo in the context or
    the hotline number must stop the dispatcher, not strike callers off as invalid numbers)."""
    prefix = getattr(settings, "dial_prefix", "") or ""
    problems = []
    if not CONTEXT.fullmatch(config.context):
        problems.append(f"callback context {config.context!r} (lower-case letters, digits, _ and -)")
    if not CALLER_ID.fullmatch(config.caller_id):
        problems.append(f"callback caller ID {config.caller_id!r} (\"Name\" <digits>)")
    if prefix and not prefix.isdigit():
        problems.append(f"dial prefix {prefix!r} (digits only)")
    if not TIMEOUT_MS[0] <= config.originate_timeout_ms <= TIMEOUT_MS[1]:
        problems.append(f"originate_timeout_ms {config.originate_timeout_ms} ({TIMEOUT_MS[0]}-{TIMEOUT_MS[1]})")
    if config.seats is not None:
        bad = [s for s in config.seats if not SEAT.fullmatch(s)]
        if bad:
            problems.append(f"callback seats {bad!r} (seat numbers 8000-8099)")
    if problems:
        raise ValueError("callback dispatcher settings cannot be dialled: " + "; ".join(problems))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class Claimed:
    task_id: int
    attempt_id: int
    seq: int
    seat: str
    dial: str
    number: str


@dataclass
class RoundReport:
    """What one dispatcher round did (for logs and tests)."""

    dialled: list[int] = field(default_factory=list)  # task ids
    refused: list[int] = field(default_factory=list)
    settled: list[int] = field(default_factory=list)  # attempt ids settled without Asterisk's word
    hung_up: list[int] = field(default_factory=list)


_DISPATCHERS: dict[str, "CallbackDispatcher"] = {}


async def run_dispatch_round(name: str) -> None:
    """The persisted scheduler job: one round of the named dispatcher in this process."""
    dispatcher = _DISPATCHERS.get(name)
    if dispatcher is None:
        log.warning("no dispatcher %r in this process; job skipped", name)
        return
    await dispatcher.run_round()


class CallbackDispatcher:
    """Dials due callbacks through an AMI link; one per listener process."""

    def __init__(self, db_url: str, settings, link: AmiLinkLike, *, config: DispatcherConfig | None = None,
                 clock: Callable[[], dt.datetime] = utcnow):
        self.db_url = db_url
        self.settings = settings
        self.link = link
        self.config = config or DispatcherConfig.from_settings(settings)
        _check_config(self.config, settings)
        self.clock = clock
        self.policy = policy_for(settings)
        self.scheduler = None
        self._round_lock = asyncio.Lock()
        self._reconciled = False

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Reconcile in-flight attempts with live channels, then schedule the rounds (APScheduler
        AsyncIOScheduler on the running loop, job persisted in the database)."""
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        from contactcenter.db import make_engine

        _DISPATCHERS[self.config.name] = self
        await self.reconcile(await self._live_channels())
        store = SQLAlchemyJobStore(engine=make_engine(self.db_url), tablename=SCHEDULER_JOBS_TABLE)
        self.scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), jobstores={"default": store},
                                          timezone=dt.timezone.utc)
        self.scheduler.add_job(run_dispatch_round, "interval", args=[self.config.name],
                               seconds=self.config.interval_s, id=f"redial-dispatch-{self.config.name}",
                               replace_existing=True, coalesce=True, max_instances=1,
                               misfire_grace_time=max(1, int(self.config.interval_s)))
        self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        _DISPATCHERS.pop(self.config.name, None)

    # ------------------------------------------------------------ listener hooks

    def on_message(self, message) -> None:
        """Every AMI message passes here; only OriginateResponse to our callbacks is used."""
        if message.name != "OriginateResponse":
            return
        action_id = message.action_id or ""
        if not action_id.startswith("callback-"):
            return
        reading = originate_result(message)
        with session_scope(self.db_url) as session:
            # every dispatcher connected to Asterisk sees this event: the row lock makes one of
            # them apply it and the others find it applied
            attempt = session.execute(select(CallbackAttempt).where(CallbackAttempt.action_id == action_id)
                                      .with_for_update()).scalars().first()
            if attempt is None or attempt.originate_response is not None:
                return  # not ours, or seen already
            attempt.originate_response = reading.response
            attempt.originate_reason = reading.reason
            attempt.originate_result = reading.result
            if attempt.state in ("sending", "sent") and reading.result is None:
                attempt.state = "seat_answered"
            final = P.combine_results(reading.result, attempt.call_result)
            if final is not None:
                apply_attempt_result(session, attempt, final, self.clock(), self.policy)

    async def on_reconnect(self, live_channels: list) -> None:
        """After the AMI link came back: settle attempts whose channels are gone."""
        await self.reconcile(live_channels)

    # ------------------------------------------------------------ reconciliation

    async def _live_channels(self) -> list:
        try:
            messages = await self.link.send_action({"Action": "CoreShowChannels"}, resend_on_reconnect=False)
        except Exception as exc:  # noqa: BLE001 - without the list, treat nothing as settled
            log.warning("CoreShowChannels failed (%s); in-flight callbacks left as they are", exc)
            return None
        return [m for m in messages if getattr(m, "name", None) == "CoreShowChannel"]

    async def reconcile(self, live_channels: list | None, *, only_stale: bool = False) -> list[int]:
        """Settle in-flight attempts that have no live channel any more (CALLBACK_ID channel
        variable), using the stored callback call record when there is one. Returns the attempt
        ids settled. With `live_channels` None (unknown) nothing is settled."""
        if live_channels is None:
            return []
        live = {m.chanvar("CALLBACK_ID") for m in live_channels if m.chanvar("CALLBACK_ID")}
        now = self.clock()
        settled: list[int] = []
        young = 0
        from contactcenter.cdr.models import Call

        with session_scope(self.db_url) as session:
            attempts = session.execute(select(CallbackAttempt).where(CallbackAttempt.state.in_(IN_FLIGHT))
                                       ).scalars().all()
            for attempt in attempts:
                if attempt.callback_id in live:
                    continue
                age = (now - attempt.started_at).total_seconds()
                limit = self.config.stale_answered_s if attempt.state == "seat_answered" else self.config.stale_sent_s
                if only_stale and age < limit:
                    continue
                if age < self.config.settle_grace_s:
                    # just claimed, maybe by another dispatcher whose Originate is on its way:
                    # look again on a later round
                    young += 1
                    continue
                call_result = attempt.call_result
                if call_result is None:
                    row = session.execute(select(Call.outcome, Call.hangup_cause, Call.call_id, Call.answered_by)
                                          .where(Call.callback_id == attempt.callback_id, Call.closed.is_(True))
                                          ).first()
                    if row is not None:
                        call_result = P.result_from_callback_record(row[0], row[1], seat_answered=row[3] is not None)
                        attempt.call_result, attempt.call_id = call_result, row[2]
                result = P.combine_results(attempt.originate_result, call_result)
                if result is None:
                    # no word of the caller's side: if the seat had answered the caller was
                    # probably dialled (count it); otherwise nothing reached the caller
                    result = call_result or (P.R_FAILED if attempt.state == "seat_answered" else P.R_SEAT_NO_ANSWER)
                attempt.error = "settled by reconcile: no live channel"
                apply_attempt_result(session, attempt, result, now, self.policy)
                settled.append(attempt.id)
        if settled:
            log.info("reconcile settled %d callback attempt(s) with no live channel", len(settled))
        if not only_stale:
            self._reconciled = young == 0
        return settled

    # ------------------------------------------------------------ one round

    async def run_round(self) -> RoundReport:
        """One dispatcher decision and its dials."""
        async with self._round_lock:
            report = RoundReport()
            if not self._reconciled:
                await self.reconcile(await self._live_channels())
            await self._settle_and_cancel(report)
            now = self.clock()
            if not P.in_calling_hours(now, self.policy):
                return report
            claimed = self.claim_due(now)
            for item in claimed:
                ok = await self._send(item)
                (report.dialled if ok else report.refused).append(item.task_id)
            return report

    async def _settle_and_cancel(self, report: RoundReport) -> None:
        now = self.clock()
        sent_cutoff = now - dt.timedelta(seconds=self.config.stale_sent_s)
        answered_cutoff = now - dt.timedelta(seconds=self.config.stale_answered_s)
        with session_scope(self.db_url) as session:
            stale = session.execute(select(CallbackAttempt.id).where(
                ((CallbackAttempt.state.in_(("sending", "sent"))) & (CallbackAttempt.started_at < sent_cutoff))
                | ((CallbackAttempt.state == "seat_answered") & (CallbackAttempt.started_at < answered_cutoff))
            ).limit(1)).first()
            orphans = session.execute(
                select(CallbackAttempt.id, CallbackAttempt.callback_id, CallbackAttempt.task_id)
                .join(CallbackTask, CallbackTask.id == CallbackAttempt.task_id)
                .where(CallbackAttempt.state.in_(IN_FLIGHT), CallbackTask.status != P.DIALING)
            ).all()
        if stale is None and not orphans:
            return
        live = await self._live_channels()
        if live is None:
            return
        if stale is not None:
            report.settled.extend(await self.reconcile(live, only_stale=True))
        for attempt_id, callback_id, _task_id in orphans:
            for channel in live:
                name = channel.get("Channel") or ""
                if channel.chanvar("CALLBACK_ID") == callback_id and LIVE_CHANNEL.match(name):
                    try:
                        await self.link.send_action({"Action": "Hangup", "Channel": name, "Cause": "16"},
                                                    resend_on_reconnect=False)
                    except Exception as exc:  # noqa: BLE001
                        log.warning("could not hang up cancelled callback attempt %s: %s", attempt_id, exc)
                        continue
                    report.hung_up.append(attempt_id)
                    with session_scope(self.db_url) as session:
                        attempt = session.get(CallbackAttempt, attempt_id)
                        attempt.error = "hung up: the caller got through meanwhile"
                        apply_attempt_result(session, attempt, P.R_CANCELLED, self.clock(), self.policy)

    def _free_seats(self, session: Session) -> list[str]:
        from contactcenter.cdr.models import Seat

        rows = session.execute(select(Seat.seat, Seat.logged_in, Seat.paused, Seat.device_state)
                               .order_by(Seat.seat)).all()
        if rows:
            # only seats an Originate may ring (SEAT: a supervisor's 8100 takes no callbacks)
            idle = [seat for seat, logged_in, paused, state in rows
                    if logged_in and not paused and (state is None or state in IDLE_STATES) and SEAT.fullmatch(seat)]
            if self.config.seats is not None:
                allowed = set(self.config.seats)
                idle = [seat for seat in idle if seat in allowed]
        else:
            idle = list(self.config.seats or [])
        return idle

    def claim_due(self, now: dt.datetime) -> list[Claimed]:
        """Take as many due tasks as free seats allow, mark them dialing and store their attempts
        (committed before anything is sent)."""
        claimed: list[Claimed] = []
        with session_scope(self.db_url) as session:
            postgres = session.bind.dialect.name == "postgresql"
            idle = self._free_seats(session)
            if not idle:
                return []
            in_flight = session.execute(select(CallbackAttempt.seat).where(CallbackAttempt.state.in_(IN_FLIGHT))
                                        ).scalars().all()
            slots = P.callback_slots(idle_seats=idle, seats_in_callbacks=set(in_flight),
                                     reserve=self.config.reserve_seats, max_in_flight=self.config.max_in_flight,
                                     in_flight=len(in_flight))
            if not slots:
                return []
            if postgres:
                slots = self._lock_seats(session, slots)
                if not slots:
                    return []
            stmt = (select(CallbackTask)
                    .where(CallbackTask.status == P.PENDING, CallbackTask.next_attempt_at <= now,
                           CallbackTask.number.is_not(None),
                           ~exists().where(DoNotCall.number == CallbackTask.number))
                    .order_by(CallbackTask.priority, CallbackTask.first_missed_at, CallbackTask.id)
                    .limit(len(slots)))
            if postgres:
                stmt = stmt.with_for_update(skip_locked=True, of=CallbackTask)
            tasks = session.execute(stmt).scalars().all()
            dialable: dict[int, str] = {}
            for task in tasks:
                if P.is_expired(task.first_missed_at, now, self.policy):
                    task.status, task.reason, task.closed_at = P.GAVE_UP, "expired", now
                    task.next_attempt_at, task.updated_at = None, now
                    continue
                reading = read_number(task.number, self.settings)
                if not reading.valid:
                    task.status, task.reason, task.closed_at = P.INVALID_NUMBER, reading.reason, now
                    task.next_attempt_at, task.updated_at = None, now
                    continue
                dialable[task.id] = reading.dial
            if not dialable:
                return []
            session.flush()
            # the conditional update is what makes the claim safe on SQLite too (and it
            # costs one statement for the whole round)
            won = set(session.execute(
                update(CallbackTask).where(CallbackTask.id.in_(list(dialable)), CallbackTask.status == P.PENDING)
                .values(status=P.DIALING, last_attempt_at=now, updated_at=now)
                .returning(CallbackTask.id).execution_options(synchronize_session=False)).scalars())
            last_seq = dict(session.execute(select(CallbackAttempt.task_id, func.max(CallbackAttempt.seq))
                                            .where(CallbackAttempt.task_id.in_(list(won)))
                                            .group_by(CallbackAttempt.task_id)).all()) if won else {}
            rows = []
            for task, seat in zip([t for t in tasks if t.id in won], slots):
                seq = (last_seq.get(task.id) or 0) + 1
                rows.append({"task_id": task.id, "seq": seq, "number": task.number, "seat": seat,
                             "action_id": f"callback-{task.id}-{seq}", "state": "sending", "started_at": now})
            if not rows:
                return []
            ids = session.execute(insert(CallbackAttempt).returning(CallbackAttempt.id, sort_by_parameter_order=True),
                                  rows).scalars().all()
            session.execute(update(CallbackAttempt).where(CallbackAttempt.id.in_(ids))
                            .values(callback_id=literal("cb") + cast(CallbackAttempt.id, String))
                            .execution_options(synchronize_session=False))
            for attempt_id, row in zip(ids, rows):
                claimed.append(Claimed(row["task_id"], attempt_id, row["seq"], row["seat"], dialable[row["task_id"]],
                                       row["number"]))
        return claimed

    def _lock_seats(self, session: Session, seats: list[str]) -> list[str]:
        """PostgreSQL: lock the chosen seats' rows and drop those another dispatcher holds or
        gave a callback meanwhile (read after the lock, so its committed attempts are seen)."""
        from contactcenter.cdr.models import Seat

        locked = set(session.execute(select(Seat.seat).where(Seat.seat.in_(seats))
                                     .with_for_update(skip_locked=True)).scalars().all())
        if not locked:
            # seats from the configured list with no seat rows: nothing to lock
            known = set(session.execute(select(Seat.seat).where(Seat.seat.in_(seats))).scalars().all())
            locked = set(seats) - known
        busy = set(session.execute(select(CallbackAttempt.seat).where(CallbackAttempt.state.in_(IN_FLIGHT),
                                                                      CallbackAttempt.seat.in_(seats))
                                   ).scalars().all())
        return [seat for seat in seats if seat in locked and seat not in busy]

    async def _send(self, item: Claimed) -> bool:
        dial = CallbackDial(task_id=item.task_id, attempt=item.seq, attempt_id=item.attempt_id, seat=item.seat,
                            dial=item.dial, context=self.config.context, caller_id=self.config.caller_id,
                            timeout_ms=self.config.originate_timeout_ms)
        try:
            action = check_action(originate_action(dial))
        except ValueError as exc:
            if EXTEN.fullmatch(item.dial or ""):
                # what the trunk would dial is fine: the fault is on our side, which is no
                # reason to strike the caller off the list
                self._finish_unsent(item, P.R_NOT_SENT, str(exc))
                log.error("callback %s not dialled from seat %s: %s", item.task_id, item.seat, exc)
            else:
                self._finish_unsent(item, P.R_INVALID, str(exc))
                log.warning("callback %s (%s) not dialled: %s", item.task_id, mask(item.number), exc)
            return False
        try:
            await self.link.send_action(action, resend_on_reconnect=False,
                                        timeout=max(10.0, self.config.originate_timeout_ms / 1000))
        except (asyncio.TimeoutError, AmiConnectionLost, ConnectionError, OSError) as exc:
            # the action may have reached Asterisk: keep it in flight; reconcile settles it
            self._mark_sent(item, f"no reply to Originate: {exc!r}")
            log.warning("callback %s: no reply to Originate (%s); left to reconcile", item.task_id, exc)
            return True
        except Exception as exc:  # noqa: BLE001 - an error response: nothing was dialled
            self._finish_unsent(item, P.R_NOT_SENT, str(exc))
            log.warning("callback %s: Originate refused: %s", item.task_id, exc)
            return False
        self._mark_sent(item, None)
        log.info("callback %s attempt %s: seat %s dials %s", item.task_id, item.seq, item.seat, mask(item.number))
        return True

    def _mark_sent(self, item: Claimed, error: str | None) -> None:
        with session_scope(self.db_url) as session:
            session.execute(update(CallbackAttempt)
                            .where(CallbackAttempt.id == item.attempt_id, CallbackAttempt.state == "sending")
                            .values(state="sent", error=error)
                            .execution_options(synchronize_session=False))

    def _finish_unsent(self, item: Claimed, result: str, error: str) -> None:
        with session_scope(self.db_url) as session:
            attempt = session.get(CallbackAttempt, item.attempt_id)
            attempt.error = error[:500]
            apply_attempt_result(session, attempt, result, self.clock(), self.policy)
