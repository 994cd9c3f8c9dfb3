"""Work-order services on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from contactcenter.db import session_scope
from contactcenter.tickets import service, terms
from contactcenter.tickets.models import WorkOrder, WorkOrderEvent, WorkOrderTerm
from tests.tickets.conftest import ADMIN, AGENT, LEADER, NOW, OPERATOR, UTC, handler, new_order

HOUR = dt.timedelta(hours=1)


def test_full_lifecycle_with_extension_and_redo(db_url, units):
    c01 = units["C01"]
    h = handler(c01)
    with session_scope(db_url) as s:
        oid = new_order(s)["id"]
        o = service.dispatch(s, oid, c01, OPERATOR, NOW)
        # complaint: 5 working days after Tue 1 Dec -> Tue 8 Dec 23:59:59 Beijing
        assert o["due_at"] == dt.datetime(2026, 12, 8, 15, 59, 59, tzinfo=UTC)
        service.act(s, oid, "accept", h, NOW + HOUR)
        service.act(s, oid, "request_extension", h, NOW + 2 * HOUR, days=2, reason="需协调电梯厂家")
        o = service.act(s, oid, "approve_extension", OPERATOR, NOW + 3 * HOUR)
        assert o["due_at"] == dt.datetime(2026, 12, 10, 15, 59, 59, tzinfo=UTC)
        assert o["extension_days"] == 2
        service.act(s, oid, "reply", h, NOW + 4 * HOUR, reply="已督促物业维修电梯")
        o = service.notify_caller(s, oid, "phone", AGENT, NOW + 5 * HOUR)
        assert o["result_call_requested_at"] == NOW + 5 * HOUR
        o = service.act(s, oid, "record_opinion", AGENT, NOW + 6 * HOUR, satisfaction="dissatisfied",
                        objection_reasonable=True, note="电梯还是坏的")
        assert (o["status"], o["redo_count"], o["reply"]) == ("returned_for_redo", 1, None)
        service.act(s, oid, "reply", h, NOW + 7 * HOUR, reply="已更换电梯主板")
        service.notify_caller(s, oid, "sms", AGENT, NOW + 8 * HOUR)
        o = service.act(s, oid, "record_opinion", AGENT, NOW + 9 * HOUR, satisfaction="satisfied")
        assert (o["status"], o["resolution"], o["closed_at"]) == ("closed", "handled", NOW + 9 * HOUR)
    with session_scope(db_url) as s:
        full = service.get_order(s, oid, OPERATOR, NOW + 10 * HOUR)
    assert [(e["action"], e["from"], e["to"]) for e in full["history"]] == [
        ("create", None, "new"),
        ("dispatch", "new", "dispatched"),
        ("accept", "dispatched", "in_progress"),
        ("request_extension", "in_progress", "extension_requested"),
        ("approve_extension", "extension_requested", "in_progress"),
        ("reply", "in_progress", "replied"),
        ("notify_caller", "replied", "caller_notified"),
        ("result_call", "caller_notified", "caller_notified"),
        ("record_opinion", "caller_notified", "returned_for_redo"),
        ("reply", "returned_for_redo", "replied"),
        ("notify_caller", "replied", "caller_notified"),
        ("record_opinion", "caller_notified", "closed"),
    ]
    assert full["history"][2]["actor_name"] == f"handler-{c01}"
    assert full["history"][8]["note"] == "电梯还是坏的"
    assert full["history"][1]["unit_name"] == "聊城市东昌府区"
    assert full["allowed_actions"] == []


def test_direct_resolution_and_approval_paths(db_url, units):
    with session_scope(db_url) as s:
        a = new_order(s, order_type="consultation", subject="公积金提取", description="怎么提取公积金")["id"]
        o = service.act(s, a, "resolve_directly", OPERATOR, NOW, answer="可在爱山东办理", kb_article_ids=[4, 9])
        assert (o["status"], o["resolution"], o["kb_article_ids"]) == ("closed", "direct", [4, 9])
        b = new_order(s, important=True)["id"]
        with pytest.raises(service.TransitionNotAllowed, match="approved by a city leader"):
            service.dispatch(s, b, units["C01"], OPERATOR, NOW)
        service.act(s, b, "submit_for_approval", OPERATOR, NOW, unit_id=units["C01"], note="群体诉求")
        o = service.act(s, b, "approve", LEADER, NOW + HOUR, instructions="请东昌府区限期解决")
        assert (o["status"], o["unit_id"], o["leader_instructions"]) == ("dispatched", units["C01"],
                                                                         "请东昌府区限期解决")
        # the leader does not see the caller's number
        assert o["caller_number"] == "139****1234"


def test_return_is_counted_and_centre_reroutes(db_url, units):
    with session_scope(db_url) as s:
        oid = new_order(s)["id"]
        service.dispatch(s, oid, units["D09"], OPERATOR, NOW)
        o = service.act(s, oid, "return_to_centre", handler(units["D09"]), NOW + HOUR, reason="属于住建部门")
        assert (o["status"], o["return_count"], o["due_at"]) == ("returned", 1, None)
        with pytest.raises(service.InvalidInput, match="re-route"):
            service.dispatch(s, oid, units["D09"], OPERATOR, NOW + HOUR)
        o = service.dispatch(s, oid, units["D08"], OPERATOR, NOW + 2 * HOUR)
        assert (o["status"], o["unit_id"]) == ("dispatched", units["D08"])
        returns = s.scalar(select(func.count()).select_from(WorkOrderEvent).where(
            WorkOrderEvent.action == "return_to_centre", WorkOrderEvent.unit_id == units["D09"]))
        assert returns == 1


def test_unit_handler_sees_only_own_unit_and_never_the_number(db_url, units):
    with session_scope(db_url) as s:
        mine = new_order(s)["id"]
        theirs = new_order(s, caller_number="13800005678")["id"]
        service.dispatch(s, mine, units["C01"], OPERATOR, NOW)
        service.dispatch(s, theirs, units["C02"], OPERATOR, NOW)
    h = handler(units["C01"])
    with session_scope(db_url) as s:
        o = service.get_order(s, mine, h, NOW)
        assert (o["caller_number"], o["caller_name"]) == ("139****1234", "张**")
        assert o["allowed_actions"] == ["accept", "return_to_centre"]
        with pytest.raises(service.NotFound):
            service.get_order(s, theirs, h, NOW)
        with pytest.raises(service.NotFound):
            service.act(s, theirs, "accept", h, NOW)
        assert [x["id"] for x in service.list_orders(s, h, NOW).items] == [mine]
        with pytest.raises(service.PermissionDenied):
            service.list_orders(s, h, NOW, unit_id=units["C02"])
        # the operator sees the number
        assert service.get_order(s, mine, OPERATOR, NOW)["caller_number"] == "13900001234"


def count_rows(s):
    """(orders, events), and no search term left behind by an order that was not written."""
    assert s.scalar(select(func.count()).select_from(WorkOrderTerm).where(
        WorkOrderTerm.work_order_id.not_in(select(WorkOrder.id)))) == 0
    return (s.scalar(select(func.count()).select_from(WorkOrder)),
            s.scalar(select(func.count()).select_from(WorkOrderEvent)))


def test_bad_input_refused_without_partial_writes(db_url, units):
    with session_scope(db_url) as s:
        oid = new_order(s)["id"]
    cases = [
        (lambda s: service.dispatch(s, oid, 9999, OPERATOR, NOW), service.UnknownUnit, "unknown handling unit 9999"),
        (lambda s: service.dispatch(s, oid, units["C01"], OPERATOR, NOW, due_at=NOW - HOUR),
         service.InvalidInput, "in the past"),
        (lambda s: service.act(s, oid, "reply", OPERATOR, NOW, reply="x"),
         service.TransitionNotAllowed, "cannot reply a work order that is new"),
        (lambda s: new_order(s, description="诉" * 4001), service.InvalidInput, "description is too long"),
        (lambda s: new_order(s, subject="a\r\nAction: Originate"), service.InvalidInput, "single line"),
        (lambda s: new_order(s, caller_number="139abc"), service.InvalidInput, "caller_number"),
        (lambda s: new_order(s, call_id="1733230000.12; DROP TABLE"), service.InvalidInput, "Linkedid"),
        (lambda s: new_order(s, order_type="gossip"), service.InvalidInput, "order_type must be"),
        (lambda s: service.act(s, 424242, "accept", OPERATOR, NOW), service.NotFound, "no work order 424242"),
        (lambda s: service.create_order(s, handler(units["C01"]), NOW, channel="web", order_type="complaint",
                                        category="x", subject="x", description="x"),
         service.PermissionDenied, "may not register"),
    ]
    for call, error, message in cases:
        with session_scope(db_url) as s:
            before = count_rows(s)
        with pytest.raises(error, match=message):
            with session_scope(db_url) as s:
                call(s)
        with session_scope(db_url) as s:
            assert count_rows(s) == before
            assert s.get(WorkOrder, oid).status == "new"


def test_failure_after_a_write_rolls_back_the_whole_unit_of_work(db_url, units):
    # a create followed by an impossible dispatch in one unit of work leaves nothing behind
    with pytest.raises(service.UnknownUnit):
        with session_scope(db_url) as s:
            oid = new_order(s)["id"]
            service.dispatch(s, oid, 9999, OPERATOR, NOW)
    with session_scope(db_url) as s:
        assert count_rows(s) == (0, 0)


def test_list_filters_search_and_due_states(db_url, units):
    c01, d01 = units["C01"], units["D01"]
    with session_scope(db_url) as s:
        a = new_order(s, subject="公积金提取太慢", description="住房公积金提取申请一个月没批",
                      order_type="consultation", now=NOW - 10 * 24 * HOUR)["id"]
        b = new_order(s, subject="路灯不亮", description="堂邑镇村里路灯坏了", caller_number="13700007777",
                      now=NOW - 3 * 24 * HOUR)["id"]
        c = new_order(s, subject="电梯坏了", description="小区电梯坏了", now=NOW - HOUR)["id"]
        # a: consultation dispatched 10 days ago (Sat 21 Nov Beijing): due Wed 25 Nov -> overdue
        service.dispatch(s, a, d01, OPERATOR, NOW - 10 * 24 * HOUR)
        # b: dispatched Sat 28 Nov with 3 working days: due Wed 2 Dec -> due soon on Tue 1 Dec
        service.dispatch(s, b, c01, OPERATOR, NOW - 3 * 24 * HOUR, time_limit_days=3)
    with session_scope(db_url) as s:
        ids = lambda **kw: [x["id"] for x in service.list_orders(s, OPERATOR, NOW, **kw).items]  # noqa: E731
        assert ids() == [c, b, a]
        assert ids(status="new") == [c]
        assert ids(status=["new", "dispatched"]) == [c, b, a]
        assert ids(unit_id=d01) == [a]
        assert ids(due_state="overdue") == [a]
        assert ids(due_state="due_soon") == [b]
        assert ids(due_state="on_track") == []
        assert ids(text="公积金") == [a]
        assert ids(text="电梯 小区") == [c]
        assert ids(text="路灯 公积金") == []
        assert ids(text="13700007777") == [b]
        assert ids(text="137 0000 7777") == ids(text="+86-137-0000-7777") == ids(text="（137）00007777") == [b]
        assert ids(text=str(c)) == [c]
        # full-width and superscript digits read as digits (NFKC); other scripts' digits are text
        assert ids(text=chr(0xFF10 + c)) == [c] and ids(text="²") == [x for x in (a, b, c) if x == 2]
        assert ids(text="১২৩৪৫৬৭৮") == []
        assert ids(created_from=NOW - 4 * 24 * HOUR, created_to=NOW - 2 * HOUR) == [b]
        assert ids(order_type="consultation") == [a]
        page = service.list_orders(s, OPERATOR, NOW, limit=2)
        assert ([x["id"] for x in page.items], page.has_more) == ([c, b], True)
        assert ids(limit=2, offset=2) == [a]
        assert [x["due_state"] for x in service.list_orders(s, OPERATOR, NOW).items] == [
            "none", "due_soon", "overdue"]
        for kw, message in [({"status": "lost"}, "unknown status"), ({"due_state": "late"}, "due_state"),
                            ({"limit": 0}, "limit"), ({"offset": 10**20}, "offset must be 0-100000"),
                            ({"text": "路灯\x00"}, "control characters"), ({"unit_id": 9999}, "unknown handling unit"),
                            ({"text": "！！"}, "至少两个字"), ({"text": "的"}, "至少两个字"), ({"created_from": dt.datetime(2026, 1, 1)}, "aware")]:
            with pytest.raises(service.InvalidInput, match=message):
                service.list_orders(s, OPERATOR, NOW, **kw)


def test_survey_digit_stored(db_url, units):
    with session_scope(db_url) as s:
        oid = new_order(s)["id"]
        with pytest.raises(service.TransitionNotAllowed, match="no survey"):
            service.record_survey(s, oid, "1", NOW)
        service.dispatch(s, oid, units["C01"], OPERATOR, NOW)
        service.act(s, oid, "accept", handler(units["C01"]), NOW)
        service.act(s, oid, "reply", handler(units["C01"]), NOW, reply="已处理")
        with pytest.raises(service.InvalidInput, match="1, 2 or 3"):
            service.record_survey(s, oid, "9", NOW)
        o = service.record_survey(s, oid, "2", NOW + HOUR)
        assert (o["survey_satisfaction"], o["status"]) == ("basically_satisfied", "replied")


def test_suggestions_follow_edited_units(db_url, units):
    with session_scope(db_url) as s:
        best = service.suggest_units(s, "我的公积金贷款一直没批下来")[0]
        assert (best["code"], best["unit_id"]) == ("D01", units["D01"])
        assert "matched 公积金贷款 → 聊城市住房公积金管理中心" in best["reasons"]
        assert service.suggest_units(s, "共享单车乱停放")[0]["code"] == "C01"
        with pytest.raises(service.PermissionDenied):
            service.update_unit(s, units["D09"], OPERATOR, keywords=["共享单车"])
        kws = service.get_unit(s, units["D09"])["keywords"] + ["共享单车"]
        service.update_unit(s, units["D09"], ADMIN, keywords=kws)
    with session_scope(db_url) as s:
        assert service.suggest_units(s, "共享单车乱停放")[0]["code"] == "D09"
        with pytest.raises(service.InvalidInput, match="keywords must be"):
            service.update_unit(s, units["D09"], ADMIN, keywords=["x" * 41])
        assert len(service.list_units(s)) == 47
        assert len(service.list_units(s, kind="zone")) == 3


def test_caller_summary_counts_orders_callbacks_and_recent_calls(db_url, units):
    from contactcenter.cdr.models import Call
    from contactcenter.redial.models import CallbackTask

    with session_scope(db_url) as s:
        new_order(s)
        closed = new_order(s, order_type="consultation")["id"]
        service.act(s, closed, "resolve_directly", OPERATOR, NOW, answer="已答复")
        for i, days_ago in enumerate((1, 3, 9)):
            s.add(Call(call_id=f"17645{i}.1", direction="inbound", caller="13900001234",
                       started_at=NOW - dt.timedelta(days=days_ago), missed=False, short_abandon=False, closed=True))
        s.add(CallbackTask(number="13900001234", status="pending", missed_calls=[], first_missed_at=NOW,
                           last_missed_at=NOW, attempts=0, created_at=NOW, updated_at=NOW))
    with session_scope(db_url) as s:
        assert service.caller_summary(s, "13900001234", NOW) == {
            "open_orders": 1, "callback_pending": True, "recent_calls": 2, "repeat_caller": True}
        assert service.caller_summary(s, "13811112222", NOW) == {
            "open_orders": 0, "callback_pending": False, "recent_calls": 0, "repeat_caller": False}


def test_create_and_dispatch_in_one_step(db_url, units):
    with session_scope(db_url) as s:
        o = new_order(s, dispatch_to=units["C01"], time_limit_days=1)
        assert (o["status"], o["unit_id"]) == ("dispatched", units["C01"])
        assert o["due_at"] == dt.datetime(2026, 12, 2, 15, 59, 59, tzinfo=UTC)
        full = service.get_order(s, o["id"], OPERATOR, NOW)
        assert [(e["action"], e["from"], e["to"], e["unit_id"]) for e in full["history"]] == [
            ("create", None, "new", None), ("dispatch", "new", "dispatched", units["C01"])]
    with pytest.raises(service.UnknownUnit):
        with session_scope(db_url) as s:
            new_order(s, dispatch_to=4242)
    with pytest.raises(service.TransitionNotAllowed, match="approved by a city leader"):
        with session_scope(db_url) as s:
            new_order(s, dispatch_to=units["C01"], important=True)
    with session_scope(db_url) as s:
        assert count_rows(s) == (1, 2)


def test_text_search_reads_the_term_table_newest_first_and_by_deadline(db_url, units):
    """The search goes through work_order_term; its pages must be the orders holding every term,
    newest first (ties on the creation time by id), or by deadline when listing a due state."""
    texts = [("公积金提取", "住房公积金提取办不了"), ("垃圾清运", "小区垃圾清运不及时")]
    ids = []
    with session_scope(db_url) as s:
        for i in range(12):
            subject, description = texts[i % 3 != 0]
            # orders 4 and 5 come in the same minute: the newer id first
            at = NOW + dt.timedelta(minutes=i - (i == 5))
            ids.append(new_order(s, now=at, subject=subject, description=description, town=None)["id"])
        housing = [ids[i] for i in (9, 6, 3, 0)]  # i % 3 == 0, newest first
        # order 3 has 3 working days, order 9 five: by deadline 3 comes first
        service.dispatch(s, ids[3], units["D01"], OPERATOR, NOW + HOUR, time_limit_days=3)
        service.dispatch(s, ids[9], units["D01"], OPERATOR, NOW + HOUR, time_limit_days=5)
    later = NOW + 2 * HOUR

    def page(**kw):
        with session_scope(db_url) as s:
            got = service.list_orders(s, OPERATOR, later, **kw)
            return [o["id"] for o in got.items], got.has_more

    assert page(text="公积金") == (housing, False)
    assert page(text="住房 提取") == (housing, False)
    assert page(text="公积金", limit=3) == (housing[:3], True)
    assert page(text="公积金", limit=3, offset=3) == (housing[3:], False)
    assert page(text="垃圾") == ([ids[i] for i in (11, 10, 8, 7, 5, 4, 2, 1)], False)
    assert page(text="垃圾", limit=3, offset=3) == ([ids[7], ids[5], ids[4]], True)
    assert page(text="公积金 垃圾") == ([], False)
    assert page(text="公积金", status="dispatched") == ([ids[9], ids[3]], False)
    assert page(text="公积金", due_state="on_track") == ([ids[3], ids[9]], False)
    assert page(text="垃圾", due_state="on_track") == ([], False)
    # the same answers as reading every order's own words
    with session_scope(db_url) as s:
        orders = {o.id: (o.created_at, o.search_tokens.split()) for o in s.scalars(select(WorkOrder))}
    for query in ("公积金", "小区 垃圾", "东昌府区 提取", "清运 不及时", "提取办不了"):
        wanted = terms.query_terms(query)
        found = [i for i, (_, tokens) in orders.items() if all(t in tokens for t in wanted)]
        assert found and page(text=query)[0] == sorted(found, key=lambda i: (orders[i][0], i), reverse=True)


def test_an_order_s_terms_are_written_with_it_and_long_words_cut_alike(db_url, units):
    long_word = "x" * 60
    with session_scope(db_url) as s:
        oid = new_order(s, subject="公积金", description=f"ＷｉＦｉ链接 {long_word} 打不开", county=None, town=None)["id"]
    with session_scope(db_url) as s:
        rows = s.execute(select(WorkOrderTerm.term, WorkOrderTerm.created_at).where(
            WorkOrderTerm.work_order_id == oid)).all()
        # the character pairs of each Chinese run, letters folded to half-width lower case, cut to 40
        assert sorted(t for t, _ in rows) == sorted(["公积", "积金", "wifi", "链接", "x" * 40, "打不", "不开"])
        assert {at for _, at in rows} == {NOW}
        # a search for the whole long word is cut the same way, so it finds the order
        for query in (long_word, "wifi", "WIFI", "公积金", "链接打不开"):
            assert [o["id"] for o in service.list_orders(s, OPERATOR, NOW, text=query).items] == [oid], query

