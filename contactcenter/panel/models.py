"""Panel accounts and the audit trail of sensitive actions (unmasking a caller's number)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UTCDateTime


class PanelUser(Base):
    """Someone who logs in to the panel. `unit` ties a unit handler to its handling unit."""

    __tablename__ = "panel_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(80))
    # werkzeug.security hash (scrypt / pbkdf2), never the password
    password_hash: Mapped[str] = mapped_column(String(255))
    # operator | callback_agent | unit_handler | leader | admin
    role: Mapped[str] = mapped_column(String(24))
    unit: Mapped[str | None] = mapped_column(String(64), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PanelAudit(Base):
    """Who did what sensitive thing, when and why (e.g. showed a caller's full number)."""

    __tablename__ = "panel_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
