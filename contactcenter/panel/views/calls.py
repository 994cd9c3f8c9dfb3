"""Call log: filter by time, caller, seat, outcome; one call's legs, callback and work orders."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from contactcenter.panel import accounts, queries, services
from contactcenter.panel.auth import requires
from contactcenter.panel.forms import (InputError, clean_text, parse_choice, parse_local_datetime, parse_number,
                                       parse_seat)
from contactcenter.panel.web import db, now, settings, site_tz

bp = Blueprint("calls", __name__, url_prefix="/calls")


def _filter_from_args(args) -> queries.CallFilter:
    tz = site_tz()
    return queries.CallFilter(
        start=parse_local_datetime(args.get("from"), tz),
        end=parse_local_datetime(args.get("to"), tz, end_of_day=True),
        caller=parse_number(args.get("caller"), settings().area_code),
        seat=parse_seat(args.get("seat")),
        outcome=parse_choice(args.get("outcome"), queries.OUTCOME_CHOICES, "结果"),
        direction=parse_choice(args.get("direction"), ("inbound", "callback", "outbound"), "方向"),
    )


def _cursor(args) -> tuple[dt.datetime, str] | None:
    at, cid = args.get("before_at"), args.get("before_id")
    if not at or not cid:
        return None
    try:
        parsed = dt.datetime.fromisoformat(at)
    except ValueError:
        raise InputError("分页参数不正确") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed, cid[:80]


@bp.route("/")
@requires("calls")
def index():
    error = None
    rows, cursor = [], None
    try:
        flt = _filter_from_args(request.args)
        rows, cursor = queries.call_page(db(), flt, before=_cursor(request.args))
    except InputError as exc:
        error = str(exc)
    next_args = None
    if cursor:
        next_args = {k: v for k, v in request.args.items() if k not in {"before_at", "before_id"}}
        next_args.update(before_at=cursor[0].isoformat(), before_id=cursor[1])
    return render_template("calls/index.html", rows=rows, error=error, next_args=next_args,
                           outcomes=queries.OUTCOME_CHOICES, args=request.args), (400 if error else 200)


@bp.route("/<path:call_id>")
@requires("calls")
def detail(call_id: str):
    call, legs, tasks = queries.call_detail(db(), call_id)
    if call is None:
        abort(404)
    orders = services.orders_for_call(db(), call_id) if services.has_orders() else []
    return render_template("calls/detail.html", call=call, legs=legs, tasks=tasks, orders=orders,
                           shown_number=None)


@bp.route("/<path:call_id>/unmask", methods=["POST"])
@requires("unmask")
def unmask(call_id: str):
    """Show the caller's full number once, after recording who asked and why."""
    call, legs, tasks = queries.call_detail(db(), call_id)
    if call is None:
        abort(404)
    try:
        reason = clean_text(request.form.get("reason"), "查看原因", max_len=200, required=True, min_len=2)
    except InputError as exc:
        flash(str(exc), "error")
        return redirect(url_for("calls.detail", call_id=call_id))
    accounts.audit(db(), username=current_user.username, action="unmask_number", target=f"call:{call_id}",
                   reason=reason, now=now(), remote_addr=request.remote_addr)
    db().commit()
    current_app.logger.info("number unmasked by %s for call %s", current_user.username, call_id)
    orders = services.orders_for_call(db(), call_id) if services.has_orders() else []
    return render_template("calls/detail.html", call=call, legs=legs, tasks=tasks, orders=orders,
                           shown_number=call.caller)
