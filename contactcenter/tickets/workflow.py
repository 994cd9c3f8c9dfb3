"""The work-order lifecycle as a pure state machine.

`decide(order, action, actor, at, **params)` checks the actor's role, the actor's unit and the
order's state, validates the parameters, and returns a `Decision`: the new status, the field
changes to apply and the audit event to record. It never touches a database or a clock; the
service layer (`contactcenter.tickets.service`) applies decisions inside one transaction.

States (status values stored on `work_order.status`)::

    new ──resolve_directly──▶ closed                        answered on the spot
    new/returned ──submit_for_approval──▶ awaiting_approval  important matter, to a city leader
    awaiting_approval ──approve──▶ dispatched   (leader's instructions kept)
    awaiting_approval ──send_back──▶ new
    new/returned ──dispatch──▶ dispatched        (important matters only once approved)
    dispatched ──accept──▶ in_progress
    dispatched ──return_to_centre──▶ returned     (not ours; the centre re-routes)
    in_progress ──request_extension──▶ extension_requested
    extension_requested ──approve_extension / refuse_extension──▶ in_progress
    in_progress ──reply──▶ replied
    replied ──notify_caller──▶ caller_notified   (result call or SMS)
    caller_notified ──record_opinion──▶ closed, or returned_for_redo on a reasonable objection
    returned_for_redo ──accept──▶ in_progress ; returned_for_redo ──reply──▶ replied
    open orders with a deadline ──escalate──▶ (same state, escalation recorded)
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from contactcenter.workdays import add_working_days, due_at_for

# --- vocabularies -----------------------------------------------------------------------------

ROLES = ("operator", "callback_agent", "unit_handler", "leader", "admin", "system")

ORDER_TYPES = {
    "consultation": "咨询",
    "help_request": "求助",
    "complaint": "投诉",
    "report": "举报",
    "suggestion": "建议",
    "praise": "表扬",
}
CHANNELS = ("phone", "web", "sms")
SATISFACTION = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
NOTIFY_CHANNELS = ("phone", "sms")

STATES = (
    "new",
    "awaiting_approval",
    "dispatched",
    "returned",
    "in_progress",
    "extension_requested",
    "replied",
    "caller_notified",
    "returned_for_redo",
    "closed",
)
# states in which a unit holds the order and its deadline runs
UNIT_STATES = ("dispatched", "in_progress", "extension_requested", "returned_for_redo")
OPEN_STATES = tuple(s for s in STATES if s != "closed")

MAX_NOTE = 2000
MAX_EXTENSION_DAYS = 15

CENTRE = ("operator", "admin")


@dataclass(frozen=True)
class Action:
    name: str
    sources: tuple[str, ...]
    roles: tuple[str, ...]
    # the actor must belong to the unit currently holding the order
    own_unit: bool = False


ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("resolve_directly", ("new",), CENTRE),
    Action("submit_for_approval", ("new", "returned"), CENTRE),
    Action("approve", ("awaiting_approval",), ("leader",)),
    Action("send_back", ("awaiting_approval",), ("leader",)),
    Action("dispatch", ("new", "returned"), CENTRE),
    Action("accept", ("dispatched", "returned_for_redo"), ("unit_handler",), own_unit=True),
    Action("return_to_centre", ("dispatched",), ("unit_handler",), own_unit=True),
    Action("request_extension", ("in_progress",), ("unit_handler",), own_unit=True),
    Action("approve_extension", ("extension_requested",), CENTRE),
    Action("refuse_extension", ("extension_requested",), CENTRE),
    Action("reply", ("in_progress", "returned_for_redo"), ("unit_handler",), own_unit=True),
    Action("notify_caller", ("replied",), ("operator", "callback_agent", "admin")),
    Action("record_opinion", ("caller_notified",), ("operator", "callback_agent", "admin")),
    Action("escalate", UNIT_STATES, ("system", "admin")),
)}


class WorkflowError(ValueError):
    """Base class: the request cannot be carried out; the message says why."""


class TransitionNotAllowed(WorkflowError):
    """The action is not possible from the order's current state."""


class PermissionDenied(WorkflowError):
    """The actor's role or unit does not allow this action on this order."""


class InvalidInput(WorkflowError):
    """A parameter is missing, malformed, too long or in the past."""


@dataclass(frozen=True)
class Actor:
    """Who acts: a role, a display name, and for unit handlers the unit they belong to."""

    role: str
    name: str
    unit_id: int | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidInput(f"unknown role {self.role!r} (one of {', '.join(ROLES)})")
        if not self.name or len(self.name) > 80:
            raise InvalidInput("actor name must be 1-80 characters")
        if self.role == "unit_handler" and self.unit_id is None:
            raise InvalidInput("a unit handler must belong to a unit")


@dataclass(frozen=True)
class OrderState:
    """What the workflow needs to know about an order (a snapshot, not the database row)."""

    status: str
    unit_id: int | None = None
    important: bool = False
    approved: bool = False
    order_type: str = "consultation"
    complex_case: bool = False
    dispatched_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    extension_days: int = 0
    pending_extension_days: int | None = None
    redo_count: int = 0
    return_count: int = 0
    proposed_unit_id: int | None = None


