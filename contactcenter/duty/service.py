"""Leader duty with the database: plan and publish the schedule, build a unit's digest."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.duty import schedule
from contactcenter.duty.models import DutySlot
from contactcenter.routing.models import HandlingUnit
from contactcenter.tickets.models import WorkOrder
from contactcenter.tickets.workflow import Actor, InvalidInput, PermissionDenied

TZ = "Asia/Shanghai"


def _today(now: dt.datetime) -> dt.date:
    if now.tzinfo is None:
        raise InvalidInput("now must be timezone-aware")
    return now.astimezone(ZoneInfo(TZ)).date()


def slot_dict(slot: DutySlot, unit: HandlingUnit | None) -> dict:
    return {"duty_date": slot.duty_date, "starts_at": slot.starts_at, "ends_at": slot.ends_at,
            "unit_id": slot.unit_id, "unit_code": unit.code if unit else None,
            "unit_name": unit.name if unit else None, "head_name": slot.head_name,
            "head_title": unit.head_title if unit else None, "published_at": slot.published_at}


def plan_weeks(session: Session, actor: Actor, now: dt.datetime, weeks: int = 8, weekday: int = 2,
               start: dt.time = dt.time(9, 0), end: dt.time = dt.time(11, 0)) -> list[dict]:
    """Add duty slots for the coming `weeks` (after the last one planned), rotating through the
    active units by `duty_rank`; existing slots are kept. Centre staff only."""
    if actor.role not in ("operator", "admin"):
        raise PermissionDenied("only the centre plans the leader duty")
    today = _today(now)
    last = session.scalars(select(DutySlot).order_by(DutySlot.duty_date.desc())).first()
    after = max(today, last.duty_date) if last else today
    units = session.scalars(select(HandlingUnit).where(HandlingUnit.active.is_(True))
                            .order_by(HandlingUnit.duty_rank, HandlingUnit.code)).all()
    try:
        planned = schedule.plan([u.id for u in units], after, weeks, last.unit_id if last else None,
                                weekday=weekday, start=start, end=end, tz=TZ)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    by_id = {u.id: u for u in units}
    out = []
    for p in planned:
        slot = DutySlot(duty_date=p.duty_date, starts_at=p.starts_at, ends_at=p.ends_at, unit_id=p.unit_id,
                        head_name=by_id[p.unit_id].head_name)
        session.add(slot)
        out.append(slot)
    session.flush()
    return [slot_dict(s, by_id.get(s.unit_id)) for s in out]


def publish_due(session: Session, now: dt.datetime) -> list[dict]:
    """Publish every unpublished slot that is now at most a week away (run daily)."""
    today = _today(now)
    slots = session.scalars(select(DutySlot).where(DutySlot.published_at.is_(None), DutySlot.duty_date > today,
                                                   DutySlot.duty_date <= today + schedule.PUBLISH_AHEAD)
                            .order_by(DutySlot.duty_date)).all()
    for s in slots:
        s.published_at = now
    session.flush()
    return [slot_dict(s, session.get(HandlingUnit, s.unit_id)) for s in slots]


def list_schedule(session: Session, now: dt.datetime, published_only: bool = False,
                  weeks: int = 8) -> list[dict]:
    """Slots from today on for the next `weeks` weeks (the public sees published ones only)."""
    today = _today(now)
    stmt = select(DutySlot).where(DutySlot.duty_date >= today,
                                  DutySlot.duty_date < today + dt.timedelta(weeks=weeks))
    if published_only:
        stmt = stmt.where(DutySlot.published_at.is_not(None))
    return [slot_dict(s, session.get(HandlingUnit, s.unit_id))
            for s in session.scalars(stmt.order_by(DutySlot.duty_date))]


def _trend(now_count: int, before: int) -> str:
    if now_count > before:
        return "up"
    if now_count < before:
        return "down"
    return "flat"


def digest(session: Session, unit_id: int, now: dt.datetime, days: int = 30, top: int = 5,
           examples: int = 2) -> dict:
    """Hot topics of a unit's recent work orders and calls, for its head before duty: the top
    subject categories over the last `days` days with counts, the previous period's counts and
    the trend, and example requests with callers' details scrubbed."""
    _today(now)
    unit = session.get(HandlingUnit, unit_id) if isinstance(unit_id, int) else None
    if unit is None:
        from contactcenter.tickets.service import UnknownUnit
        raise UnknownUnit(f"unknown handling unit {unit_id}")
    if not 1 <= days <= 365:
        raise InvalidInput("days must be 1-365")
    start, prev_start = now - dt.timedelta(days=days), now - dt.timedelta(days=2 * days)

    def counts(a, b) -> Counter:
        rows = session.execute(select(WorkOrder.category, func.count()).where(
            WorkOrder.unit_id == unit_id, WorkOrder.created_at >= a, WorkOrder.created_at < b)
            .group_by(WorkOrder.category))
        return Counter(dict(rows.all()))

    current, previous = counts(start, now), counts(prev_start, start)
    calls = session.scalar(select(func.count()).select_from(WorkOrder).where(
        WorkOrder.unit_id == unit_id, WorkOrder.created_at >= start, WorkOrder.created_at < now,
        WorkOrder.call_id.is_not(None))) or 0
    topics = []
    for category, n in sorted(current.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        sample = session.scalars(select(WorkOrder).where(
            WorkOrder.unit_id == unit_id, WorkOrder.category == category, WorkOrder.created_at >= start,
            WorkOrder.created_at < now).order_by(WorkOrder.created_at.desc()).limit(examples)).all()
        topics.append({"category": category, "count": n, "previous": previous.get(category, 0),
                       "trend": _trend(n, previous.get(category, 0)),
                       "examples": [{"subject": schedule.scrub(o.subject),
                                     "description": schedule.scrub(o.description)[:300],
                                     "town": o.town, "status": o.status} for o in sample]})
    return {"unit_id": unit.id, "unit_code": unit.code, "unit_name": unit.name,
            "period_days": days, "orders": sum(current.values()), "previous_orders": sum(previous.values()),
            "orders_from_calls": int(calls), "topics": topics}
