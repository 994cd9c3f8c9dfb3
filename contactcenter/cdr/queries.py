"""Read side of the call log: call records in the contract's shape."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.cdr.models import Call
from contactcenter.cdr.records import iso_utc


def call_to_contract(row: Call) -> dict:
    return {
        "call_id": row.call_id,
        "direction": row.direction,
        "caller": row.caller,
        "dialed": row.dialed,
        "started_at": iso_utc(row.started_at),
        "ended_at": iso_utc(row.ended_at),
        "queue": row.queue,
        "wait_s": None if row.wait_s is None else round(row.wait_s, 1),
        "answered_by": row.answered_by,
        "talk_s": None if row.talk_s is None else round(row.talk_s, 1),
        "outcome": row.outcome,
        "stage": row.stage,
        "hangup_cause": row.hangup_cause,
        "missed": bool(row.missed),
        "short_abandon": bool(row.short_abandon),
    }


def call_records(session: Session, since: dt.datetime | None = None, until: dt.datetime | None = None,
                 closed_only: bool = True) -> list[dict]:
    """Closed calls started in [since, until), oldest first, as contract dicts."""
    stmt = select(Call)
    if closed_only:
        stmt = stmt.where(Call.closed.is_(True))
    if since is not None:
        stmt = stmt.where(Call.started_at >= since)
    if until is not None:
        stmt = stmt.where(Call.started_at < until)
    stmt = stmt.order_by(Call.started_at, Call.call_id)
    return [call_to_contract(row) for row in session.scalars(stmt)]
