"""Work-order services: the workflow applied to the database, for the panel and the commands.

No Flask here. Every function takes an open SQLAlchemy `Session` (use
`contactcenter.db.session_scope(url)`: it commits on success and rolls back on error), the
acting `Actor`, and `now` (an aware datetime). Functions validate everything before writing,
so a refused call leaves the database untouched.

Errors (all subclasses of `WorkflowError`, itself a `ValueError`):
- `InvalidInput` - bad or missing parameter, over-long text, deadline in the past;
- `UnknownUnit` (an `InvalidInput`) - no such active handling unit;
- `NotFound` - no such work order, or one the viewer may not see (a unit handler asking
  for another unit's order gets NotFound, not a hint that it exists);
- `TransitionNotAllowed` - the action is impossible from the order's state;
- `PermissionDenied` - the actor's role or unit may not do this.

Returned orders are plain dicts (see `order_dict`); the caller's number is masked
(`139****1234`) unless the viewer's role is in `CALLER_VISIBLE_ROLES`.
"""
from __future__ import annotations

import datetime as dt
import inspect
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session

from contactcenter import workdays
from contactcenter.routing.models import HandlingUnit
from contactcenter.routing.suggest import Router, Suggestion, UnitInfo
from contactcenter.tickets import workflow as wf
from contactcenter.tickets import terms as search_terms
from contactcenter.tickets.models import (MAX_ADDRESS, MAX_DESCRIPTION, MAX_SUBJECT, WorkOrder, WorkOrderEvent,
                                          WorkOrderTerm)
from contactcenter.tickets.workflow import (Actor, InvalidInput, OrderState, PermissionDenied,
                                            TransitionNotAllowed, WorkflowError)

log = logging.getLogger(__name__)

__all__ = [
    "Actor", "WorkflowError", "InvalidInput", "UnknownUnit", "NotFound", "TransitionNotAllowed",
    "PermissionDenied", "CALLER_VISIBLE_ROLES", "create_order", "act", "dispatch", "notify_caller",
    "record_survey", "get_order", "list_orders", "OrderPage", "list_units", "get_unit", "update_unit",
    "suggest_units", "caller_summary", "mask_number", "order_dict",
]

CALLER_VISIBLE_ROLES = frozenset({"operator", "callback_agent", "admin"})
INTAKE_ROLES = frozenset({"operator", "admin", "system"})
MAX_LIST = 200
MAX_OFFSET = 100_000  # page 2,000 of 50: deeper than anyone pages (a date filter gets there)
MAX_CATEGORY = 40
MAX_PLACE = 40
MAX_NAME = 80
SURVEY_DIGITS = {"1": "satisfied", "2": "basically_satisfied", "3": "dissatisfied"}


class UnknownUnit(InvalidInput):
    """No active handling unit with that id (or code)."""


class NotFound(WorkflowError):
    """No such work order, or not one this viewer may see."""


# --- helpers ------------------------------------------------------------------------------------

def mask_number(number: str | None) -> str | None:
    """`13900001234` → `139****1234`; short numbers keep only their last two digits."""
    if not number:
        return number
    if len(number) >= 8:
        return number[:3] + "*" * (len(number) - 7) + number[-4:]
    return "*" * (len(number) - 2) + number[-2:]


def _aware(now: dt.datetime) -> dt.datetime:
    if not isinstance(now, dt.datetime) or now.tzinfo is None:
        raise InvalidInput("now must be a timezone-aware datetime")
    return now


