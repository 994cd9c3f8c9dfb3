"""Work-order statistics: per unit and overall, from the audit trail (no callers' details).

Definitions (events whose time falls in [from, to)):
- `dispatched`: dispatch events to the unit (a leader's approval dispatches too);
- `returns`: the unit returned an order as not theirs;
- `replies`, `replies_on_time`: unit replies, and those made by the deadline in force;
- `on_time_reply_rate` = replies_on_time / replies;
- `redo`: reasonable objections that sent an order back to the unit;
- `opinions`, `satisfied`: callers' opinions recorded, and those satisfied or basically satisfied;
- `satisfaction_rate` = satisfied / opinions;
- overall `created`, `direct_resolved`, `direct_resolution_rate` = answered on the spot / created.
Rates are None when their denominator is 0.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.routing.models import HandlingUnit
from contactcenter.tickets.models import WorkOrder, WorkOrderEvent

COUNTED = ("dispatch", "approve", "return_to_centre", "reply", "record_opinion")
UNIT_KEYS = ("dispatched", "returns", "replies", "replies_on_time", "redo", "opinions", "satisfied")


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _rates(row: dict) -> dict:
    row["on_time_reply_rate"] = _rate(row["replies_on_time"], row["replies"])
    row["satisfaction_rate"] = _rate(row["satisfied"], row["opinions"])
    return row


def work_order_stats(session: Session, start: dt.datetime, end: dt.datetime) -> dict:
    """`{"overall": {...}, "units": [{unit_id, code, name, ...}, ...]}` for events in [start, end)."""
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        raise ValueError("give an aware time range with start before end")
    per_unit: dict[int, dict] = defaultdict(lambda: dict.fromkeys(UNIT_KEYS, 0))
    rows = session.execute(
        select(WorkOrderEvent.action, WorkOrderEvent.unit_id, WorkOrderEvent.to_status, WorkOrderEvent.data)
        .where(WorkOrderEvent.at >= start, WorkOrderEvent.at < end, WorkOrderEvent.action.in_(COUNTED)))
    for action, unit_id, to_status, data in rows:
        if unit_id is None:
            continue
        u = per_unit[unit_id]
        data = data or {}
        if action in ("dispatch", "approve"):
            u["dispatched"] += 1
        elif action == "return_to_centre":
            u["returns"] += 1
        elif action == "reply":
            u["replies"] += 1
            u["replies_on_time"] += bool(data.get("on_time"))
        elif action == "record_opinion":
            u["opinions"] += 1
            u["satisfied"] += data.get("satisfaction") in ("satisfied", "basically_satisfied")
            u["redo"] += to_status == "returned_for_redo"
    units = {u.id: u for u in session.scalars(select(HandlingUnit))}
    unit_rows = []
    for unit_id in sorted(per_unit, key=lambda i: units[i].code if i in units else str(i)):
        unit = units.get(unit_id)
        unit_rows.append(_rates({"unit_id": unit_id, "code": unit.code if unit else None,
                                 "name": unit.name if unit else None, **per_unit[unit_id]}))
    overall = dict.fromkeys(UNIT_KEYS, 0)
    for r in unit_rows:
        for k in UNIT_KEYS:
            overall[k] += r[k]
    created = session.scalar(select(func.count()).select_from(WorkOrder).where(
        WorkOrder.created_at >= start, WorkOrder.created_at < end)) or 0
    direct = session.scalar(select(func.count()).select_from(WorkOrder).where(
        WorkOrder.created_at >= start, WorkOrder.created_at < end, WorkOrder.resolution == "direct")) or 0
    overall = _rates(overall)
    overall.update({"created": int(created), "direct_resolved": int(direct),
                    "direct_resolution_rate": _rate(int(direct), int(created))})
    return {"overall": overall, "units": unit_rows}
