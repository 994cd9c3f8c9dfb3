"""Jinja filters: site-local times, durations, percentages, masked numbers, labels."""
from __future__ import annotations

import datetime as dt

from contactcenter.panel.figures import SEAT_STATES
from contactcenter.panel.privacy import mask_number, mask_text

OUTCOMES = {
    "answered": "已接听",
    "abandoned": "放弃",
    "busy": "忙",
    "no_answer": "无人接听",
    "failed": "失败",
}
STAGES = {"ivr": "语音导航", "queue": "排队中", "ringing": "振铃中"}
DIRECTIONS = {"inbound": "呼入", "callback": "回拨", "outbound": "呼出"}
CALLBACK_STATUS = {
    "pending": "待回拨",
    "dialing": "拨号中",
    "reached": "已回访",
    "caller_got_through": "来电已接通",
    "gave_up": "已放弃",
    "invalid_number": "号码无效",
    "blocked": "免打扰",
}
# every attempt result of contactcenter.redial.policy.RESULTS (a test keeps them in step)
CALLBACK_RESULTS = {
    "reached": "已接通", "caller_no_answer": "无人接听", "caller_busy": "对方忙", "seat_no_answer": "坐席未接",
    "seat_busy": "坐席忙", "failed": "失败", "invalid_number": "号码无效", "not_sent": "未发出",
    "cancelled": "已取消（来电已接通）",
}
LEG_RESULTS = {
    "answered": "接听", "no_answer": "未接", "busy": "忙", "rejected": "拒接",
    "caller_gone": "来电已挂", "transferred_away": "已转接", "failed": "失败",
}


def init_app(app) -> None:
    tz = app.extensions["cc_tz"]

    def local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
        if value is None:
            return "—"
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(tz).strftime(fmt)

    def seconds(value: float | None) -> str:
        if value is None:
            return "—"
        value = int(round(value))
        if value < 60:
            return f"{value}秒"
        if value < 3600:
            return f"{value // 60}分{value % 60:02d}秒"
        return f"{value // 3600}时{value % 3600 // 60:02d}分"

    def percent(value: float | None, digits: int = 1) -> str:
        return "—" if value is None else f"{value * 100:.{digits}f}%"

    app.jinja_env.filters.update(
        local=local, seconds=seconds, percent=percent, mask=mask_number, mask_text=mask_text,
        outcome=lambda v: OUTCOMES.get(v, v or "—"),
        stage=lambda v: STAGES.get(v, v or ""),
        direction=lambda v: DIRECTIONS.get(v, v or "—"),
        cbstatus=lambda v: CALLBACK_STATUS.get(v, v or "—"),
        legresult=lambda v: LEG_RESULTS.get(v, v or "—"),
        cbresult=lambda v: CALLBACK_RESULTS.get(v, v or "进行中"),
        seatstate=lambda v: SEAT_STATES.get(v, v),
        combine_offset=lambda args, offset: {**args, "offset": max(0, offset)},
    )
