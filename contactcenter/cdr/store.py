"""Writes what the correlator produced: call records (upsert by call id), Asterisk's CDRs
(stored once, by fingerprint), the seats rung, and seat membership/pause/device state.

Everything here is idempotent, so the same effects applied twice (a replay, a restart that
re-reads the journal) change nothing.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from contactcenter.cdr.correlator import CdrEvent, Effects, SeatChange
from contactcenter.cdr.models import CallLeg, Call, CdrRow, Seat, SeatEvent
from contactcenter.cdr.records import CallRecord

_CDR_COLUMNS = {
    "AccountCode": "account_code", "Source": "source", "Destination": "destination",
    "DestinationContext": "destination_context", "CallerID": "caller_id", "Channel": "channel",
    "DestinationChannel": "destination_channel", "LastApplication": "last_application",
    "LastData": "last_data", "StartTime": "start_time", "AnswerTime": "answer_time", "EndTime": "end_time",
    "Disposition": "disposition", "AMAFlags": "ama_flags", "UniqueID": "unique_id", "UserField": "user_field",
}


def store_call(session: Session, record: CallRecord) -> Call:
    """Insert or update one call record and replace its legs."""
    row = session.get(Call, record.call_id)
    existed = row is not None
    if row is None:
        row = Call(call_id=record.call_id)
        session.add(row)
    row.direction = record.direction
    row.caller = record.caller
    row.caller_raw = _clip(record.caller_raw, 80)
    row.caller_name = _clip(record.caller_name, 200)
    row.dialed = _clip(record.dialed, 80)
    row.started_at = record.started_at
    row.ended_at = record.ended_at
    row.queue = record.queue
    row.queued_at = record.queued_at
    row.wait_s = record.wait_s
    row.answered_at = record.answered_at
    row.answered_by = record.answered_by
    row.seats = ",".join(record.seats) or None
    row.talk_s = record.talk_s
    row.outcome = record.outcome
    row.stage = record.stage
    row.hangup_cause = record.hangup_cause
    row.missed = record.missed
    row.short_abandon = record.short_abandon
    row.callback_id = record.callback_id
    row.closed = record.closed
    row.close_note = record.close_note
    if record.closed:
        if existed:
            session.flush()
            session.execute(delete(CallLeg).where(CallLeg.call_id == record.call_id))
        for leg in record.legs:
            session.add(CallLeg(call_id=record.call_id, unique_id=leg.unique_id, seat=leg.seat, channel=leg.channel,
                                ring_started_at=leg.ring_started_at, answered_at=leg.answered_at,
                                ended_at=leg.ended_at, result=leg.result))
    return row


def cdr_fingerprint(fields: dict) -> str:
    text = "\x1f".join(f"{k}={fields[k]}" for k in sorted(fields))
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()


def store_cdrs(session: Session, cdrs: list[CdrEvent], received_at: dt.datetime) -> int:
    """Store CDRs not seen before; returns how many were new."""
    if not cdrs:
        return 0
    by_fp = {cdr_fingerprint(c.fields): c for c in cdrs}
    known = set(session.scalars(select(CdrRow.fingerprint).where(CdrRow.fingerprint.in_(list(by_fp)))))
    new = 0
    for fp, cdr in by_fp.items():
        if fp in known:
            continue
        values = {col: _clip(cdr.fields.get(key), 255) for key, col in _CDR_COLUMNS.items()}
        session.add(CdrRow(fingerprint=fp, call_id=cdr.call_id, duration=_int(cdr.fields.get("Duration")),
                           billable_seconds=_int(cdr.fields.get("BillableSeconds")), received_at=received_at, **values))
        new += 1
    return new


_DEVICE_STATES = {
    "NOT_INUSE": "idle", "INUSE": "talking", "BUSY": "talking", "RINGING": "ringing", "RINGINUSE": "ringing",
    "ONHOLD": "talking", "UNAVAILABLE": "unavailable", "INVALID": "unavailable", "UNKNOWN": "unknown",
}


def store_seat_changes(session: Session, changes: list[SeatChange]) -> None:
    """Apply membership, pause and device changes to the seat table and its history.

    One query for the seats and one for the history already stored, whatever the batch size
    (device-state changes are frequent: every ring and hang-up)."""
    if not changes:
        return
    names = {c.seat for c in changes}
    seats = {s.seat: s for s in session.scalars(select(Seat).where(Seat.seat.in_(names)))}
    history = [c for c in changes if c.kind != "device"]
    stored: set[tuple] = set()
    if history:
        rows = session.execute(select(SeatEvent.seat, SeatEvent.at, SeatEvent.kind).where(
            SeatEvent.seat.in_({c.seat for c in history}), SeatEvent.at >= min(c.at for c in history)))
        stored = {(seat, at, kind) for seat, at, kind in rows}
    for change in changes:
        seat = seats.get(change.seat)
        if seat is None:
            seat = Seat(seat=change.seat, interface=change.interface or f"PJSIP/{change.seat}")
            session.add(seat)
            seats[change.seat] = seat
        if change.kind == "device":
            seat.device_state = _DEVICE_STATES.get(change.device_state or "", (change.device_state or "").lower())
        else:
            key = (change.seat, change.at, change.kind)
            if key not in stored:
                stored.add(key)
                session.add(SeatEvent(seat=change.seat, at=change.at, kind=change.kind, reason=change.reason))
            if seat.updated_at is not None and change.at < seat.updated_at:
                continue  # an older change re-applied (replay): history only
            _apply_membership(seat, change)
        seat.updated_at = max(seat.updated_at, change.at) if seat.updated_at else change.at


def _apply_membership(seat: Seat, change: SeatChange) -> None:
    if change.kind == "login":
        seat.logged_in = True
        seat.name = change.name or seat.name
        seat.paused = False
        seat.pause_reason = None
    elif change.kind == "logout":
        seat.logged_in = False
        seat.paused = False
        seat.pause_reason = None
    elif change.kind == "pause":
        seat.paused = True
        seat.pause_reason = change.reason
    elif change.kind == "unpause":
        seat.paused = False
        seat.pause_reason = None


def apply_effects(session: Session, effects: Effects, received_at: dt.datetime,
                  open_calls: list[CallRecord] = ()) -> list[CallRecord]:
    """Store one batch of effects; returns the closed calls (for the callback intake)."""
    for record in open_calls:
        store_call(session, record)
    for record in effects.closed:
        store_call(session, record)
    store_cdrs(session, effects.cdrs, received_at)
    store_seat_changes(session, effects.seats)
    return effects.closed


def _clip(value: str | None, size: int) -> str | None:
    if value is None:
        return None
    return value[:size]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
