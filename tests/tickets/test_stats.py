"""Work-order statistics worked out by hand from a small scripted history."""
from __future__ import annotations

import datetime as dt

from contactcenter.db import session_scope
from contactcenter.tickets import service
from contactcenter.tickets.stats import work_order_stats
from tests.tickets.conftest import AGENT, NOW, OPERATOR, handler, new_order

H = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def test_unit_and_overall_figures(db_url, units):
    c01, d08, d09 = units["C01"], units["D08"], units["D09"]
    with session_scope(db_url) as s:
        # 1: answered on the spot
        o1 = new_order(s, order_type="consultation")["id"]
        service.act(s, o1, "resolve_directly", OPERATOR, NOW, answer="已解答")
        # 2: D09 returns it, D08 replies on time, caller satisfied
        o2 = new_order(s)["id"]
        service.dispatch(s, o2, d09, OPERATOR, NOW)
        service.act(s, o2, "return_to_centre", handler(d09), NOW + H, reason="不属于本单位")
        service.dispatch(s, o2, d08, OPERATOR, NOW + 2 * H)
        service.act(s, o2, "accept", handler(d08), NOW + 3 * H)
        service.act(s, o2, "reply", handler(d08), NOW + 4 * H, reply="已处理")
        service.notify_caller(s, o2, "sms", AGENT, NOW + 5 * H)
        service.act(s, o2, "record_opinion", AGENT, NOW + 6 * H, satisfaction="basically_satisfied")
        # 3: C01 replies late (deadline 4 Dec for 1 working day... use explicit 1-day limit),
        #    reasonable objection -> redo, second reply on time, dissatisfied without reason -> closed
        o3 = new_order(s)["id"]
        service.dispatch(s, o3, c01, OPERATOR, NOW, time_limit_days=1)   # due Wed 2 Dec 23:59:59 Beijing
        service.act(s, o3, "accept", handler(c01), NOW)
        service.act(s, o3, "reply", handler(c01), NOW + 3 * DAY, reply="已修复")  # Fri 4 Dec: late
        service.notify_caller(s, o3, "sms", AGENT, NOW + 3 * DAY)
        service.act(s, o3, "record_opinion", AGENT, NOW + 3 * DAY, satisfaction="dissatisfied",
                    objection_reasonable=True, note="没修好")
        service.act(s, o3, "reply", handler(c01), NOW + 4 * DAY, reply="已重新修复")  # new deadline Fri 11 Dec
        service.notify_caller(s, o3, "sms", AGENT, NOW + 4 * DAY)
        service.act(s, o3, "record_opinion", AGENT, NOW + 4 * DAY, satisfaction="dissatisfied")
    with session_scope(db_url) as s:
        st = work_order_stats(s, NOW - DAY, NOW + 10 * DAY)
    by_code = {u["code"]: u for u in st["units"]}
    assert list(by_code) == ["C01", "D08", "D09"]
    assert by_code["D09"] == {"unit_id": d09, "code": "D09", "name": "聊城市城市管理局", "dispatched": 1,
                              "returns": 1, "replies": 0, "replies_on_time": 0, "redo": 0, "opinions": 0,
                              "satisfied": 0, "on_time_reply_rate": None, "satisfaction_rate": None}
    assert (by_code["D08"]["replies"], by_code["D08"]["on_time_reply_rate"],
            by_code["D08"]["satisfaction_rate"]) == (1, 1.0, 1.0)
    c = by_code["C01"]
    assert (c["dispatched"], c["replies"], c["replies_on_time"], c["redo"], c["opinions"], c["satisfied"]) == (
        1, 2, 1, 1, 2, 0)
    assert c["on_time_reply_rate"] == 0.5 and c["satisfaction_rate"] == 0.0
    o = st["overall"]
    assert (o["created"], o["direct_resolved"], o["direct_resolution_rate"]) == (3, 1, 0.3333)
    assert (o["returns"], o["redo"], o["replies"], o["replies_on_time"]) == (1, 1, 3, 2)
    assert o["satisfaction_rate"] == 0.3333
    assert "13900001234" not in repr(st)
