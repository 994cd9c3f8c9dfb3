"""The call-logging pipeline: AMI messages → journal → correlator → store → callback intake.

`CallLogger` is what both `contactcenter listen` (live AMI) and `contactcenter replay` (a
recorded stream served over loopback) feed. It never drops a message: the journal is written
first; when the database is down the journal holds the frames and the logger holds the
correlator's output, and both are written, in order, when it comes back.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections import deque
from typing import Callable, Iterable

from contactcenter.ami.events import Message
from contactcenter.ami.journal import is_outage
from contactcenter.ami.protocol import STATUS_UNPARSED, ParseFilter
from contactcenter.cdr.correlator import USED_VARIABLES, Correlator, Effects
from contactcenter.cdr.records import CallRecord
from contactcenter.cdr.store import apply_effects
from contactcenter.config import Settings
from contactcenter.db import session_factory, session_scope

log = logging.getLogger(__name__)

RECONCILE_PREFIX = "reconcile-"

# hooks called for every closed call inside the transaction that stores it:
# hook(session, record, settings, now)
ClosedCallHook = Callable[[object, CallRecord, Settings, dt.datetime], None]


def default_closed_call_hooks() -> list[ClosedCallHook]:
    """The callback list reacts to every closed call (missed → owed a callback, answered →
    nothing owed any more)."""
    from contactcenter.redial.intake import on_call_closed

    return [on_call_closed]


def number_reader(settings: Settings) -> Callable[[str | None], str | None]:
    """Caller ID → canonical national number (None when withheld or unusable)."""
    from contactcenter.numbers import read_number

    def read(raw: str | None) -> str | None:
        if raw is None:
            return None
        reading = read_number(raw, settings)
        return reading.canonical if reading.valid else None

    return read


class CallLogger:
    """Correlates AMI messages into call records and stores them.

    `journal` is a `contactcenter.ami.journal.Journal` (or None to skip journaling, when
    rebuilding from the journal itself).
    """

    def __init__(self, db_url: str, settings: Settings, journal=None,
                 hooks: Iterable[ClosedCallHook] | None = None, clock: Callable[[], float] = time.time) -> None:
        self.db_url = db_url
        self.settings = settings
        self.journal = journal
        self.hooks = list(default_closed_call_hooks() if hooks is None else hooks)
        self.correlator = Correlator(number_reader=number_reader(settings), short_abandon_s=settings.short_abandon_s)
        self._sessions = session_factory(db_url)
        self._held: deque[tuple[Effects, dt.datetime]] = deque()
        self._clock = clock
        self.messages_seen = 0
        self.calls_closed = 0
        self.listeners: list[Callable[[Message], None]] = []
        # CoreShowChannel events of our own reconcile requests, gathered in stream order
        self._live_lists: dict[str, list[Message]] = {}

    @property
    def parse_filter(self) -> ParseFilter:
        """What the AMI splitter must parse for this pipeline: the correlator's events (the
        dispatcher's OriginateResponse is one of them) and whatever answers an action. The rest
        is journaled raw and never parsed on the live path."""
        return ParseFilter(self.correlator.used_events(), USED_VARIABLES)

    # -- input
    def on_frames(self, frames: list, connection: int) -> None:
        """A batch of frames (contactcenter.ami.protocol.Frame) from one TCP read: journal
        first, then correlate the usable ones and store.

        Normally the journal rows and what they produced are written in one transaction (one
        commit per read: this is the listener's hot path); while anything is held from an
        outage, the journal and the store catch up separately, oldest first."""
        usable = []
        for frame in frames:
            frame.connection = connection
            if frame.usable:
                usable.append(frame)
            elif frame.status == STATUS_UNPARSED:
                self.messages_seen += 1  # seen and journaled; nothing here reads it
        if self.journal is None or self.journal.held or self._held:
            if self.journal is not None:
                self.journal.append(frames)
            self.on_messages(usable, connection)
            return
        effects = None
        now = self._clock()
        try:
            with session_scope(self._sessions) as session:
                self.journal.write_in(session, frames)
                effects = self._correlate(usable, now, notify=False)
                if effects.closed or effects.cdrs or effects.seats:
                    self._store_guarded(session, effects, _utc(now))
        except Exception as exc:
            if not is_outage(exc):
                # the transaction held the journal rows too: write them on their own first,
                # so a bug further down never costs the raw frames
                self.journal.append(frames)
                raise
            self.journal.hold_after_outage(frames, exc)
            if effects is None:  # the journal write failed: correlate all the same
                effects = self._correlate(usable, now, notify=False)
            if effects.closed or effects.cdrs or effects.seats:
                self._held.append((effects, _utc(now)))
            log.warning("database unavailable, holding %d batch(es): %s", len(self._held), exc)
        else:
            self.calls_closed += len(effects.closed)
        # listeners (the dispatcher) write with sessions of their own: never inside ours,
        # which holds SQLite's write lock
        self._notify(usable)

    def on_messages(self, messages: list[Message], connection: int = 0) -> None:
        now = self._clock()
        effects = self._correlate(messages, now)
        if effects.closed or effects.cdrs or effects.seats:
            self._held.append((effects, _utc(now)))
        self.flush()

    def _correlate(self, messages: list[Message], now: float, notify: bool = True) -> Effects:
        effects = Effects()
        feed = self.correlator.feed
        for msg in messages:
            if msg.name in ("CoreShowChannel", "CoreShowChannelsComplete") and \
                    (msg.action_id or "").startswith(RECONCILE_PREFIX):
                effects.extend(self._reconcile_in_stream(msg, now))
                continue
            try:
                feed(msg, now, effects)
            except Exception:  # one bad message must not stop the stream
                log.exception("could not correlate message %s (journal id %s)", msg.name, msg.journal_id)
            if notify:
                self._notify((msg,))
        self.messages_seen += len(messages)
        return effects

    def _notify(self, messages) -> None:
        for msg in messages:
            for listener in self.listeners:
                try:
                    listener(msg)
                except Exception:
                    log.exception("message listener failed on %s", msg.name)

    def reconcile_action(self, connection: int) -> dict:
        """The CoreShowChannels action to send after each (re)connect. Its answer is applied
        where it stands in the event stream (not when the sender gets round to it), so no
        event that came after Asterisk listed its channels is undone."""
        return {"Action": "CoreShowChannels", "ActionID": f"{RECONCILE_PREFIX}{connection}-{self._clock():.6f}"}

    def _reconcile_in_stream(self, msg: Message, now: float) -> Effects:
        key = msg.action_id or ""
        if msg.name == "CoreShowChannel":
            self._live_lists.setdefault(key, []).append(msg)
            return Effects()
        return self.reconcile(self._live_lists.pop(key, []), now)

    def reconcile(self, live_channels: list[Message], now: float | None = None) -> Effects:
        """With Asterisk's `CoreShowChannel` list: close the calls whose channels ended while we
        were away, and take up calls we have not seen start."""
        now = self._clock() if now is None else now
        effects = self.correlator.reconcile({m.get("Uniqueid") for m in live_channels if m.get("Uniqueid")}, now)
        self.correlator.adopt(live_channels, now)
        if effects.closed:
            log.info("reconcile: %d call(s) ended while disconnected", len(effects.closed))
        return effects

    def sweep_stale(self, max_age_s: float = 6 * 3600) -> None:
        now = self._clock()
        effects = self.correlator.expire(now - max_age_s, now)
        if effects.closed:
            self._held.append((effects, _utc(now)))
            self.flush()

    # -- output
    def flush(self) -> bool:
        """Write held output; False (and everything still held) while the database is down."""
        if self.journal is not None and not self.journal.flush():
            return False
        while self._held:
            effects, received_at = self._held[0]
            try:
                with session_scope(self._sessions) as session:
                    self._store(session, effects, received_at)
            except Exception as exc:
                if is_outage(exc):
                    log.warning("database unavailable, holding %d batch(es): %s", len(self._held), exc)
                    return False
                # a record the database refuses must not block every later call; the raw
                # messages stay in the journal for a rebuild once the cause is fixed
                log.exception("could not store calls %s; skipped (kept in the journal)",
                              [r.call_id for r in effects.closed])
            self._held.popleft()
            self.calls_closed += len(effects.closed)
        return True

    def _store(self, session, effects: Effects, received_at: dt.datetime) -> None:
        """Store one batch and run the closed-call hooks, in the caller's transaction."""
        closed = apply_effects(session, effects, received_at)
        now = _utc(self._clock())
        for record in closed:
            for hook in self.hooks:
                self._run_hook(session, hook, record, now)

    def _store_guarded(self, session, effects: Effects, received_at: dt.datetime) -> None:
        """`_store` inside a savepoint: data the database refuses is logged and skipped while
        the journal rows of the same transaction are kept; an outage still propagates."""
        try:
            with session.begin_nested():
                self._store(session, effects, received_at)
        except Exception as exc:
            if is_outage(exc):
                raise
            log.exception("could not store calls %s; skipped (kept in the journal)",
                          [r.call_id for r in effects.closed])

    def _run_hook(self, session, hook: ClosedCallHook, record: CallRecord, now: dt.datetime) -> None:
        try:
            with session.begin_nested():
                hook(session, record, self.settings, now)
        except Exception as exc:
            if is_outage(exc):
                raise  # the whole batch is held and retried, not just this hook skipped
            log.exception("closed-call hook %s failed for call %s", getattr(hook, "__name__", hook), record.call_id)

    @property
    def held_batches(self) -> int:
        return len(self._held)


def _utc(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)
