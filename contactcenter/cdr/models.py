"""Stored call data: Asterisk's own CDRs, one record per call, the seats rung, and seats."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UTCDateTime


class CdrRow(Base):
    """`Event: Cdr` exactly as Asterisk reported it (cdr_manager), plus the call it belongs to."""

    __tablename__ = "cdr"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # hash of the raw fields: the same CDR received twice (replay, reconnect) is stored once
    fingerprint: Mapped[str] = mapped_column(String(40), unique=True)
    call_id: Mapped[str | None] = mapped_column(String(80), index=True)
    account_code: Mapped[str | None] = mapped_column(String(80))
    source: Mapped[str | None] = mapped_column(String(80))
    destination: Mapped[str | None] = mapped_column(String(80))
    destination_context: Mapped[str | None] = mapped_column(String(80))
    caller_id: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(120))
    destination_channel: Mapped[str | None] = mapped_column(String(120))
    last_application: Mapped[str | None] = mapped_column(String(80))
    last_data: Mapped[str | None] = mapped_column(String(255))
    start_time: Mapped[str | None] = mapped_column(String(32))
    answer_time: Mapped[str | None] = mapped_column(String(32))
    end_time: Mapped[str | None] = mapped_column(String(32))
    duration: Mapped[int | None] = mapped_column(Integer)
    billable_seconds: Mapped[int | None] = mapped_column(Integer)
    disposition: Mapped[str | None] = mapped_column(String(32))
    ama_flags: Mapped[str | None] = mapped_column(String(32))
    unique_id: Mapped[str | None] = mapped_column(String(80), index=True)
    user_field: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Call(Base):
    """One record per interaction, keyed by Asterisk's Linkedid (see shared/DESIGN.md)."""

    __tablename__ = "call"

    call_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    direction: Mapped[str] = mapped_column(String(16))
    caller: Mapped[str | None] = mapped_column(String(32), index=True)
    caller_raw: Mapped[str | None] = mapped_column(String(80))
    caller_name: Mapped[str | None] = mapped_column(String(200))
    dialed: Mapped[str | None] = mapped_column(String(80))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    queue: Mapped[str | None] = mapped_column(String(80))
    queued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    wait_s: Mapped[float | None] = mapped_column(Float)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(16), index=True)
    seats: Mapped[str | None] = mapped_column(String(255))  # every seat that talked, in order, comma-separated
    talk_s: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str | None] = mapped_column(String(16), index=True)
    stage: Mapped[str | None] = mapped_column(String(16))
    hangup_cause: Mapped[int | None] = mapped_column(Integer)
    missed: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    short_abandon: Mapped[bool] = mapped_column(Boolean, default=False)
    callback_id: Mapped[str | None] = mapped_column(String(40), index=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # why the call was closed when not by its own events (reconcile after reconnect, restart)
    close_note: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (Index("call__idx__outcome_started_at", "outcome", "started_at"),)


class CallLeg(Base):
    """A seat rung for a call: when, and whether it answered (and why not)."""

    __tablename__ = "call_leg"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("call.call_id", ondelete="CASCADE"), index=True)
    unique_id: Mapped[str] = mapped_column(String(80))
    seat: Mapped[str] = mapped_column(String(16), index=True)
    channel: Mapped[str | None] = mapped_column(String(120))
    ring_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # answered | no_answer | busy | rejected | caller_gone | transferred_away | failed
    result: Mapped[str | None] = mapped_column(String(24))

    __table_args__ = (UniqueConstraint("call_id", "unique_id"),)


class Seat(Base):
    """One of the hotline's agent seats and its current queue membership."""

    __tablename__ = "seat"

    seat: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(80))
    interface: Mapped[str] = mapped_column(String(80))
    logged_in: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    pause_reason: Mapped[str | None] = mapped_column(String(80))
    # idle | ringing | talking | unavailable (from device state)
    device_state: Mapped[str | None] = mapped_column(String(24))
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SeatEvent(Base):
    """Membership and pause history: log in / log out / pause / unpause over time."""

    __tablename__ = "seat_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seat: Mapped[str] = mapped_column(String(16), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("seat", "at", "kind"),)
