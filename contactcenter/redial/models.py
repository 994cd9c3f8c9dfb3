"""The callback list: one open entry per caller number owed a call back, each try of a
callback, the do-not-call list, and the dispatcher's persisted scheduler jobs."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (JSON, Column, Float, ForeignKey, Index, Integer, LargeBinary, String, Table, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UTCDateTime


class CallbackTask(Base):
    __tablename__ = "callback_task"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # canonical national number; NULL for a withheld caller (status invalid_number)
    number: Mapped[str | None] = mapped_column(String(32), index=True)
    # pending | dialing | reached | caller_got_through | gave_up | invalid_number | blocked
    status: Mapped[str] = mapped_column(String(24), index=True)
    missed_calls: Mapped[list] = mapped_column(JSON, default=list)
    first_missed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_missed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_result: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by_call: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # added by migration 0002 (redial)
    # lower is sooner (policy.priority_of): first attempts before retries, repeat callers first
    priority: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # tries that failed on the seat's side (not counted as the caller's attempts)
    seat_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # missed (from a missed call) | manual (requested in the panel)
    source: Mapped[str] = mapped_column(String(16), default="missed", server_default="missed")
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("callback_task__idx__status_priority_due", "status", "priority", "first_missed_at"),
        # one open entry per number (migration 0008): never two dials to one caller at once
        Index("callback_task__uq__open_number", "number", unique=True,
              sqlite_where=text("status IN ('pending', 'dialing')"),
              postgresql_where=text("status IN ('pending', 'dialing')")),
    )


class CallbackMissedCall(Base):
    """Which entry each missed call went to: makes the intake idempotent (one row per call)."""

    __tablename__ = "callback_missed_call"

    call_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("callback_task.id", ondelete="CASCADE"), index=True)
    missed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CallbackAttempt(Base):
    """One try of a callback: the Originate sent and what came of it."""

    __tablename__ = "callback_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("callback_task.id", ondelete="CASCADE"), index=True)
    # nth try of this task (1, 2, ...), seat-side failures included
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(32))
    seat: Mapped[str] = mapped_column(String(16), index=True)
    action_id: Mapped[str] = mapped_column(String(64), unique=True)
    # the CALLBACK_ID channel variable: "cb<attempt id>"
    callback_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    # sending (marked before the Originate goes out) | sent | seat_answered | done
    state: Mapped[str] = mapped_column(String(16), index=True)
    originate_response: Mapped[str | None] = mapped_column(String(16))
    originate_reason: Mapped[str | None] = mapped_column(String(8))
    originate_result: Mapped[str | None] = mapped_column(String(32))
    call_id: Mapped[str | None] = mapped_column(String(80))
    call_result: Mapped[str | None] = mapped_column(String(32))
    result: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(String(80))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("task_id", "seq"),)


class DoNotCall(Base):
    """Numbers that asked not to be called back (or were barred by an operator)."""

    __tablename__ = "do_not_call"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    reason: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[str | None] = mapped_column(String(80))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


# APScheduler's SQLAlchemyJobStore table, declared here so migrations own it
# (the job store then finds it and does not create it itself).
SCHEDULER_JOBS_TABLE = "redial_scheduler_job"
scheduler_jobs = Table(
    SCHEDULER_JOBS_TABLE,
    Base.metadata,
    Column("id", String(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
