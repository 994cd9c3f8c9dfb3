"""Work orders and their audit trail."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactcenter.db import Base, UTCDateTime
from contactcenter.tickets.terms import MAX_TERM

# BIGINT on PostgreSQL (millions of orders), INTEGER on SQLite so it stays the rowid
BigId = BigInteger().with_variant(Integer(), "sqlite")

MAX_SUBJECT = 200
MAX_DESCRIPTION = 4000
MAX_ADDRESS = 200
# workflow.UNIT_STATES, as SQL for a partial index
_UNIT_STATES_SQL = "status IN ('dispatched', 'in_progress', 'extension_requested', 'returned_for_redo')"


class WorkOrder(Base):
    """One citizen request, from intake to closure."""

    __tablename__ = "work_order"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # phone | web | sms
    channel: Mapped[str] = mapped_column(String(8))
    # the call record (`call.call_id`, Asterisk's Linkedid); no foreign key: the order is often
    # written while the call is still in progress, before the call record exists
    call_id: Mapped[str | None] = mapped_column(String(80), index=True)
    caller_number: Mapped[str | None] = mapped_column(String(32))
    caller_name: Mapped[str | None] = mapped_column(String(80))
    # consultation | help_request | complaint | report | suggestion | praise
    order_type: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(MAX_SUBJECT))
    description: Mapped[str] = mapped_column(Text)
    county: Mapped[str | None] = mapped_column(String(40))
    town: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(MAX_ADDRESS))
    status: Mapped[str] = mapped_column(String(24))
    important: Mapped[bool] = mapped_column(Boolean, default=False)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    complex_case: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("handling_unit.id"))
    proposed_unit_id: Mapped[int | None] = mapped_column(ForeignKey("handling_unit.id"))
    leader_instructions: Mapped[str | None] = mapped_column(Text)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    pending_extension_days: Mapped[int | None] = mapped_column(Integer)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    redo_count: Mapped[int] = mapped_column(Integer, default=0)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # direct (answered on the spot) | handled (by a unit)
    resolution: Mapped[str | None] = mapped_column(String(16))
    kb_article_ids: Mapped[list] = mapped_column(JSON, default=list)
    notify_channel: Mapped[str | None] = mapped_column(String(8))
    notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    result_call_requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    satisfaction: Mapped[str | None] = mapped_column(String(24))
    objection_reasonable: Mapped[bool | None] = mapped_column(Boolean)
    # the caller's keypress in the AGI survey at the end of the result call
    survey_satisfaction: Mapped[str | None] = mapped_column(String(24))
    survey_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # jieba-segmented subject, description and address, space-separated (full-text search)
    search_tokens: Mapped[str] = mapped_column(Text, default="")

    # the panel's queries: newest first by status / by unit, due lists, caller look-up
    __table_args__ = (
        Index("work_order__idx__created_at", "created_at"),
        Index("work_order__idx__status_created_at", "status", "created_at"),
        Index("work_order__idx__unit_id_status_created_at", "unit_id", "status", "created_at"),
        Index("work_order__idx__status_due_at", "status", "due_at"),
        Index("work_order__idx__unit_id_due_at", "unit_id", "due_at"),
        Index("work_order__idx__caller_number_status", "caller_number", "status"),
        # the deadline lists (overdue, due soon) over every unit state at once: migration 0007
        Index("work_order__idx__open_due_at", "due_at", "id", postgresql_where=text(_UNIT_STATES_SQL),
              sqlite_where=text(_UNIT_STATES_SQL)),
    )


class WorkOrderEvent(Base):
    """One transition of a work order: who, when, from, to, note."""

    __tablename__ = "work_order_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(80))
    # the unit concerned (dispatched to, returned by, ...): per-unit counts of returns
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("handling_unit.id"))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    # lets an order and its first events be written in one flush (fewer round trips)
    order: Mapped[WorkOrder] = relationship(lazy="raise")

    __table_args__ = (Index("work_order_event__idx__action_unit_id", "action", "unit_id"),)


class WorkOrderTerm(Base):
    """One search term of one work order (contactcenter.tickets.terms), with the order's creation
    time: the text search's own index. In key order (term, created_at, work_order_id) a term's
    orders come newest first out of the index alone; a full-text index would have to read every
    matching row to sort them, which at a million orders is most of a search's time for a word
    found in one order in fifty. Written once with the order: its texts and creation time never
    change."""

    __tablename__ = "work_order_term"

    term: Mapped[str] = mapped_column(String(MAX_TERM), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"), primary_key=True)
