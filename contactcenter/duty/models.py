"""The leader duty schedule."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UTCDateTime


class DutySlot(Base):
    """One duty session: a unit's head answers the hotline (Wednesday mornings by default)."""

    __tablename__ = "duty_slot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    duty_date: Mapped[dt.date] = mapped_column(Date, unique=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    unit_id: Mapped[int] = mapped_column(ForeignKey("handling_unit.id"), index=True)
    head_name: Mapped[str | None] = mapped_column(String(80))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