def _text(value: Any, name: str, limit: int, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text")
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(f"{name} is too long ({len(value)} characters, at most {limit})")
    if name not in ("description", "text") and ("\n" in value or "\r" in value):
        raise InvalidInput(f"{name} must be a single line")
    # control characters (a NUL PostgreSQL refuses to store) and lone surrogates (no UTF-8 for them)
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\r\t" for c in value):
        raise InvalidInput(f"{name} contains control characters")
    return value


_NUMBER = re.compile(r"^[0-9]{3,20}$")


def _caller_number(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    # full-width digits (１３９…, ＋８６) read as half-width ones; other scripts' digits are refused
    digits = re.sub(r"[ \-()]", "", unicodedata.normalize("NFKC", str(value)).strip(" "))
    if digits.startswith("+86"):
        digits = digits[3:]
    if not _NUMBER.match(digits):
        raise InvalidInput("caller_number must be 3-20 digits (national form)")
    return digits


def search_tokens(*parts: str | None) -> str:
    """An order's search terms as one text, space-separated with spaces at both ends (kept on the
    order to show what it is found by; the search itself reads work_order_term)."""
    return _as_tokens(search_terms.order_terms(*parts))


def _as_tokens(terms: list[str]) -> str:
    return " " + " ".join(terms) + " "


def _state(order: WorkOrder) -> OrderState:
    return OrderState(status=order.status, unit_id=order.unit_id, important=order.important,
                      approved=order.approved, order_type=order.order_type, complex_case=order.complex_case,
                      dispatched_at=order.dispatched_at, due_at=order.due_at,
                      extension_days=order.extension_days, pending_extension_days=order.pending_extension_days,
                      redo_count=order.redo_count, return_count=order.return_count,
                      proposed_unit_id=order.proposed_unit_id)


def _unit_or_fail(session: Session, unit_id: Any) -> HandlingUnit:
    if not isinstance(unit_id, int) or isinstance(unit_id, bool):
        raise InvalidInput("unit_id must be a handling unit id")
    unit = session.get(HandlingUnit, unit_id)
    if unit is None or not unit.active:
        raise UnknownUnit(f"unknown handling unit {unit_id}")
    return unit


def unit_by_code(session: Session, code: str) -> HandlingUnit:
    """The active unit with this code (C01, D23, ...) or its full name."""
    unit = session.scalars(select(HandlingUnit).where(
        or_(HandlingUnit.code == code, HandlingUnit.name == code))).first()
    if unit is None or not unit.active:
        raise UnknownUnit(f"unknown handling unit {code!r}")
    return unit


def _can_see(order: WorkOrder, viewer: Actor) -> bool:
    return viewer.role != "unit_handler" or order.unit_id == viewer.unit_id


def order_dict(order: WorkOrder, viewer: Actor, now: dt.datetime | None = None,
               unit_names: dict[int, str] | None = None) -> dict:
    """A work order as the viewer may see it (caller's number masked unless allowed)."""
    show = viewer.role in CALLER_VISIBLE_ROLES
    names = unit_names or {}
    return {
        "id": order.id,
        "channel": order.channel,
        "call_id": order.call_id,
        "caller_number": order.caller_number if show else mask_number(order.caller_number),
        "caller_name": order.caller_name if show else (order.caller_name[:1] + "**" if order.caller_name else None),
        "order_type": order.order_type,
        "category": order.category,
        "subject": order.subject,
        "description": order.description,
        "county": order.county, "town": order.town, "address": order.address,
        "status": order.status,
        "important": order.important, "approved": order.approved, "complex_case": order.complex_case,
        "unit_id": order.unit_id, "unit_name": names.get(order.unit_id) if order.unit_id else None,
        "proposed_unit_id": order.proposed_unit_id,
        "leader_instructions": order.leader_instructions,
        "dispatched_at": order.dispatched_at, "accepted_at": order.accepted_at, "due_at": order.due_at,
        "due_state": (workdays.due_state(order.due_at, now) if now and order.status in wf.UNIT_STATES
                      else "none"),
        "extension_days": order.extension_days, "pending_extension_days": order.pending_extension_days,
        "escalated_at": order.escalated_at,
        "return_count": order.return_count, "redo_count": order.redo_count,
        "reply": order.reply, "replied_at": order.replied_at, "resolution": order.resolution,
        "kb_article_ids": list(order.kb_article_ids or []),
        "notify_channel": order.notify_channel, "notified_at": order.notified_at,
        "result_call_requested_at": order.result_call_requested_at,
        "satisfaction": order.satisfaction, "objection_reasonable": order.objection_reasonable,
        "survey_satisfaction": order.survey_satisfaction,
        "closed_at": order.closed_at, "created_by": order.created_by,
        "created_at": order.created_at, "updated_at": order.updated_at,
    }


def _event(order: WorkOrder, at: dt.datetime, action: str, from_status: str | None, to_status: str,
           actor: Actor, unit_id: int | None = None, note: str | None = None,
           data: dict | None = None) -> WorkOrderEvent:
    return WorkOrderEvent(order=order, at=at, action=action, from_status=from_status,
                          to_status=to_status, actor_role=actor.role, actor_name=actor.name,
                          unit_id=unit_id, note=note, data=data or {})


def _load_for_update(session: Session, order_id: Any) -> WorkOrder:
    if not isinstance(order_id, int) or isinstance(order_id, bool) or order_id <= 0:
        raise InvalidInput("work order id must be a positive whole number")
    order = session.scalars(select(WorkOrder).where(WorkOrder.id == order_id).with_for_update()).first()
    if order is None:
        raise NotFound(f"no work order {order_id}")
    return order


# --- intake ---------------------------------------------------------------------------------------

def create_order(session: Session, actor: Actor, now: dt.datetime, *, channel: str, order_type: str,
                 category: str, subject: str, description: str, caller_number: str | None = None,
                 caller_name: str | None = None, call_id: str | None = None, county: str | None = None,
                 town: str | None = None, address: str | None = None, important: bool = False,
                 complex_case: bool = False, dispatch_to: int | None = None,
                 time_limit_days: int | None = None) -> dict:
    """Register a request (intake from a call, the web form or SMS). Returns the new order.

    `call_id` links a phone order to the call record (`call.call_id`, Asterisk's Linkedid);
    a phone order may also be written without it (a caller on another line, a call taken
    before the listener ran), it then simply has no call link. Roles: operator, admin, system (web form / SMS).
    With `dispatch_to` (a unit id) the order is dispatched at once, as an operator does while
    the caller is still on the line: same checks and events as `dispatch`, one write."""
    _aware(now)
    if actor.role not in INTAKE_ROLES:
        raise PermissionDenied(f"a {actor.role} may not register work orders")
    if channel not in wf.CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(wf.CHANNELS)}")
    if order_type not in wf.ORDER_TYPES:
        raise InvalidInput(f"order_type must be one of {', '.join(wf.ORDER_TYPES)}")
    call_id = _text(call_id, "call_id", 80, required=False)
    if call_id and not re.fullmatch(r"[\w.\-]+", call_id):
        raise InvalidInput("call_id must look like an Asterisk Linkedid (e.g. 1733230000.12)")
    values = dict(
        channel=channel, order_type=order_type, call_id=call_id,
        category=_text(category, "category", MAX_CATEGORY, required=True),
        subject=_text(subject, "subject", MAX_SUBJECT, required=True),
        description=_text(description, "description", MAX_DESCRIPTION, required=True),
        caller_number=_caller_number(caller_number),
        caller_name=_text(caller_name, "caller_name", MAX_NAME, required=False),
        county=_text(county, "county", MAX_PLACE, required=False),
        town=_text(town, "town", MAX_PLACE, required=False),
        address=_text(address, "address", MAX_ADDRESS, required=False),
        important=bool(important), complex_case=bool(complex_case),
    )
    decision = None
    if dispatch_to is not None:
        _unit_or_fail(session, dispatch_to)
        decision = wf.decide(OrderState("new", important=values["important"], order_type=order_type,
                                        complex_case=values["complex_case"]),
                             "dispatch", actor, now, unit_id=dispatch_to, time_limit_days=time_limit_days)
    terms = search_terms.order_terms(values["subject"], values["description"], values["county"],
                                     values["town"], values["address"])
    order = WorkOrder(**values, status="new", approved=False, extension_days=0, return_count=0,
                      redo_count=0, kb_article_ids=[], created_by=actor.name, created_at=now, updated_at=now,
                      search_tokens=_as_tokens(terms))
    session.add(order)
    session.add(_event(order, now, "create", None, "new", actor, data={"channel": channel}))
    if decision is not None:
        for key, value in decision.changes.items():
            setattr(order, key, value)
        order.status = decision.to_status
        session.add(_event(order, now, "dispatch", "new", decision.to_status, actor, decision.unit_id,
                           decision.note))
    session.flush()
    if terms:
        session.execute(insert(WorkOrderTerm), [{"term": t, "created_at": now, "work_order_id": order.id}
                                                for t in terms])
    log.info("work order %s created by %s (%s) from %s, caller %s", order.id, actor.name, actor.role,
             channel, mask_number(order.caller_number))
    return order_dict(order, actor, now)


# --- transitions --------------------------------------------------------------------------------

def act(session: Session, order_id: int, action: str, actor: Actor, now: dt.datetime,
        **params: Any) -> dict:
    """Carry out one workflow action (see `contactcenter.tickets.workflow.ACTIONS`) on an order.

    Parameters by action: resolve_directly(answer, kb_article_ids), submit_for_approval(unit_id,
    note), approve(instructions[, time_limit_days, due_at]), send_back(note), dispatch(unit_id
    [, time_limit_days, due_at, note]), accept([note]), return_to_centre(reason),
    request_extension(days, reason), approve_extension([note]), refuse_extension(note),
    reply(reply), notify_caller(channel 'phone'|'sms'[, note]), record_opinion(satisfaction
    [, objection_reasonable, note]), escalate([note]). Returns the updated order."""
    _aware(now)
    order = _load_for_update(session, order_id)
    if not _can_see(order, actor):
        raise NotFound(f"no work order {order_id}")
    if "unit_id" in params:
        _unit_or_fail(session, params["unit_id"])
    decision = wf.decide(_state(order), action, actor, now, **params)
    for key, value in decision.changes.items():
        setattr(order, key, value)
    order.status = decision.to_status
    order.updated_at = now
    session.add(_event(order, now, action, decision.from_status, decision.to_status, actor,
                       decision.unit_id, decision.note, _jsonable(decision.data)))
    session.flush()
    return order_dict(order, actor, now)


def _jsonable(data: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in data.items()}


def dispatch(session: Session, order_id: int, unit_id: int, actor: Actor, now: dt.datetime, *,
             time_limit_days: int | None = None, due_at: dt.datetime | None = None,
             note: str | None = None) -> dict:
    """Send a new (or returned) order to a handling unit; the deadline is counted in working
    days from now (type-based, 7 for complex cases) unless `time_limit_days` or `due_at` is given."""
    return act(session, order_id, "dispatch", actor, now, unit_id=unit_id, time_limit_days=time_limit_days,
               due_at=due_at, note=note)


def _result_call_service():
    try:
        from contactcenter.redial.service import request_result_call  # type: ignore[attr-defined]
    except ImportError:
        return None
    return request_result_call


def notify_caller(session: Session, order_id: int, channel: str, actor: Actor, now: dt.datetime,
                  note: str | None = None) -> dict:
    """Tell the caller the result. For `phone`, asks the dialer's originate service for a result
    call when it exists (`contactcenter.redial.service.request_result_call`); otherwise the intent
    is recorded on the order (`result_call_requested_at`) for the callback agents' list."""
    view = act(session, order_id, "notify_caller", actor, now, channel=channel, note=note)
    if channel == "phone":
        order = session.get(WorkOrder, order_id)
        order.result_call_requested_at = now
        service = _result_call_service()
        outcome = "result call requested (dialer service not available: recorded for callback agents)"
        if service is not None and order.caller_number:
            offered = {"session": session, "number": order.caller_number, "work_order_id": order.id,
                       "now": now}
            accepted = inspect.signature(service).parameters
            service(**{k: v for k, v in offered.items() if k in accepted})
            outcome = "result call requested from the dialer"
        session.add(_event(order, now, "result_call", order.status, order.status, actor, order.unit_id,
                           outcome))
        session.flush()
        view = order_dict(order, actor, now)
    return view


def record_survey(session: Session, order_id: int, digit: str, now: dt.datetime) -> dict:
    """Store the caller's keypress from the AGI survey (1 satisfied, 2 basically satisfied,
    3 dissatisfied) on the order. The status is not changed: the callback agent still records
    the opinion and judges any objection."""
    _aware(now)
    if digit not in SURVEY_DIGITS:
        raise InvalidInput("survey answer must be 1, 2 or 3")
    order = _load_for_update(session, order_id)
    if order.status not in ("replied", "caller_notified", "closed"):
        raise TransitionNotAllowed(f"no survey for a work order that is {order.status}")
    system = Actor("system", "agi-survey")
    order.survey_satisfaction = SURVEY_DIGITS[digit]
    order.survey_at = now
    order.updated_at = now
    session.add(_event(order, now, "survey", order.status, order.status, system, order.unit_id,
                       data={"digit": digit, "satisfaction": SURVEY_DIGITS[digit]}))
    session.flush()
    return order_dict(order, system, now)


# --- reading --------------------------------------------------------------------------------------

def _unit_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(HandlingUnit.id, HandlingUnit.name)).all())


