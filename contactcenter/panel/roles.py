"""Who may do what in the panel: one table, read by the views and by the tests.

Pure data and functions; no Flask here.
"""
from __future__ import annotations

OPERATOR = "operator"
CALLBACK_AGENT = "callback_agent"
UNIT_HANDLER = "unit_handler"
LEADER = "leader"
ADMIN = "admin"

ROLES: dict[str, str] = {
    OPERATOR: "话务员",
    CALLBACK_AGENT: "回访专员",
    UNIT_HANDLER: "承办单位",
    LEADER: "值班领导",
    ADMIN: "管理员",
}

_CENTRE = {OPERATOR, CALLBACK_AGENT, LEADER, ADMIN}
_ALL = set(ROLES)

# capability -> roles allowed. Unit handlers are further limited to their own unit's orders
# by the work-order views (never by hiding links alone).
PERMISSIONS: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    "wallboard": _CENTRE,
    "calls": _CENTRE,
    "callbacks.view": _CENTRE,
    "callbacks.work": {CALLBACK_AGENT, LEADER, ADMIN},
    "orders.view": _ALL,
    "orders.intake": {OPERATOR, CALLBACK_AGENT, LEADER, ADMIN},
    "orders.dispatch": {OPERATOR, LEADER, ADMIN},
    "orders.approve": {LEADER},
    "orders.unit": {UNIT_HANDLER},
    "orders.feedback": {OPERATOR, CALLBACK_AGENT, LEADER, ADMIN},
    "knowledge.view": _ALL,
    "knowledge.edit": {LEADER, ADMIN},
    "units.view": _CENTRE,
    "units.edit": {ADMIN},
    "duty.view": _CENTRE,
    "duty.edit": {LEADER, ADMIN},
    "stats": {LEADER, ADMIN},
    "admin": {ADMIN},
    # see a caller's full number (with a reason, audited); unit handlers never may
    "unmask": {OPERATOR, CALLBACK_AGENT, LEADER, ADMIN},
}.items()}


def can(role: str | None, capability: str) -> bool:
    """True when `role` holds `capability` (unknown capabilities are refused)."""
    return role is not None and role in PERMISSIONS.get(capability, frozenset())


def home_endpoint(role: str) -> str:
    """Where a user lands after logging in."""
    if role == UNIT_HANDLER:
        return "orders.index"
    if role == CALLBACK_AGENT:
        return "callbacks.index"
    return "wallboard.index"
