"""Leader duty: schedule dates, rotation, publication a week ahead, digest with details scrubbed."""
from __future__ import annotations

import datetime as dt

import pytest

from contactcenter.db import session_scope
from contactcenter.duty import schedule, service as duty
from contactcenter.tickets import service
from tests.tickets.conftest import NOW, OPERATOR, UTC, handler, new_order

D = dt.date
DAY = dt.timedelta(days=1)


def test_duty_dates_wednesdays_and_holidays():
    assert schedule.duty_dates(D(2026, 12, 1), 3) == [D(2026, 12, 2), D(2026, 12, 9), D(2026, 12, 16)]
    # from a Wednesday the next duty day is the following Wednesday
    assert schedule.duty_dates(D(2026, 12, 2), 1) == [D(2026, 12, 9)]
    # Wed 7 Oct 2026 is National Day: moved to Thu 8 Oct
    assert schedule.duty_dates(D(2026, 9, 28), 2) == [D(2026, 9, 30), D(2026, 10, 8)]
    # Spring Festival week 2026 (Wed 18 - Fri 20 Feb all off): that week is skipped
    assert schedule.duty_dates(D(2026, 2, 10), 2) == [D(2026, 2, 11)]
    with pytest.raises(ValueError, match="Monday-Friday"):
        schedule.duty_dates(D(2026, 12, 1), 1, weekday=6)


def test_rotation_continues_after_last_unit():
    assert schedule.rotate([1, 2, 3], 4, last_unit_id=2) == [3, 1, 2, 3]
    assert schedule.rotate([1, 2, 3], 2) == [1, 2]


def test_plan_times_are_beijing_morning():
    slot = schedule.plan([5], D(2026, 12, 1), 1)[0]
    assert (slot.duty_date, slot.unit_id) == (D(2026, 12, 2), 5)
    assert slot.starts_at == dt.datetime(2026, 12, 2, 1, 0, tzinfo=UTC)   # 09:00 Beijing
    assert slot.ends_at == dt.datetime(2026, 12, 2, 3, 0, tzinfo=UTC)     # 11:00 Beijing


def test_scrub_removes_callers_details_keeps_the_matter():
    text = ("我叫张三丰，电话13912345678，座机0635-8123456，身份证号370102199001011234，"
            "住在东阿县铜城街道，车牌鲁P12345，李先生说路灯坏了")
    assert schedule.scrub(text) == ("我叫[姓名]，电话[电话]，座机[电话]，身份证号[身份证号]，"
                                    "住在东阿县铜城街道，车牌[车牌]，*先生说路灯坏了")
    assert schedule.scrub("我是东阿牛角店镇的，+86 139 1234 5678") == "我是东阿牛角店镇的，[电话]"


def test_plan_publish_and_list(db_url, units):
    with session_scope(db_url) as s:
        first = duty.plan_weeks(s, OPERATOR, NOW, weeks=3)
        assert [(x["duty_date"], x["unit_code"]) for x in first] == [
            (D(2026, 12, 2), "C01"), (D(2026, 12, 9), "C02"), (D(2026, 12, 16), "C03")]
        more = duty.plan_weeks(s, OPERATOR, NOW, weeks=2)
        assert [(x["duty_date"], x["unit_code"]) for x in more] == [(D(2026, 12, 23), "C04"),
                                                                     (D(2026, 12, 30), "C05")]
        with pytest.raises(service.PermissionDenied):
            duty.plan_weeks(s, handler(units["C01"]), NOW)
    with session_scope(db_url) as s:
        assert [x["duty_date"] for x in duty.publish_due(s, NOW)] == [D(2026, 12, 2)]
        assert duty.publish_due(s, NOW) == []
        assert [x["duty_date"] for x in duty.publish_due(s, NOW + 7 * DAY)] == [D(2026, 12, 9)]
    with session_scope(db_url) as s:
        public = duty.list_schedule(s, NOW, published_only=True)
        assert [(x["duty_date"], x["unit_name"]) for x in public] == [
            (D(2026, 12, 2), "聊城市东昌府区"), (D(2026, 12, 9), "聊城市茌平区")]
        assert len(duty.list_schedule(s, NOW)) == 5


def test_digest_counts_trend_and_scrubbed_examples(db_url, units):
    c01 = units["C01"]
    with session_scope(db_url) as s:
        def order(category, days_ago, description, call=True):
            o = new_order(s, category=category, subject=category + "问题", description=description,
                          now=NOW - days_ago * DAY, call_id="1764.1" if call else None,
                          channel="phone" if call else "web")
            service.dispatch(s, o["id"], c01, OPERATOR, NOW - days_ago * DAY)

        order("路灯", 2, "我叫王小明，手机13912345678，堂邑镇路灯不亮")
        order("路灯", 5, "梁水镇路灯坏了")
        order("路灯", 40, "旧的路灯问题")
        order("占道经营", 3, "东关街摆摊", call=False)
        order("占道经营", 35, "旧的1")
        order("占道经营", 36, "旧的2")
        order("噪音", 70, "太早了，不算")
        new_order(s, category="路灯", description="未派发给本单位")
    with session_scope(db_url) as s:
        d = duty.digest(s, c01, NOW, days=30)
    assert (d["unit_code"], d["orders"], d["previous_orders"], d["orders_from_calls"]) == ("C01", 3, 3, 2)
    assert [(t["category"], t["count"], t["previous"], t["trend"]) for t in d["topics"]] == [
        ("路灯", 2, 1, "up"), ("占道经营", 1, 2, "down")]
    assert d["topics"][0]["examples"][0]["description"] == "我叫[姓名]，手机[电话]，堂邑镇路灯不亮"
    assert "13912345678" not in repr(d) and "王小明" not in repr(d)
