"""The panel's doorway to the other areas' services (work orders, routing, knowledge base,
callback dialer, statistics, leader duty). Views call these functions only; each area's
service module is imported where it is used, and an area not installed yet is simply
absent from the panel (its pages are not registered) rather than imitated."""
from __future__ import annotations

import importlib.util


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
    # the package exists from the skeleton; its figures module arrives with the dialer branch
    return _present("contactcenter.stats.service")


def has_duty() -> bool:
    return _present("contactcenter.duty.service")


def available_areas() -> set[str]:
    """Which optional panel areas can be served with the services installed."""
    areas = set()
    if has_orders():
        areas |= {"orders", "units", "public"}
    if has_knowledge():
        areas.add("knowledge")
    if has_duty():
        areas.add("duty")
    if has_stats():
        areas.add("stats")
    return areas


def orders_for_call(session, call_id: str) -> list:
    return []


def list_units(session) -> list:
    return []