@dataclass(frozen=True)
class Decision:
    """The outcome of a permitted action: apply `changes` to the order, record the event."""

    action: str
    from_status: str
    to_status: str
    changes: dict[str, Any] = field(default_factory=dict)
    note: str | None = None
    # the unit concerned by the event (returned by, dispatched to, ...), for per-unit counts
    unit_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _text(params: dict, key: str, *, required: bool, limit: int = MAX_NOTE) -> str | None:
    value = params.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{key} is required")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{key} must be text")
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(f"{key} is too long ({len(value)} characters, at most {limit})")
    return value


def _unit(params: dict, key: str = "unit_id") -> int:
    value = params.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidInput(f"{key} must be a handling unit id")
    return value


def _aware(at: dt.datetime) -> None:
    if at.tzinfo is None:
        raise InvalidInput("time must be timezone-aware")


def allowed_actions(order: OrderState, actor: Actor) -> list[str]:
    """Actions this actor may attempt on this order now (for buttons in the panel)."""
    out = []
    for action in ACTIONS.values():
        if order.status not in action.sources or actor.role not in action.roles:
            continue
        if action.own_unit and actor.unit_id != order.unit_id:
            continue
        out.append(action.name)
    return out


def decide(order: OrderState, action_name: str, actor: Actor, at: dt.datetime, **params: Any) -> Decision:
    """Check and compute one transition. Raises `TransitionNotAllowed`, `PermissionDenied` or
    `InvalidInput`; returns a `Decision` otherwise. `at` is the (aware) time of the action."""
    _aware(at)
    action = ACTIONS.get(action_name)
    if action is None:
        raise InvalidInput(f"unknown action {action_name!r}")
    if order.status not in action.sources:
        raise TransitionNotAllowed(
            f"cannot {action_name} a work order that is {order.status} "
            f"(only from: {', '.join(action.sources)})")
    if actor.role not in action.roles:
        raise PermissionDenied(f"a {actor.role} may not {action_name} (allowed: {', '.join(action.roles)})")
    if action.own_unit and actor.unit_id != order.unit_id:
        raise PermissionDenied(f"this work order is held by another unit; a unit may only {action_name} its own")
    return _RULES[action_name](order, actor, at, params)


def _resolve_directly(order, actor, at, p) -> Decision:
    answer = _text(p, "answer", required=True)
    articles = p.get("kb_article_ids") or []
    if not isinstance(articles, (list, tuple)) or not all(
            isinstance(a, int) and not isinstance(a, bool) and a > 0 for a in articles):
        raise InvalidInput("kb_article_ids must be a list of knowledge-base article ids")
    if len(articles) > 20:
        raise InvalidInput("at most 20 knowledge-base articles")
    return Decision("resolve_directly", order.status, "closed",
                    {"resolution": "direct", "reply": answer, "kb_article_ids": list(articles),
                     "closed_at": at, "replied_at": at},
                    note=answer, data={"kb_article_ids": list(articles)})


def _submit_for_approval(order, actor, at, p) -> Decision:
    unit_id = _unit(p)
    note = _text(p, "note", required=True)
    return Decision("submit_for_approval", order.status, "awaiting_approval",
                    {"important": True, "approved": False, "proposed_unit_id": unit_id},
                    note=note, unit_id=unit_id)


