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
from contactcenter.cdr.correlator import Correlator, Effects
from contactcenter.cdr.records import CallRecord
from contactcenter.cdr.store import apply_effects
from contactcenter.config import Settings
from contactcenter.db import DatabaseUnavailable, session_factory, session_scope

log = logging.getLogger(__name__)

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

    # -- input
    def on_frames(self, frames: list, connection: int) -> None:
        """A batch of frames (contactcenter.ami.protocol.Frame) from one TCP read: journal
        first, then correlate the usable ones and store."""
        if self.journal is not None:
            for frame in frames:
                frame.connection = connection
            self.journal.append(frames)
        self.on_messages([f for f in frames if f.usable], connection)

    def on_messages(self, messages: list[Message], connection: int = 0) -> None:
        now = self._clock()
        effects = Effects()
        feed = self.correlator.feed
        for msg in messages:
            try:
                effects.extend(feed(msg, now))
            except Exception:  # one bad message must not stop the stream
                log.exception("could not correlate message %s (journal id %s)", msg.name, msg.journal_id)
            for listener in self.listeners:
                try:
                    listener(msg)
                except Exception:
                    log.exception("message listener failed on %s", msg.name)
        self.messages_seen += len(messages)
        if effects.closed or effects.cdrs or effects.seats:
            self._held.append((effects, _utc(now)))
        self.flush()

    def reconcile(self, live_unique_ids: set[str]) -> None:
        """After a reconnect: close calls whose channels Asterisk no longer has."""
        effects = self.correlator.reconcile(live_unique_ids, self._clock())
        if effects.closed:
            log.info("reconcile: %d call(s) ended while disconnected", len(effects.closed))
            self._held.append((effects, _utc(self._clock())))
        self.flush()

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
                    closed = apply_effects(session, effects, received_at)
                    now = _utc(self._clock())
                    for record in closed:
                        for hook in self.hooks:
                            self._run_hook(session, hook, record, now)
            except DatabaseUnavailable as exc:
                log.warning("database unavailable, holding %d batch(es): %s", len(self._held), exc)
                return False
            except Exception:
                # a record the database refuses must not block every later call; the raw
                # messages stay in the journal for a rebuild once the cause is fixed
                log.exception("could not store calls %s; skipped (kept in the journal)",
                              [r.call_id for r in effects.closed])
            self._held.popleft()
            self.calls_closed += len(effects.closed)
        return True

    def _run_hook(self, session, hook: ClosedCallHook, record: CallRecord, now: dt.datetime) -> None:
        try:
            with session.begin_nested():
                hook(session, record, self.settings, now)
        except DatabaseUnavailable:
            raise
        except Exception:
            log.exception("closed-call hook %s failed for call %s", getattr(hook, "__name__", hook), record.call_id)

    @property
    def held_batches(self) -> int:
        return len(self._held)


def _utc(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)