def get_order(session: Session, order_id: int, viewer: Actor, now: dt.datetime) -> dict:
    """One order with its history (`history`: list of events, oldest first) and the actions the
    viewer may take now (`allowed_actions`)."""
    _aware(now)
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        raise InvalidInput("work order id must be a whole number")
    order = session.get(WorkOrder, order_id)
    if order is None or not _can_see(order, viewer):
        raise NotFound(f"no work order {order_id}")
    names = _unit_names(session)
    view = order_dict(order, viewer, now, names)
    events = session.scalars(select(WorkOrderEvent).where(WorkOrderEvent.work_order_id == order_id)
                             .order_by(WorkOrderEvent.id)).all()
    view["history"] = [{"at": e.at, "action": e.action, "from": e.from_status, "to": e.to_status,
                        "actor_role": e.actor_role, "actor_name": e.actor_name, "unit_id": e.unit_id,
                        "unit_name": names.get(e.unit_id) if e.unit_id else None,
                        "note": e.note, "data": e.data} for e in events]
    view["allowed_actions"] = wf.allowed_actions(_state(order), viewer)
    return view


@dataclass
class OrderPage:
    items: list[dict]
    has_more: bool


DUE_STATES = ("overdue", "due_soon", "on_track")


def list_orders(session: Session, viewer: Actor, now: dt.datetime, *,
                status: str | Sequence[str] | None = None, unit_id: int | None = None,
                due_state: str | None = None, text: str | None = None,
                created_from: dt.datetime | None = None, created_to: dt.datetime | None = None,
                order_type: str | None = None, limit: int = 50, offset: int = 0) -> OrderPage:
    """Orders matching every given filter, newest first (most urgent first when `due_state` is
    given). `text` searches subject, description, place and address (see tickets.terms: every
    term of the search must be in the order);
    an all-digit text of 7+ digits also matches the caller's number for roles that may see it.
    A unit handler only ever gets its own unit's orders."""
    _aware(now)
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIST:
        raise InvalidInput(f"limit must be 1-{MAX_LIST}")
    if not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"offset must be 0-{MAX_OFFSET}")
    conds = []
    terms = None  # when searching text: the order must hold every one
    if viewer.role == "unit_handler":
        if unit_id is not None and unit_id != viewer.unit_id:
            raise PermissionDenied("a unit handler can only list its own unit's orders")
        unit_id = viewer.unit_id
    if unit_id is not None:
        _unit_or_fail(session, unit_id)
        conds.append(WorkOrder.unit_id == unit_id)
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
        bad = [s for s in statuses if s not in wf.STATES]
        if bad or not statuses:
            raise InvalidInput(f"unknown status {', '.join(bad) or '(none)'}")
        conds.append(WorkOrder.status == statuses[0] if len(statuses) == 1 else WorkOrder.status.in_(statuses))
    if order_type is not None:
        if order_type not in wf.ORDER_TYPES:
            raise InvalidInput(f"order_type must be one of {', '.join(wf.ORDER_TYPES)}")
        conds.append(WorkOrder.order_type == order_type)
    for value, name in ((created_from, "created_from"), (created_to, "created_to")):
        if value is not None and (not isinstance(value, dt.datetime) or value.tzinfo is None):
            raise InvalidInput(f"{name} must be a timezone-aware datetime")
    if created_from is not None:
        conds.append(WorkOrder.created_at >= created_from)
    if created_to is not None:
        conds.append(WorkOrder.created_at < created_to)
    if due_state is not None:
        if due_state not in DUE_STATES:
            raise InvalidInput(f"due_state must be one of {', '.join(DUE_STATES)}")
        if status is None:
            conds.append(WorkOrder.status.in_(wf.UNIT_STATES))
        soon = workdays.due_soon_before(now)
        conds.append({"overdue": WorkOrder.due_at < now,
                      "due_soon": and_(WorkOrder.due_at >= now, WorkOrder.due_at <= soon),
                      "on_track": WorkOrder.due_at > soon}[due_state])
    if text is not None:
        text = _text(text, "text", 100, required=True)
        # a number as people write it: ０１２ and ² read as digits (٣ does not), spaces, dashes,
        # brackets and +86 dropped (139 0000 0005, +86-139-0000-0005)
        digits = re.sub(r"[ \-()]", "", unicodedata.normalize("NFKC", text))
        digits = digits[3:] if digits.startswith("+86") else digits
        is_number = digits.isascii() and digits.isdigit()
        if is_number and len(digits) >= 7 and viewer.role in CALLER_VISIBLE_ROLES:
            conds.append(WorkOrder.caller_number == digits)
        elif is_number and len(digits) < 7:
            conds.append(WorkOrder.id == int(digits))
        else:
            try:
                terms = search_terms.query_terms(text)
            except search_terms.NoSearchTerms as exc:
                raise InvalidInput(str(exc)) from None
    if terms is None:
        stmt = (select(WorkOrder).where(*conds).order_by(*_order(WorkOrder.__table__.c, by_due=due_state is not None))
                .limit(limit + 1).offset(offset))
    else:
        stmt = _with_terms(conds, terms, due_state is not None, limit + 1, offset)
    rows = session.scalars(stmt).all()
    names = _unit_names(session)
    return OrderPage([order_dict(o, viewer, now, names) for o in rows[:limit]], len(rows) > limit)


