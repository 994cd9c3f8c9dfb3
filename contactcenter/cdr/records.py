"""What the correlator hands out: one `CallRecord` per call, with the seats it rang.

Pure data (no I/O). Times are timezone-aware UTC datetimes. Field meanings follow the call
record contract of shared/DESIGN.md.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# outcome names (contract)
ANSWERED = "answered"
ABANDONED = "abandoned"
BUSY = "busy"
NO_ANSWER = "no_answer"
FAILED = "failed"
OUTCOMES = (ANSWERED, ABANDONED, BUSY, NO_ANSWER, FAILED)

# where an abandon happened
STAGE_IVR = "ivr"
STAGE_QUEUE = "queue"
STAGE_RINGING = "ringing"

INBOUND = "inbound"
CALLBACK = "callback"
OUTBOUND = "outbound"


@dataclass
class LegRecord:
    """One seat rung for the call."""

    unique_id: str
    seat: str
    channel: str | None
    ring_started_at: dt.datetime
    answered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    result: str | None = None  # answered | no_answer | busy | rejected | caller_gone | failed


@dataclass
class CallRecord:
    call_id: str
    direction: str
    caller: str | None
    caller_raw: str | None
    caller_name: str | None
    dialed: str | None
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    queue: str | None = None
    queued_at: dt.datetime | None = None
    wait_s: float | None = None
    answered_at: dt.datetime | None = None
    answered_by: str | None = None
    seats: list[str] = field(default_factory=list)
    talk_s: float | None = None
    outcome: str | None = None
    stage: str | None = None
    hangup_cause: int | None = None
    missed: bool = False
    short_abandon: bool = False
    callback_id: str | None = None
    closed: bool = False
    close_note: str | None = None
    legs: list[LegRecord] = field(default_factory=list)

    def to_contract(self) -> dict:
        """The call record as `contactcenter calls --format jsonl` prints it."""
        return {
            "call_id": self.call_id,
            "direction": self.direction,
            "caller": self.caller,
            "dialed": self.dialed,
            "started_at": iso_utc(self.started_at),
            "ended_at": iso_utc(self.ended_at),
            "queue": self.queue,
            "wait_s": _round(self.wait_s),
            "answered_by": self.answered_by,
            "talk_s": _round(self.talk_s),
            "outcome": self.outcome,
            "stage": self.stage,
            "hangup_cause": self.hangup_cause,
            "missed": self.missed,
            "short_abandon": self.short_abandon,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def iso_utc(value: dt.datetime | None) -> str | None:
    """ISO 8601 UTC with milliseconds and a Z, as in the contract."""
    if value is None:
        return None
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
