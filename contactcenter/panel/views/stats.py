"""Statistics: the figures of DESIGN.md (from contactcenter.stats) and the work-order figures
per unit (from contactcenter.tickets.stats), as server-rendered SVG charts and CSV."""
from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, Response, render_template, request

from contactcenter.panel import charts, services
from contactcenter.panel.auth import requires
from contactcenter.panel.forms import InputError
from contactcenter.panel.web import db, now, settings, site_tz
from contactcenter.stats.queries import load_stats, local_day_bounds

bp = Blueprint("stats", __name__, url_prefix="/stats")

DAY_KEYS = ("date", "calls", "answered", "missed", "first_attempt_connect_rate", "callers", "callers_reached",
            "overall_connect_rate", "abandon_rate", "service_level_20s", "avg_wait_s", "avg_talk_s",
            "peak_hour_calls", "callbacks_attempted", "callbacks_reached")
UNIT_KEYS = ("code", "name", "dispatched", "returns", "replies", "replies_on_time", "on_time_reply_rate", "redo",
             "opinions", "satisfied", "satisfaction_rate")


def _period(args) -> tuple[dt.date, dt.date]:
    today = now().astimezone(site_tz()).date()
    try:
        last = dt.date.fromisoformat(args["to"]) if args.get("to") else today
        first = dt.date.fromisoformat(args["from"]) if args.get("from") else last - dt.timedelta(days=6)
    except ValueError:
        raise InputError("日期格式应为 2026-12-03") from None
    if not (2000 <= first.year and last.year <= 2100):  # the calendar's edges overflow in UTC
        raise InputError("日期应在 2000 年至 2100 年之间")
    if first > last:
        raise InputError("开始日期不能晚于结束日期")
    if (last - first).days > 366:
        raise InputError("统计区间不能超过一年")
    return first, last


def _compute(first: dt.date, last: dt.date) -> tuple[dict, dict | None]:
    since, until = local_day_bounds(first, last, site_tz())
    calls = load_stats(db(), since=since, until=until, tz=site_tz(), service_level_s=settings().service_level_s)
    orders = None
    if services.has_order_stats():
        from contactcenter.tickets.stats import work_order_stats

        orders = work_order_stats(db(), since, until)
    return calls, orders


def _by_hour_of_day(per_hour: list[dict]) -> list[int]:
    counts = [0] * 24
    for row in per_hour:
        counts[int(row["hour"][11:13])] += row["calls"]
    return counts


@bp.route("/")
@requires("stats")
def index():
    try:
        first, last = _period(request.args)
    except InputError as exc:
        return render_template("stats/index.html", error=str(exc), s=None, first=None, last=None), 400
    s, orders = _compute(first, last)
    days = [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    per_day = {r["date"]: r for r in s["per_day"]}
    col = lambda key: [per_day.get(d, {}).get(key) for d in days]  # noqa: E731
    labels = [d[5:] for d in days]
    every = max(1, len(days) // 14)
    figs = {
        "calls_day": charts.bar_chart(labels, [v or 0 for v in col("calls")], "每日呼入量", label_every=every),
        "calls_hour": charts.bar_chart([f"{h:02d}" for h in range(24)], _by_hour_of_day(s["per_hour"]),
                                       "各时段呼入量（区间合计）", label_every=2),
        "connect": charts.line_chart(labels, {"首次接通率": col("first_attempt_connect_rate"),
                                              "综合接通率": col("overall_connect_rate")}, "接通率",
                                     label_every=every),
        "service": charts.line_chart(labels, {"放弃率": col("abandon_rate"),
                                              "20秒服务水平": col("service_level_20s")}, "放弃率与服务水平",
                                     label_every=every),
    }
    if orders and orders["units"]:
        names = [u["code"] or str(u["unit_id"]) for u in orders["units"]]
        figs["on_time"] = charts.bar_chart(names, [u["on_time_reply_rate"] for u in orders["units"]],
                                           "各单位按时答复率", percent=True)
        figs["satisfaction"] = charts.bar_chart(names, [u["satisfaction_rate"] for u in orders["units"]],
                                                "各单位满意率", percent=True)
    return render_template("stats/index.html", s=s, orders=orders, figs=figs, first=first, last=last, error=None)


@bp.route("/export.csv")
@requires("stats")
def export():
    """CSV of the period: `kind=day` (default), `hour` or `unit`. UTF-8 with BOM so that
    spreadsheet programs used at the centre open the Chinese headers correctly."""
    try:
        first, last = _period(request.args)
    except InputError as exc:
        return Response(str(exc), status=400, mimetype="text/plain")
    kind = request.args.get("kind", "day")
    if kind not in ("day", "hour", "unit"):
        return Response("kind must be day, hour or unit", status=400, mimetype="text/plain")
    s, orders = _compute(first, last)
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    if kind == "day":
        writer.writerow(DAY_KEYS)
        for row in s["per_day"]:
            writer.writerow([_cell(row.get(k)) for k in DAY_KEYS])
    elif kind == "hour":
        keys = list(s["per_hour"][0].keys()) if s["per_hour"] else ["hour", "calls"]
        writer.writerow(keys)
        for row in s["per_hour"]:
            writer.writerow([_cell(row.get(k)) for k in keys])
    else:
        writer.writerow(UNIT_KEYS)
        for row in (orders or {}).get("units", []):
            writer.writerow([_cell(row.get(k)) for k in UNIT_KEYS])
    name = f"stats-{kind}-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(buf.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if not value.is_integer() else str(int(value))
    return value