def _dispatch_changes(order: OrderState, at: dt.datetime, p: dict, unit_id: int) -> dict:
    days = p.get("time_limit_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 30):
        raise InvalidInput("time_limit_days must be a whole number of working days from 1 to 30")
    due = p.get("due_at")
    if due is not None:
        if not isinstance(due, dt.datetime) or due.tzinfo is None:
            raise InvalidInput("due_at must be a timezone-aware time")
        if due <= at:
            raise InvalidInput(f"due_at {due.isoformat()} is in the past")
    tz = p.get("tz", "Asia/Shanghai")
    if due is None:
        if days is None:
            due = due_at_for(at, order.order_type, order.complex_case, tz=tz)
        else:
            due = add_working_days(at, days, tz=tz)
    return {"unit_id": unit_id, "dispatched_at": at, "due_at": due, "escalated_at": None,
            "extension_days": 0, "pending_extension_days": None}


def _approve(order, actor, at, p) -> Decision:
    instructions = _text(p, "instructions", required=True)
    unit_id = order.proposed_unit_id
    if unit_id is None:
        raise InvalidInput("no proposed unit on this approval form")
    changes = {"approved": True, "leader_instructions": instructions}
    changes.update(_dispatch_changes(order, at, p, unit_id))
    return Decision("approve", order.status, "dispatched", changes, note=instructions, unit_id=unit_id)


def _send_back(order, actor, at, p) -> Decision:
    note = _text(p, "note", required=True)
    return Decision("send_back", order.status, "new", {"approved": False}, note=note,
                    unit_id=order.proposed_unit_id)


def _dispatch(order, actor, at, p) -> Decision:
    unit_id = _unit(p)
    if order.important and not order.approved:
        raise TransitionNotAllowed("an important matter must be approved by a city leader before dispatch")
    if order.status == "returned" and unit_id == order.unit_id:
        raise InvalidInput("the unit returned this work order; re-route it to another unit")
    note = _text(p, "note", required=False)
    return Decision("dispatch", order.status, "dispatched", _dispatch_changes(order, at, p, unit_id),
                    note=note, unit_id=unit_id)


def _accept(order, actor, at, p) -> Decision:
    return Decision("accept", order.status, "in_progress", {"accepted_at": at},
                    note=_text(p, "note", required=False), unit_id=order.unit_id)


def _return_to_centre(order, actor, at, p) -> Decision:
    reason = _text(p, "reason", required=True)
    return Decision("return_to_centre", order.status, "returned",
                    {"return_count": order.return_count + 1, "due_at": None, "escalated_at": None},
                    note=reason, unit_id=order.unit_id)


def _request_extension(order, actor, at, p) -> Decision:
    days = p.get("days")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise InvalidInput(f"days must be a whole number of working days from 1 to {MAX_EXTENSION_DAYS}")
    reason = _text(p, "reason", required=True)
    return Decision("request_extension", order.status, "extension_requested",
                    {"pending_extension_days": days}, note=reason, unit_id=order.unit_id, data={"days": days})


def _approve_extension(order, actor, at, p) -> Decision:
    days = order.pending_extension_days or 0
    if days <= 0 or order.due_at is None:
        raise InvalidInput("no extension pending on this work order")
    new_due = add_working_days(order.due_at, days, tz=p.get("tz", "Asia/Shanghai"))
    return Decision("approve_extension", order.status, "in_progress",
                    {"due_at": new_due, "extension_days": order.extension_days + days,
                     "pending_extension_days": None, "escalated_at": None},
                    note=_text(p, "note", required=False), unit_id=order.unit_id,
                    data={"days": days, "due_at": new_due.isoformat()})


def _refuse_extension(order, actor, at, p) -> Decision:
    return Decision("refuse_extension", order.status, "in_progress", {"pending_extension_days": None},
                    note=_text(p, "note", required=True), unit_id=order.unit_id)


def _reply(order, actor, at, p) -> Decision:
    reply = _text(p, "reply", required=True)
    return Decision("reply", order.status, "replied", {"reply": reply, "replied_at": at},
                    note=reply, unit_id=order.unit_id,
                    data={"on_time": order.due_at is None or at <= order.due_at})


def _notify_caller(order, actor, at, p) -> Decision:
    channel = p.get("channel")
    if channel not in NOTIFY_CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(NOTIFY_CHANNELS)}")
    return Decision("notify_caller", order.status, "caller_notified",
                    {"notify_channel": channel, "notified_at": at},
                    note=_text(p, "note", required=False), unit_id=order.unit_id, data={"channel": channel})


def _record_opinion(order, actor, at, p) -> Decision:
    satisfaction = p.get("satisfaction")
    if satisfaction not in SATISFACTION:
        raise InvalidInput(f"satisfaction must be one of {', '.join(SATISFACTION)}")
    reasonable = p.get("objection_reasonable", False)
    if not isinstance(reasonable, bool):
        raise InvalidInput("objection_reasonable must be true or false")
    if reasonable and satisfaction != "dissatisfied":
        raise InvalidInput("only a dissatisfied caller can raise an objection")
    note = _text(p, "note", required=reasonable)
    changes: dict[str, Any] = {"satisfaction": satisfaction, "objection_reasonable": reasonable}
    if reasonable:
        # back to the same unit, with a fresh deadline counted from now
        changes.update({"redo_count": order.redo_count + 1, "reply": None, "replied_at": None,
                        "dispatched_at": at, "escalated_at": None,
                        "due_at": due_at_for(at, order.order_type, order.complex_case,
                                             tz=p.get("tz", "Asia/Shanghai"))})
        to = "returned_for_redo"
    else:
        changes.update({"closed_at": at, "resolution": "handled"})
        to = "closed"
    return Decision("record_opinion", order.status, to, changes, note=note, unit_id=order.unit_id,
                    data={"satisfaction": satisfaction, "objection_reasonable": reasonable})


def _escalate(order, actor, at, p) -> Decision:
    if order.due_at is None or at <= order.due_at:
        raise InvalidInput("only an overdue work order can be escalated")
    return Decision("escalate", order.status, order.status, {"escalated_at": at},
                    note=_text(p, "note", required=False) or "overdue", unit_id=order.unit_id)


_RULES = {
    "resolve_directly": _resolve_directly,
    "submit_for_approval": _submit_for_approval,
    "approve": _approve,
    "send_back": _send_back,
    "dispatch": _dispatch,
    "accept": _accept,
    "return_to_centre": _return_to_centre,
    "request_extension": _request_extension,
    "approve_extension": _approve_extension,
    "refuse_extension": _refuse_extension,
    "reply": _reply,
    "notify_caller": _notify_caller,
    "record_opinion": _record_opinion,
    "escalate": _escalate,
}
assert set(_RULES) == set(ACTIONS)