def _order(columns, by_due: bool) -> tuple:
    """The list order over `columns` (the table's, or a subquery's with the same names): most
    urgent deadline first when listing by due state, otherwise newest first."""
    if by_due:
        return columns.due_at.asc(), columns.id.asc()
    return columns.created_at.desc(), columns.id.desc()


def _with_terms(conds: list, terms: list[str], by_due: bool, limit: int, offset: int):
    """The page of orders meeting `conds` and holding every one of `terms`, in list order.
    Each term is a run of work_order_term's key. Newest first, one term's run is read backwards
    (the terms' created_at and id are joined equal, so the planner may take the rarest term's),
    each other term is one key look-up on (term, created_at, id), and only the orders that pass
    are read from the table: a page costs about its own length in index entries, however many
    orders hold the term. By deadline, the open orders' (due_at, id) come from their own index
    without reading the rows, are matched against the terms and sorted, and only the page's
    rows are read."""
    table = WorkOrderTerm.__table__
    first = table.alias("t0")

    def holding(stmt):
        stmt = stmt.join(first, and_(first.c.work_order_id == WorkOrder.id, first.c.term == terms[0]))
        for n, term in enumerate(terms[1:], start=1):
            other = table.alias(f"t{n}")
            stmt = stmt.join(other, and_(other.c.term == term, other.c.created_at == first.c.created_at,
                                         other.c.work_order_id == first.c.work_order_id))
        return stmt.where(*conds)

    if not by_due:
        # the same order as created_at, id, said on the term's own columns so its key gives it
        return (holding(select(WorkOrder)).order_by(first.c.created_at.desc(), first.c.work_order_id.desc())
                .limit(limit).offset(offset))
    keys = (holding(select(WorkOrder.id, WorkOrder.due_at)).order_by(*_order(WorkOrder.__table__.c, by_due=True))
            .limit(limit).offset(offset).subquery("page"))
    return select(WorkOrder).join(keys, keys.c.id == WorkOrder.id).order_by(*_order(keys.c, by_due=True))


