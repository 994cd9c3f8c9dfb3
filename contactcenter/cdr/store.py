"""Writes what the correlator produced: call records (upsert by call id), Asterisk's CDRs
(stored once, by fingerprint), the seats rung, and seat membership/pause/device state.

Everything here is idempotent, so the same effects applied twice (a replay, a restart that
re-reads the journal) change nothing. This is the listener's hot path, so a batch is written
with a handful of Core statements (multi-row upserts and inserts), not object by object.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Iterable

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
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
_CALLS = Call.__table__
_LEGS = CallLeg.__table__
_CDRS = CdrRow.__table__
_SEATS = Seat.__table__
_SEAT_EVENTS = SeatEvent.__table__
_DIALECT_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
_UPSERTS: dict[tuple, object] = {}


def _upsert(session: Session, table, rows: list[dict], key: str) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE of every other column, for many rows at once
    (the statement is built once per table and dialect: building it costs more than running it)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    columns = tuple(rows[0])
    stmt = _UPSERTS.get((dialect, table.name, columns))
    if stmt is None:
        stmt = _DIALECT_INSERT[dialect](table)
        stmt = stmt.on_conflict_do_update(index_elements=[key],
                                          set_={c: stmt.excluded[c] for c in columns if c != key})
        _UPSERTS[(dialect, table.name, columns)] = stmt
    session.execute(stmt, rows)


def _call_row(record: CallRecord) -> dict:
    return {
        "call_id": record.call_id, "direction": record.direction, "caller": record.caller,
        "caller_raw": _clip(record.caller_raw, 80), "caller_name": _clip(record.caller_name, 200),
        "dialed": _clip(record.dialed, 80), "started_at": record.started_at, "ended_at": record.ended_at,
        "queue": record.queue, "queued_at": record.queued_at, "wait_s": record.wait_s,
        "answered_at": record.answered_at, "answered_by": record.answered_by,
        "seats": ",".join(record.seats) or None, "talk_s": record.talk_s, "outcome": record.outcome,
        "stage": record.stage, "hangup_cause": record.hangup_cause, "missed": record.missed,
        "short_abandon": record.short_abandon, "callback_id": record.callback_id, "closed": record.closed,
        "close_note": record.close_note,
    }


def store_calls(session: Session, records: Iterable[CallRecord]) -> None:
    """Insert or update call records; a closed record's legs replace those stored before."""
    latest = {r.call_id: r for r in records}  # the same call twice in a batch: the last wins
    if not latest:
        return
    _upsert(session, _CALLS, [_call_row(r) for r in latest.values()], "call_id")
    closed = [r for r in latest.values() if r.closed]
    if closed:
        session.execute(delete(_LEGS).where(_LEGS.c.call_id.in_([r.call_id for r in closed])))
        legs = [{"call_id": r.call_id, "unique_id": leg.unique_id, "seat": leg.seat, "channel": leg.channel,
                 "ring_started_at": leg.ring_started_at, "answered_at": leg.answered_at,
                 "ended_at": leg.ended_at, "result": leg.result}
                for r in closed for leg in r.legs]
        if legs:
            session.execute(_LEGS.insert(), legs)


def store_call(session: Session, record: CallRecord) -> None:
    """Insert or update one call record and replace its legs."""
    store_calls(session, [record])


def cdr_fingerprint(fields: dict) -> str:
    text = "\x1f".join(f"{k}={fields[k]}" for k in sorted(fields))
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()


def store_cdrs(session: Session, cdrs: list[CdrEvent], received_at: dt.datetime) -> int:
    """Store CDRs not seen before; returns how many were new."""
    if not cdrs:
        return 0
    by_fp = {cdr_fingerprint(c.fields): c for c in cdrs}
    known = set(session.scalars(select(_CDRS.c.fingerprint).where(_CDRS.c.fingerprint.in_(list(by_fp)))))
    rows = []
    for fp, cdr in by_fp.items():
        if fp in known:
            continue
        row = {col: _clip(cdr.fields.get(key), 255) for key, col in _CDR_COLUMNS.items()}
        row.update(fingerprint=fp, call_id=cdr.call_id, duration=_int(cdr.fields.get("Duration")),
                   billable_seconds=_int(cdr.fields.get("BillableSeconds")), received_at=received_at)
        rows.append(row)
    if rows:
        session.execute(_CDRS.insert(), rows)
    return len(rows)


