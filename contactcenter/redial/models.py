"""The callback list: one open entry per caller number owed a call back."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Integer, String, Text
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
