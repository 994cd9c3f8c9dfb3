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

from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from contactcenter.ami.models import JournalEntry
from contactcenter.ami.protocol import (BANNER_PREFIX, STATUS_OVERSIZED, STATUS_TRUNCATED, Frame,
                                        parse_frame)
from contactcenter.db import DatabaseUnavailable, session_factory

log = logging.getLogger(__name__)

_TABLE = JournalEntry.__table__
# PostgreSQL: one multi-row INSERT ... RETURNING per batch, ids in parameter order
_INSERT_RETURNING = insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)
# SQLite: SQLAlchemy cannot batch ordered RETURNING there (it falls back to one statement per
# row), so a plain executemany of the compiled Core insert with ready-made tuples (half the
# cost of letting SQLAlchemy bind every row); the write lock held by the transaction makes the
# new rowids contiguous (max(rowid) + 1 each), so they are read back as the last n ids
_COLUMNS = ("received_at", "connection", "source", "raw", "event", "status", "error")
_MAX_ID = select(func.max(_TABLE.c.id))
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime in SQLite
_UNAVAILABLE = (DatabaseUnavailable, OperationalError, InterfaceError)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _text(value: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL; a hostile frame must not make the journal fail
    return value.replace("\x00", "\\0") if value and "\x00" in value else value


def _event(frame: Frame) -> str | None:
    name = frame.event_name
    return _text(name)[:64] if name else None


def is_outage(exc: BaseException) -> bool:
    """True when `exc` means the database cannot be reached (hold the work and retry), not
    that it refused this data."""
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
        self._sqlite_sql: str | None = None
        self._sqlite_order: list[int] = []
        self.dropped = 0  # frames lost because the hold buffer overflowed (logged)
        self.last_error: str | None = None  # why the database refused the last write

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
            if not is_outage(exc):
                raise
            self.hold_after_outage(frames, exc)
            return []

    def hold_after_outage(self, frames: Sequence[Frame], exc: BaseException) -> None:
        """A batch that could not be written because the database is unavailable (`exc`):
        keep it, in order, for the next `append` or `flush`."""
        self._outage(exc)
        self._hold(frames)

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
            if not is_outage(exc):
                raise
            self._outage(exc)
            if written:
                log.warning("AMI journal: wrote %d held frames, %d still held", written, len(self._held))
            return False
        log.warning("AMI journal: database back, wrote %d held frames", written)
        return True

    def _write(self, frames: Sequence[Frame]) -> list[int]:
        session = self._factory()
        try:
            ids = self.write_in(session, frames)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        return ids

    def write_in(self, session: Session, frames: Sequence[Frame]) -> list[int]:
        """Write a batch inside the caller's transaction (the caller commits); the ids are
        set on the frames. Only for a journal that holds nothing, or the order would break."""
        conn = session.connection()
        if conn.dialect.name == "sqlite":
            ids = self._write_sqlite(conn, frames)
        else:
            ids = [row[0] for row in conn.execute(_INSERT_RETURNING, self._rows(frames))]
        for f, id_ in zip(frames, ids):
            f.journal_id = id_
        return ids

    def _write_sqlite(self, conn, frames: Sequence[Frame]) -> list[int]:
        if self._sqlite_sql is None:
            compiled = insert(_TABLE).compile(dialect=conn.dialect, column_keys=list(_COLUMNS))
            self._sqlite_sql = str(compiled)
            self._sqlite_order = [_COLUMNS.index(k) for k in compiled.positiontup]
        now = _utcnow()
        source = self.source
        stamps: dict[dt.datetime, str] = {}
        tuples = []
        append = tuples.append
        for f in frames:
            at = f.received_at or now
            stamp = stamps.get(at)
            if stamp is None:
                stamp = stamps[at] = at.astimezone(dt.timezone.utc).strftime(_SQLITE_TIME)
            # _event() and _text() inlined for the common frame (hot path: every frame)
            name = f.fields.get("Event")
            event = (name[:64] if "\x00" not in name else _event(f)) if name is not None else _event(f)
            error = f.error
            append((stamp, f.connection, source, f.raw, event, f.status,
                    error if error is None or "\x00" not in error else _text(error)))
        order = self._sqlite_order
        if order != list(range(len(_COLUMNS))):
            tuples = [tuple(t[i] for i in order) for t in tuples]
        conn.exec_driver_sql(self._sqlite_sql, tuples)
        last = conn.execute(_MAX_ID).scalar_one()
        return list(range(last - len(tuples) + 1, last + 1))

    def _rows(self, frames: Sequence[Frame]) -> list[dict]:
        now = _utcnow()
        source = self.source
        rows = []
        for f in frames:
            rows.append({
                "received_at": f.received_at or now,
                "connection": f.connection,
                "source": source,
                "raw": f.raw,
                "event": _event(f),
                "status": f.status,
                "error": _text(f.error),
            })
        return rows

    def _outage(self, exc: BaseException) -> None:
        self._next_try = self._clock() + self.retry_interval_s
        first_line = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__
        self.last_error = first_line
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
