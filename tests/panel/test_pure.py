"""Pure parts of the panel: seat states, day figures, masking, input parsing, charts, rate limit."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from contactcenter.panel import charts, figures, forms, roles
from contactcenter.panel.privacy import mask_number, mask_text
from contactcenter.panel.ratelimit import RateLimiter

UTC = dt.timezone.utc
SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("logged_in, paused, device, expected", [
    (True, False, "idle", "idle"),
    (True, False, "ringing", "ringing"),
    (True, False, "talking", "talking"),
    (True, True, "idle", "paused"),
    (True, True, "talking", "talking"),
    (True, True, "ringing", "ringing"),
    (False, False, "idle", "offline"),
    (True, False, "unavailable", "offline"),
    (True, False, None, "idle"),
    (True, False, "INUSE", "talking"),
])
def test_seat_state(logged_in, paused, device, expected):
    assert figures.seat_state(logged_in, paused, device) == expected


def test_longest_wait_and_local_day_bounds():
    now = dt.datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    assert figures.longest_wait_s([now - dt.timedelta(seconds=90), now - dt.timedelta(seconds=5)], now) == 90.0
    assert figures.longest_wait_s([], now) is None
    # 10:00 in Shanghai on 3 Dec: the local day is 2 Dec 16:00Z .. 3 Dec 16:00Z
    assert figures.local_day_bounds(now, SH) == (dt.datetime(2026, 12, 2, 16, 0, tzinfo=UTC),
                                                 dt.datetime(2026, 12, 3, 16, 0, tzinfo=UTC))
    # 23:30 UTC on 2 Dec is already 3 Dec in Shanghai
    late = dt.datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
    assert figures.local_day_bounds(late, SH)[0] == dt.datetime(2026, 12, 2, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize("number, masked", [
    ("13900001234", "139****1234"),
    ("06358123456", "063*****3456"[:0] + "063****3456"),
    ("063581234567", "063*****4567"),
    ("8123456", "812****"),
    ("12345", "1***5"),
    (None, "未知"),
    ("", "未知"),
])
def test_mask_number(number, masked):
    assert mask_number(number) == masked


def test_mask_text_hides_numbers_inside_free_text():
    assert mask_text("请回电 13900001234 或 0635-8123456，谢谢") == "请回电 139****1234 或 063****3456，谢谢"
    assert mask_text("2026年12月3日 3号楼") == "2026年12月3日 3号楼"


@pytest.mark.parametrize("typed, canonical", [
    ("13900001234", "13900001234"),
    ("+86 139 0000 1234", "13900001234"),
    ("0086-139-0000-1234", "13900001234"),
    ("8613900001234", "13900001234"),
    ("+86 635 8123456", "06358123456"),
    ("0635-8123456", "06358123456"),
    ("8123456", "06358123456"),  # a local number of the hotline's own area
    ("", None),
])
def test_parse_number(typed, canonical):
    assert forms.parse_number(typed) == canonical


@pytest.mark.parametrize("bad", ["139abc", "1' OR '1'='1", "12"])
def test_parse_number_refuses_garbage(bad):
    with pytest.raises(forms.InputError):
        forms.parse_number(bad)


def test_parse_local_datetime_is_site_local():
    assert forms.parse_local_datetime("2026-12-03T08:30", SH) == dt.datetime(2026, 12, 3, 0, 30, tzinfo=UTC)
    assert forms.parse_local_datetime("2026-12-03", SH, end_of_day=True) == dt.datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    assert forms.parse_local_datetime("", SH) is None
    with pytest.raises(forms.InputError, match="时间格式不正确"):
        forms.parse_local_datetime("yesterday", SH)


def test_clean_text_limits_and_strips_control_characters():
    assert forms.clean_text("  路灯\x00不亮\x07 ", "内容", max_len=10) == "路灯不亮"
    with pytest.raises(forms.InputError, match="不能超过 3 个字"):
        forms.clean_text("四个汉字", "标题", max_len=3)
    with pytest.raises(forms.InputError, match="请填写标题"):
        forms.clean_text("  ", "标题", max_len=3, required=True)


def test_rate_limiter_refills_over_time():
    limiter = RateLimiter(capacity=2, per_seconds=60)
    assert limiter.allow("1.2.3.4", 0.0) and limiter.allow("1.2.3.4", 0.1)
    assert not limiter.allow("1.2.3.4", 0.2)
    assert limiter.allow("5.6.7.8", 0.2)  # another client is not affected
    # 0.2 s of refill at 1/30 token per s since the empty bucket: (1 - 0.2/30) * 30 = 29.8 s
    assert limiter.retry_after("1.2.3.4", 0.2) == pytest.approx(29.8, abs=0.001)
    assert limiter.allow("1.2.3.4", 30.3)  # one token per 30 s


def test_bar_chart_scales_and_escapes():
    svg = str(charts.bar_chart(["08时", "<b>"], [30, 60], "每小时来电"))
    assert svg.startswith("<svg") and svg.count("<rect") == 2
    assert "&lt;b&gt;" in svg and "<b>" not in svg
    # top of the axis is 60 (a 'nice' maximum): the 60 bar fills the full 170 px plot height
    assert 'height="170.0"' in svg and 'height="85.0"' in svg


def test_line_chart_breaks_on_missing_values():
    svg = str(charts.line_chart(["1", "2", "3", "4"], {"接通率": [0.9, None, 0.95, 1.0]}, "接通率"))
    assert svg.count("<polyline") == 2
    assert "100%" in svg


def test_every_capability_names_known_roles():
    for cap, allowed in roles.PERMISSIONS.items():
        assert allowed <= set(roles.ROLES), cap
    assert not roles.can("unit_handler", "unmask")
    assert not roles.can("operator", "no.such.capability")
    assert roles.can("leader", "orders.approve") and not roles.can("admin", "orders.approve")


def test_every_callback_result_has_a_chinese_label():
    from contactcenter.panel.filters import CALLBACK_RESULTS
    from contactcenter.redial.policy import RESULTS

    assert set(CALLBACK_RESULTS) == set(RESULTS)