_DEVICE_STATES = {
    "NOT_INUSE": "idle", "INUSE": "talking", "BUSY": "talking", "RINGING": "ringing", "RINGINUSE": "ringing",
    "ONHOLD": "talking", "UNAVAILABLE": "unavailable", "INVALID": "unavailable", "UNKNOWN": "unknown",
}
_SEAT_COLUMNS = ("seat", "name", "interface", "logged_in", "paused", "pause_reason", "device_state", "updated_at")


def store_seat_changes(session: Session, changes: list[SeatChange]) -> None:
    """Apply membership, pause and device changes to the seat table and its history.

    A fixed number of statements whatever the batch size (device-state changes are frequent:
    every ring and hang-up): read the seats and the history already stored, work out each
    seat's new state here, then one upsert of the seats and one insert of the new history."""
    if not changes:
        return
    names = {c.seat for c in changes}
    seats = {row.seat: dict(row._mapping) for row in
             session.execute(select(*(_SEATS.c[c] for c in _SEAT_COLUMNS)).where(_SEATS.c.seat.in_(names)))}
    history = [c for c in changes if c.kind != "device"]
    stored: set[tuple] = set()
    if history:
        rows = session.execute(select(_SEAT_EVENTS.c.seat, _SEAT_EVENTS.c.at, _SEAT_EVENTS.c.kind).where(
            _SEAT_EVENTS.c.seat.in_({c.seat for c in history}), _SEAT_EVENTS.c.at >= min(c.at for c in history)))
        stored = {(seat, at, kind) for seat, at, kind in rows}
    new_history = []
    for change in changes:
        seat = seats.get(change.seat)
        if seat is None:
            seat = seats[change.seat] = {
                "seat": change.seat, "name": None, "interface": change.interface or f"PJSIP/{change.seat}",
                "logged_in": False, "paused": False, "pause_reason": None, "device_state": None,
                "updated_at": None}
        if change.kind == "device":
            seat["device_state"] = _DEVICE_STATES.get(change.device_state or "",
                                                      (change.device_state or "").lower())
        else:
            key = (change.seat, change.at, change.kind)
            if key not in stored:
                stored.add(key)
                new_history.append({"seat": change.seat, "at": change.at, "kind": change.kind,
                                    "reason": change.reason})
            if seat["updated_at"] is not None and change.at < seat["updated_at"]:
                continue  # an older change re-applied (replay): history only
            _apply_membership(seat, change)
        seat["updated_at"] = max(seat["updated_at"], change.at) if seat["updated_at"] else change.at
    _upsert(session, _SEATS, list(seats.values()), "seat")
    if new_history:
        session.execute(_SEAT_EVENTS.insert(), new_history)


def _apply_membership(seat: dict, change: SeatChange) -> None:
    if change.kind == "login":
        seat.update(logged_in=True, name=change.name or seat["name"], paused=False, pause_reason=None)
    elif change.kind == "logout":
        seat.update(logged_in=False, paused=False, pause_reason=None)
    elif change.kind == "pause":
        seat.update(paused=True, pause_reason=change.reason)
    elif change.kind == "unpause":
        seat.update(paused=False, pause_reason=None)


def apply_effects(session: Session, effects: Effects, received_at: dt.datetime,
                  open_calls: list[CallRecord] = ()) -> list[CallRecord]:
    """Store one batch of effects; returns the closed calls (for the callback intake)."""
    store_calls(session, [*open_calls, *effects.closed])
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
