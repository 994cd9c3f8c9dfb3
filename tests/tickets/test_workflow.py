"""The work-order state machine: every (state, action, role) combination, allowed or refused."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from contactcenter.tickets import workflow as wf
from contactcenter.tickets.workflow import Actor, OrderState, decide

UTC = dt.timezone.utc
# Tuesday 2026-12-01 10:00 Beijing time
AT = dt.datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
UNIT = 7
OTHER_UNIT = 8

# Written out by hand from the issue (not derived from workflow.ACTIONS):
# (state, action) -> resulting state
EXPECTED = {
    ("new", "resolve_directly"): "closed",
    ("new", "submit_for_approval"): "awaiting_approval",
    ("returned", "submit_for_approval"): "awaiting_approval",
    ("awaiting_approval", "approve"): "dispatched",
    ("awaiting_approval", "send_back"): "new",
    ("new", "dispatch"): "dispatched",
    ("returned", "dispatch"): "dispatched",
    ("dispatched", "accept"): "in_progress",
    ("returned_for_redo", "accept"): "in_progress",
    ("dispatched", "return_to_centre"): "returned",
    ("in_progress", "request_extension"): "extension_requested",
    ("extension_requested", "approve_extension"): "in_progress",
    ("extension_requested", "refuse_extension"): "in_progress",
    ("in_progress", "reply"): "replied",
    ("returned_for_redo", "reply"): "replied",
    ("replied", "notify_caller"): "caller_notified",
    ("caller_notified", "record_opinion"): "closed",
    ("dispatched", "escalate"): "dispatched",
    ("in_progress", "escalate"): "in_progress",
    ("extension_requested", "escalate"): "extension_requested",
    ("returned_for_redo", "escalate"): "returned_for_redo",
}
ROLES_FOR = {
    "resolve_directly": {"operator", "admin"},
    "submit_for_approval": {"operator", "admin"},
    "approve": {"leader"},
    "send_back": {"leader"},
    "dispatch": {"operator", "admin"},
    "accept": {"unit_handler"},
    "return_to_centre": {"unit_handler"},
    "request_extension": {"unit_handler"},
    "approve_extension": {"operator", "admin"},
    "refuse_extension": {"operator", "admin"},
    "reply": {"unit_handler"},
    "notify_caller": {"operator", "callback_agent", "admin"},
    "record_opinion": {"operator", "callback_agent", "admin"},
    "escalate": {"system", "admin"},
}
UNIT_ACTIONS = {"accept", "return_to_centre", "request_extension", "reply"}
STATES = ["new", "awaiting_approval", "dispatched", "returned", "in_progress", "extension_requested",
          "replied", "caller_notified", "returned_for_redo", "closed"]
ROLES = ["operator", "callback_agent", "unit_handler", "leader", "admin", "system"]

PARAMS = {
    "resolve_directly": {"answer": "按政策答复", "kb_article_ids": [3, 5]},
    "submit_for_approval": {"unit_id": UNIT, "note": "涉及群体性诉求"},
    "approve": {"instructions": "请东昌府区三日内妥善处理"},
    "send_back": {"note": "先核实情况"},
    "dispatch": {"unit_id": UNIT},
    "accept": {},
    "return_to_centre": {"reason": "不属于本单位职责"},
    "request_extension": {"days": 3, "reason": "需现场勘查"},
    "approve_extension": {},
    "refuse_extension": {"note": "时限内可办结"},
    "reply": {"reply": "已督促物业整改"},
    "notify_caller": {"channel": "phone"},
    "record_opinion": {"satisfaction": "satisfied"},
    "escalate": {},
}


def order_in(state: str) -> OrderState:
    # a returned order was held by OTHER_UNIT, so re-dispatching to UNIT is a re-route
    unit = OTHER_UNIT if state == "returned" else (None if state in ("new", "awaiting_approval") else UNIT)
    return OrderState(status=state, unit_id=unit, order_type="complaint",
                      proposed_unit_id=UNIT if state == "awaiting_approval" else None,
                      due_at=AT - dt.timedelta(hours=1) if state in wf.UNIT_STATES else None,
                      pending_extension_days=3 if state == "extension_requested" else None)


def actor(role: str, unit: int | None = UNIT) -> Actor:
    return Actor(role=role, name=f"{role}-1", unit_id=unit if role == "unit_handler" else None)


CASES = list(itertools.product(STATES, sorted(ROLES_FOR), ROLES))


@pytest.mark.parametrize("state,action,role", CASES, ids=["-".join(c) for c in CASES])
def test_every_state_action_role(state, action, role):
    order = order_in(state)
    who = actor(role)
    expected = EXPECTED.get((state, action))
    if expected is None:
        with pytest.raises(wf.TransitionNotAllowed, match=f"cannot {action}"):
            decide(order, action, who, AT, **PARAMS[action])
    elif role not in ROLES_FOR[action]:
        with pytest.raises(wf.PermissionDenied, match=f"may not {action}"):
            decide(order, action, who, AT, **PARAMS[action])
    else:
        decision = decide(order, action, who, AT, **PARAMS[action])
        assert (decision.from_status, decision.to_status) == (state, expected)
        assert action in wf.allowed_actions(order, who)


@pytest.mark.parametrize("state,action", [k for k in EXPECTED if k[1] in UNIT_ACTIONS])
def test_unit_actions_refused_to_another_units_handler(state, action):
    with pytest.raises(wf.PermissionDenied, match="another unit"):
        decide(order_in(state), action, actor("unit_handler", OTHER_UNIT), AT, **PARAMS[action])
    assert action not in wf.allowed_actions(order_in(state), actor("unit_handler", OTHER_UNIT))


def test_allowed_actions_count_matches_table():
    total = sum(len(wf.allowed_actions(order_in(s), actor(r))) for s in STATES for r in ROLES)
    assert total == sum(len(ROLES_FOR[a]) for (_s, a) in EXPECTED)


def test_dispatch_sets_unit_and_deadline_counted_in_working_days():
    d = decide(OrderState("new", order_type="complaint"), "dispatch", actor("operator"), AT, unit_id=4)
    # Tue 2026-12-01 + 5 working days = Tue 2026-12-08, 23:59:59 Beijing = 15:59:59 UTC
    assert d.changes["unit_id"] == 4 and d.unit_id == 4
    assert d.changes["due_at"] == dt.datetime(2026, 12, 8, 15, 59, 59, tzinfo=UTC)
    assert d.changes["dispatched_at"] == AT


def test_dispatch_explicit_limit_and_due_at():
    d = decide(OrderState("new"), "dispatch", actor("operator"), AT, unit_id=4, time_limit_days=1)
    assert d.changes["due_at"] == dt.datetime(2026, 12, 2, 15, 59, 59, tzinfo=UTC)
    due = dt.datetime(2026, 12, 20, tzinfo=UTC)
    d = decide(OrderState("new"), "dispatch", actor("operator"), AT, unit_id=4, due_at=due)
    assert d.changes["due_at"] == due


def test_deadline_in_the_past_refused():
    with pytest.raises(wf.InvalidInput, match="in the past"):
        decide(OrderState("new"), "dispatch", actor("operator"), AT, unit_id=4,
               due_at=AT - dt.timedelta(minutes=1))


def test_important_matter_needs_leader_approval_before_dispatch():
    order = OrderState("new", important=True)
    with pytest.raises(wf.TransitionNotAllowed, match="approved by a city leader"):
        decide(order, "dispatch", actor("operator"), AT, unit_id=4)
    d = decide(order, "submit_for_approval", actor("operator"), AT, unit_id=4, note="重大")
    assert d.changes["proposed_unit_id"] == 4 and d.to_status == "awaiting_approval"
    pending = OrderState("awaiting_approval", important=True, proposed_unit_id=4, order_type="report")
    d = decide(pending, "approve", actor("leader"), AT, instructions="限期办结")
    assert d.to_status == "dispatched"
    assert d.changes["unit_id"] == 4 and d.changes["approved"] is True
    assert d.changes["leader_instructions"] == "限期办结"
    back = decide(pending, "send_back", actor("leader"), AT, note="补充材料")
    assert back.to_status == "new" and back.changes["approved"] is False


def test_returned_order_must_be_rerouted_elsewhere_and_return_is_counted():
    d = decide(OrderState("dispatched", unit_id=4, return_count=1), "return_to_centre",
               actor("unit_handler", 4), AT, reason="属地不符")
    assert d.changes["return_count"] == 2 and d.unit_id == 4 and d.note == "属地不符"
    with pytest.raises(wf.InvalidInput, match="reason is required"):
        decide(OrderState("dispatched", unit_id=4), "return_to_centre", actor("unit_handler", 4), AT)
    with pytest.raises(wf.InvalidInput, match="re-route"):
        decide(OrderState("returned", unit_id=4), "dispatch", actor("operator"), AT, unit_id=4)


def test_extension_adds_working_days_after_current_deadline():
    due = dt.datetime(2026, 9, 30, 15, 59, 59, tzinfo=UTC)  # Wed 30 Sep 2026, before National Day
    order = OrderState("extension_requested", unit_id=4, due_at=due, pending_extension_days=2,
                       extension_days=1)
    d = decide(order, "approve_extension", actor("operator"), AT)
    # 1-7 Oct off, so 2 working days after 30 Sep: Thu 8 Oct, Fri 9 Oct
    assert d.changes["due_at"] == dt.datetime(2026, 10, 9, 15, 59, 59, tzinfo=UTC)
    assert d.changes["extension_days"] == 3 and d.changes["pending_extension_days"] is None
    refused = decide(order, "refuse_extension", actor("admin"), AT, note="不予延期")
    assert refused.changes == {"pending_extension_days": None}
    with pytest.raises(wf.InvalidInput, match="days must be"):
        decide(OrderState("in_progress", unit_id=4), "request_extension", actor("unit_handler", 4), AT,
               days=16, reason="x")


def test_reasonable_objection_sends_back_for_redo_as_often_as_needed():
    order = OrderState("caller_notified", unit_id=4, order_type="complaint", redo_count=2)
    d = decide(order, "record_opinion", actor("callback_agent"), AT, satisfaction="dissatisfied",
               objection_reasonable=True, note="路灯仍未修好")
    assert d.to_status == "returned_for_redo"
    assert d.changes["redo_count"] == 3
    assert d.changes["due_at"] == dt.datetime(2026, 12, 8, 15, 59, 59, tzinfo=UTC)
    closed = decide(order, "record_opinion", actor("callback_agent"), AT, satisfaction="dissatisfied",
                    objection_reasonable=False)
    assert closed.to_status == "closed" and closed.changes["resolution"] == "handled"
    with pytest.raises(wf.InvalidInput, match="only a dissatisfied caller"):
        decide(order, "record_opinion", actor("operator"), AT, satisfaction="satisfied",
               objection_reasonable=True, note="x")
    with pytest.raises(wf.InvalidInput, match="note is required"):
        decide(order, "record_opinion", actor("operator"), AT, satisfaction="dissatisfied",
               objection_reasonable=True)
    with pytest.raises(wf.InvalidInput, match="satisfaction must be"):
        decide(order, "record_opinion", actor("operator"), AT, satisfaction="ok")


def test_direct_resolution_records_articles():
    d = decide(OrderState("new"), "resolve_directly", actor("operator"), AT, answer="可网上办理",
               kb_article_ids=[12])
    assert d.changes["resolution"] == "direct" and d.changes["kb_article_ids"] == [12]
    assert d.changes["closed_at"] == AT
    with pytest.raises(wf.InvalidInput, match="kb_article_ids"):
        decide(OrderState("new"), "resolve_directly", actor("operator"), AT, answer="x", kb_article_ids=["a"])


def test_overlong_text_refused():
    with pytest.raises(wf.InvalidInput, match="too long"):
        decide(OrderState("in_progress", unit_id=4), "reply", actor("unit_handler", 4), AT,
               reply="办" * (wf.MAX_NOTE + 1))


def test_escalate_only_when_overdue():
    due = AT + dt.timedelta(hours=1)
    with pytest.raises(wf.InvalidInput, match="overdue"):
        decide(OrderState("in_progress", unit_id=4, due_at=due), "escalate", actor("system"), AT)
    d = decide(OrderState("in_progress", unit_id=4, due_at=due), "escalate", actor("system"),
               due + dt.timedelta(seconds=1))
    assert d.to_status == "in_progress" and d.changes == {"escalated_at": due + dt.timedelta(seconds=1)}


def test_bad_actor_and_action_and_time():
    with pytest.raises(wf.InvalidInput, match="unknown role"):
        Actor(role="mayor", name="x")
    with pytest.raises(wf.InvalidInput, match="must belong to a unit"):
        Actor(role="unit_handler", name="x")
    with pytest.raises(wf.InvalidInput, match="unknown action"):
        decide(OrderState("new"), "teleport", actor("operator"), AT)
    with pytest.raises(wf.InvalidInput, match="timezone-aware"):
        decide(OrderState("new"), "dispatch", actor("operator"), dt.datetime(2026, 12, 1), unit_id=1)
    with pytest.raises(wf.InvalidInput, match="unit_id must be"):
        decide(OrderState("new"), "dispatch", actor("operator"), AT, unit_id="3")
