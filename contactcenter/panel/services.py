"""The panel's doorway to the other areas' services (work orders, routing, knowledge base,
callback dialer, statistics, leader duty). Views call these functions only; each area's
service module is imported where it is used, and an area not installed yet is simply
absent from the panel (its pages are not registered) rather than imitated."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass


def _present(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def has_orders() -> bool:
    return _present("contactcenter.tickets.service")


def has_redial() -> bool:
    return _present("contactcenter.redial.service")


def has_knowledge() -> bool:
    return _present("contactcenter.knowledge.service")


def has_stats() -> bool:
    # the package exists from the skeleton; its queries arrive with the dialer branch
    return _present("contactcenter.stats.queries")


def has_order_stats() -> bool:
    return _present("contactcenter.tickets.stats")


def has_duty() -> bool:
    return _present("contactcenter.duty.service")


def available_areas() -> set[str]:
    """Which optional panel areas can be served with the services installed."""
    areas = set()
    if has_orders():
        areas |= {"orders", "units", "public"}
    if has_knowledge():
        areas.add("knowledge")
    if has_redial():
        areas.add("callback_actions")
    if has_duty():
        areas.add("duty")
    if has_stats():
        areas.add("stats")
    return areas


def orders_for_call(session, call_id: str) -> list[dict]:
    """Work orders registered from this call (id, subject, status), oldest first."""
    if not has_orders():
        return []
    from sqlalchemy import select

    from contactcenter.tickets.models import WorkOrder

    rows = session.execute(select(WorkOrder.id, WorkOrder.subject, WorkOrder.status)
                           .where(WorkOrder.call_id == call_id).order_by(WorkOrder.id)).all()
    return [{"id": r[0], "subject": r[1], "status": r[2]} for r in rows]


@dataclass(frozen=True)
class UnitChoice:
    code: str
    name: str


def list_units(session) -> list[UnitChoice]:
    """Active handling units (for tying a unit handler's account to its unit)."""
    if not has_orders():
        return []
    from contactcenter.tickets.service import list_units as _list

    return [UnitChoice(u["code"], f"{u['code']} {u['name']}") for u in _list(session)]
