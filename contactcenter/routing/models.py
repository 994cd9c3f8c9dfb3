"""The handling units the hotline dispatches work orders to (seeded, editable data)."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base

UNIT_KINDS = ("county", "zone", "department")


class HandlingUnit(Base):
    """A county/district, development zone or city department (each a second-level platform)."""

    __tablename__ = "handling_unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    short_name: Mapped[str] = mapped_column(String(40))
    # county | zone | department
    kind: Mapped[str] = mapped_column(String(16), index=True)
    # other names citizens use for the unit (东阿, 经开区, 公积金中心)
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    # towns and streets of a territorial unit (place names that route to it)
    places: Mapped[list] = mapped_column(JSON, default=list)
    # subject keywords that route to a department
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    # handled city-wide by this department even when a county is named (vertical management)
    vertical: Mapped[bool] = mapped_column(Boolean, default=False)
    head_name: Mapped[str | None] = mapped_column(String(80))
    head_title: Mapped[str | None] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # order in the leader-duty rotation
    duty_rank: Mapped[int] = mapped_column(Integer, default=0)