def index_missing_terms(session: Session, batch: int = 5000) -> int:
    """Write the search terms of orders that have none and returns how many got some: orders a
    process older than migration 0009 created after the upgrade (a panel not yet restarted)
    would otherwise never be found by text. Safe to run at any time; an order whose text holds
    no term (only punctuation) is looked at again each run and counts as none."""
    has_terms = select(WorkOrderTerm.work_order_id).where(WorkOrderTerm.work_order_id == WorkOrder.id).exists()
    last, indexed = 0, 0
    while True:
        rows = session.execute(select(WorkOrder.id, WorkOrder.created_at, WorkOrder.subject, WorkOrder.description,
                                      WorkOrder.county, WorkOrder.town, WorkOrder.address)
                               .where(WorkOrder.id > last, ~has_terms).order_by(WorkOrder.id).limit(batch)).all()
        if not rows:
            return indexed
        values = []
        for oid, created, *texts in rows:
            found = search_terms.order_terms(*texts)
            indexed += bool(found)
            values.extend({"term": t, "created_at": created, "work_order_id": oid} for t in found)
        if values:
            session.execute(insert(WorkOrderTerm), values)
        last = rows[-1].id


def caller_summary(session: Session, number: str, now: dt.datetime, repeat_days: int = 7,
                   repeat_calls: int = 2) -> dict:
    """What the hotline knows about a caller (for the AGI look-up): open work orders, a pending
    callback, and whether they called at least `repeat_calls` times in the last `repeat_days`
    days before this call."""
    from contactcenter.cdr.models import Call
    from contactcenter.redial.models import CallbackTask

    _aware(now)
    number = _caller_number(number)
    if number is None:
        return {"open_orders": 0, "callback_pending": False, "recent_calls": 0, "repeat_caller": False}
    open_orders = session.scalar(select(func.count()).select_from(WorkOrder).where(
        WorkOrder.caller_number == number, WorkOrder.status != "closed")) or 0
    callback = session.scalar(select(func.count()).select_from(CallbackTask).where(
        CallbackTask.number == number, CallbackTask.status.in_(("pending", "dialing")))) or 0
    recent = session.scalar(select(func.count()).select_from(Call).where(
        Call.caller == number, Call.direction == "inbound",
        Call.started_at >= now - dt.timedelta(days=repeat_days), Call.started_at < now)) or 0
    return {"open_orders": int(open_orders), "callback_pending": callback > 0, "recent_calls": int(recent),
            "repeat_caller": recent >= repeat_calls}


