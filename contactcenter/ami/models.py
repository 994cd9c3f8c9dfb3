"""The AMI journal: every message received, raw, in arrival order, before it is processed."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UTCDateTime


class JournalEntry(Base):
    __tablename__ = "ami_journal"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # which TCP connection (a listener-wide counter) and where it came from
    connection: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(200))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    event: Mapped[str | None] = mapped_column(String(64), index=True)
    # ok | malformed | oversized | undecodable | error
    status: Mapped[str] = mapped_column(String(16), default="ok")
    error: Mapped[str | None] = mapped_column(Text)
