"""The AMI journal: every received frame appended raw, in arrival order, before processing.

`Journal.append(frames)` writes one batch (typically one TCP read) with a single executemany
(SQLAlchemy Core insert with RETURNING, ids in input order). When the database is
unavailable the frames are held in memory — up to `max_held` (1 million by default) — and
written first, in order, as soon as the database answers again; nothing is lost or reordered.
`Journal.read(from_id)` gives the frames back, re-parsed from their raw bytes, so derived
tables can be rebuilt.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections import deque
from typing import Callable, Iterable, Iterator, Sequence

from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from contactcenter.ami.models import JournalEntry
from contactcenter.ami.protocol import (BANNER_PREFIX, STATUS_OVERSIZED, STATUS_TRUNCATED, Frame,
                                        parse_frame)
from contactcenter.db import DatabaseUnavailable, session_factory

log = logging.getLogger(__name__)

_TABLE = JournalEntry.__table__
_INSERT = insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)
_UNAVAILABLE = (DatabaseUnavailable, OperationalError, InterfaceError)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _is_outage(exc: BaseException) -> bool:
    if isinstance(exc, _UNAVAILABLE):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class Journal:
    """Batch writer and reader of the `ami_journal` table.

    `target` is a database URL or a sessionmaker; `source` names where the frames came from
    (e.g. `ami://listener@127.0.0.1:5038`, `replay:answered`) and is stored on every row.
    """

    def __init__(self, target: str | sessionmaker[Session], source: str, *, max_held: int = 1_000_000,
                 retry_interval_s: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._factory = session_factory(target) if isinstance(target, str) else target
        self.source = source[:200]
        self.max_held = max_held
        self.retry_interval_s = retry_interval_s
        self._clock = clock
        self._held: deque[Frame] = deque()
        self._next_try = 0.0
        self.dropped = 0  # frames lost because the hold buffer overflowed (logged)

    @property
    def held(self) -> int:
        """Frames waiting in memory for the database to come back."""
        return len(self._held)

    def append(self, frames: Sequence[Frame]) -> list[int]:
        """Journal a batch; return their ids in order (also set on each `frame.journal_id`).

        If the database is unavailable the batch is held and `[]` is returned (the frames keep
        `journal_id = None`); held frames are written first, in order, by the next `append`
        or `flush` that finds the database back.
        """
        if not frames:
            return []
        if self._held and not self.flush():
            self._hold(frames)
            return []
        try:
            return self._write(frames)
        except Exception as exc:
            if not _is_outage(exc):
                raise
            self._outage(exc)
            self._hold(frames)
            return []

    def flush(self, *, force: bool = False) -> bool:
        """Try to write the held frames (not more often than every `retry_interval_s` unless
        `force`). Returns True when nothing is held any more."""
        if not self._held:
            return True
        if not force and self._clock() < self._next_try:
            return False
        written = 0
        try:
            while self._held:
                batch = [self._held[i] for i in range(min(5000, len(self._held)))]
                self._write(batch)
                for _ in batch:
                    self._held.popleft()
                written += len(batch)
        except Exception as exc:
            if not _is_outage(exc):
                raise
            self._outage(exc)
            if written:
                log.warning("AMI journal: wrote %d held frames, %d still held", written, len(self._held))
            return False
        log.warning("AMI journal: database back, wrote %d held frames", written)
        return True

    def _write(self, frames: Sequence[Frame]) -> list[int]:
        now = _utcnow()
        source = self.source
        rows = []
        for f in frames:
            event = f.event_name
            rows.append({
                "received_at": f.received_at or now,
                "connection": f.connection,
                "source": source,
                "raw": f.raw,
                "event": event[:64] if event else None,
                "status": f.status,
                "error": f.error,
            })
        session = self._factory()
        try:
            ids = [row[0] for row in session.connection().execute(_INSERT, rows)]
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        for f, id_ in zip(frames, ids):
            f.journal_id = id_
        return ids

    def _outage(self, exc: BaseException) -> None:
        self._next_try = self._clock() + self.retry_interval_s
        first_line = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__
        log.error("AMI journal: database unavailable (%s); holding %d frames in memory (limit %d), "
                  "they will be written when it returns", first_line, len(self._held), self.max_held)

    def _hold(self, frames: Iterable[Frame]) -> None:
        self._held.extend(frames)
        overflow = len(self._held) - self.max_held
        if overflow > 0:
            for _ in range(overflow):
                self._held.popleft()
            self.dropped += overflow
            log.critical("AMI journal: hold buffer full (%d frames); the %d oldest held frames were "
                         "dropped (%d in total)", self.max_held, overflow, self.dropped)

    def read(self, from_id: int = 0, *, to_id: int | None = None, batch: int = 2000) -> Iterator[Frame]:
        """The journaled frames with `from_id <= id` (and `id <= to_id`), in id order, re-parsed
        from their raw bytes; `journal_id`, `connection` and `received_at` come from the row.
        Frames that were oversized or truncated come back with their status and no pairs."""
        next_id = from_id
        while True:
            stmt = (select(_TABLE.c.id, _TABLE.c.received_at, _TABLE.c.connection, _TABLE.c.raw,
                           _TABLE.c.status, _TABLE.c.error)
                    .where(_TABLE.c.id >= next_id).order_by(_TABLE.c.id).limit(batch))
            if to_id is not None:
                stmt = stmt.where(_TABLE.c.id <= to_id)
            session = self._factory()
            try:
                rows = session.execute(stmt).all()
            finally:
                session.close()
            if not rows:
                return
            for row in rows:
                yield frame_from_row(row.id, row.received_at, row.connection, bytes(row.raw), row.status, row.error)
            next_id = rows[-1].id + 1

    def last_id(self) -> int | None:
        """The highest journal id, or None when the journal is empty."""
        from sqlalchemy import func

        session = self._factory()
        try:
            return session.execute(select(func.max(_TABLE.c.id))).scalar()
        finally:
            session.close()


def frame_from_row(journal_id: int, received_at: dt.datetime | None, connection: int, raw: bytes,
                   status: str, error: str | None) -> Frame:
    """Rebuild a `Frame` from a journal row."""
    if received_at is not None and received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=dt.timezone.utc)
    if status in (STATUS_OVERSIZED, STATUS_TRUNCATED):
        frame = Frame(pairs=[], fields={}, raw=raw, status=status, error=error)
    elif raw.startswith(BANNER_PREFIX):
        frame = Frame(pairs=[], fields={}, raw=raw, kind="banner")
    else:
        frame = parse_frame(raw)
    frame.journal_id = journal_id
    frame.connection = connection
    frame.received_at = received_at
    return frame