# --- handling units -------------------------------------------------------------------------------

def unit_dict(u: HandlingUnit) -> dict:
    return {"id": u.id, "code": u.code, "name": u.name, "short_name": u.short_name, "kind": u.kind,
            "aliases": list(u.aliases or []), "places": list(u.places or []),
            "keywords": list(u.keywords or []), "vertical": u.vertical, "head_name": u.head_name,
            "head_title": u.head_title, "active": u.active, "duty_rank": u.duty_rank}


def list_units(session: Session, kind: str | None = None, include_inactive: bool = False) -> list[dict]:
    """Handling units ordered by code (counties C.., zones Z.., departments D..)."""
    stmt = select(HandlingUnit).order_by(HandlingUnit.code)
    if kind is not None:
        if kind not in ("county", "zone", "department"):
            raise InvalidInput("kind must be county, zone or department")
        stmt = stmt.where(HandlingUnit.kind == kind)
    if not include_inactive:
        stmt = stmt.where(HandlingUnit.active.is_(True))
    return [unit_dict(u) for u in session.scalars(stmt)]


def get_unit(session: Session, unit_id: int) -> dict:
    return unit_dict(_unit_or_fail(session, unit_id))


_UNIT_LISTS = ("aliases", "places", "keywords")


def update_unit(session: Session, unit_id: int, actor: Actor, **fields: Any) -> dict:
    """Edit a unit (admin only): name, short_name, aliases, places, keywords, vertical,
    head_name, head_title, active, duty_rank."""
    if actor.role != "admin":
        raise PermissionDenied("only an admin may edit handling units")
    unit = session.get(HandlingUnit, unit_id) if isinstance(unit_id, int) else None
    if unit is None:
        raise UnknownUnit(f"unknown handling unit {unit_id}")
    allowed = {"name", "short_name", "aliases", "places", "keywords", "vertical", "head_name", "head_title",
               "active", "duty_rank"}
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidInput(f"cannot edit {', '.join(sorted(unknown))}")
    for key, value in fields.items():
        if key in _UNIT_LISTS:
            if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v.strip()) <= 40
                                                      for v in value) or len(value) > 200:
                raise InvalidInput(f"{key} must be a list of up to 200 words of 1-40 characters")
            value = [v.strip() for v in value]
        elif key in ("vertical", "active"):
            if not isinstance(value, bool):
                raise InvalidInput(f"{key} must be true or false")
        elif key == "duty_rank":
            if not isinstance(value, int) or isinstance(value, bool):
                raise InvalidInput("duty_rank must be a whole number")
        else:
            value = _text(value, key, 80 if key != "short_name" else 40, required=key in ("name", "short_name"))
        setattr(unit, key, value)
    session.flush()
    return unit_dict(unit)


_router_cache: dict[tuple, Router] = {}


def router_for(session: Session) -> Router:
    """A router over the units as they are in the table now (rebuilt when a unit is edited)."""
    units = [UnitInfo.from_mapping(unit_dict(u)) for u in
             session.scalars(select(HandlingUnit).where(HandlingUnit.active.is_(True)).order_by(HandlingUnit.code))]
    key = tuple(units)
    router = _router_cache.get(key)
    if router is None:
        _router_cache.clear()
        router = _router_cache[key] = Router(units)
    return router


def suggest_units(session: Session, text: str, county: str | None = None, town: str | None = None,
                  top: int = 3) -> list[dict]:
    """Dispatch suggestions for a request, best first, each with unit_id, code, name, score and
    the reasons (e.g. 'matched 公积金 → 聊城市住房公积金管理中心')."""
    text = _text(text, "text", MAX_DESCRIPTION + MAX_SUBJECT, required=True)
    if not isinstance(top, int) or not 1 <= top <= 10:
        raise InvalidInput("top must be 1-10")
    suggestions: Iterable[Suggestion] = router_for(session).suggest(text, county=county, town=town, top=top)
    return [s.as_dict() for s in suggestions]
