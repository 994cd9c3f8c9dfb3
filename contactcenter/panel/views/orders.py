"""Work orders: intake prefilled from a call, dispatch with the routing suggestion, leader
approval, the unit's accept/return/reply/extend, result and feedback, return for redo,
deadline badges. Everything goes through contactcenter.tickets.service, which checks the
actor's role, unit and the order's state; a unit handler asking for another unit's order
gets 404 from the service, whatever id is typed into the URL."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from contactcenter.panel import accounts, queries
from contactcenter.panel.auth import requires
from contactcenter.panel.forms import InputError, clean_text, parse_local_datetime
from contactcenter.panel.web import db, now, site_tz
from contactcenter.tickets import service as ts
from contactcenter.tickets import workflow as wf

bp = Blueprint("orders", __name__, url_prefix="/orders")

STATUS_LABELS = {
    "new": "待派发", "awaiting_approval": "待领导审批", "dispatched": "已派发待签收", "returned": "单位退回",
    "in_progress": "办理中", "extension_requested": "申请延期", "replied": "单位已答复",
    "caller_notified": "已告知来电人", "returned_for_redo": "退回重办", "closed": "已办结",
}
DUE_LABELS = {"overdue": ("已超期", "bad"), "due_soon": ("即将到期", "warn"), "on_track": ("正常", "ok")}
CHANNEL_LABELS = {"phone": "电话", "web": "网站", "sms": "短信"}
ACTION_LABELS = {
    "resolve_directly": "直接答复办结", "submit_for_approval": "提交领导审批", "approve": "批准并派发",
    "send_back": "退回话务", "dispatch": "派发", "accept": "签收", "return_to_centre": "退回（非本单位事项）",
    "request_extension": "申请延期", "approve_extension": "同意延期", "refuse_extension": "不同意延期",
    "reply": "答复", "notify_caller": "告知来电人结果", "record_opinion": "记录回访意见", "escalate": "督办",
    "create": "登记", "result_call": "结果回电", "survey": "满意度评价",
}


def actor() -> ts.Actor:
    """The logged-in user as the work-order service's actor (unit handlers with their unit id)."""
    if "cc_actor" not in g:
        unit_id = None
        if current_user.role == "unit_handler":
            try:
                unit_id = ts.unit_by_code(db(), current_user.unit or "").id
            except ts.UnknownUnit:
                abort(403)
        g.cc_actor = ts.Actor(current_user.role, current_user.username, unit_id)
    return g.cc_actor


def _int(value, label: str) -> int | None:
    value = (value or "").strip() if isinstance(value, str) else value
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise InputError(f"{label}必须是整数") from None


@bp.app_template_filter("order_status")
def _status_label(value):
    return STATUS_LABELS.get(value, value)


@bp.app_template_filter("order_type")
def _type_label(value):
    return wf.ORDER_TYPES.get(value, value)


@bp.route("/")
@requires("orders.view")
def index():
    args = request.args
    error = None
    page = ts.OrderPage([], False)
    offset = 0
    try:
        offset = _int(args.get("offset"), "页码") or 0
        status = args.get("status") or None
        if status == "open":
            status = list(wf.OPEN_STATES)
        unit_id = _int(args.get("unit_id"), "单位") if current_user.role != "unit_handler" else None
        tz = site_tz()
        page = ts.list_orders(
            db(), actor(), now(), status=status, unit_id=unit_id, due_state=args.get("due_state") or None,
            text=(args.get("q") or "").strip() or None, order_type=args.get("order_type") or None,
            created_from=parse_local_datetime(args.get("from"), tz),
            created_to=parse_local_datetime(args.get("to"), tz, end_of_day=True), limit=50, offset=max(0, offset))
    except (InputError, ts.WorkflowError) as exc:
        error = str(exc)
    units = ts.list_units(db()) if current_user.role != "unit_handler" else []
    return render_template("orders/index.html", page=page, error=error, args=args, offset=offset, units=units,
                           statuses=STATUS_LABELS, due_labels=DUE_LABELS, types=wf.ORDER_TYPES,
                           channels=CHANNEL_LABELS), (400 if error else 200)


def _intake_values(source) -> dict:
    keys = ("call_id", "channel", "caller_number", "caller_name", "order_type", "category", "subject",
            "description", "county", "town", "address")
    values = {k: (source.get(k) or "").strip() for k in keys}
    values["important"] = bool(source.get("important"))
    values["complex_case"] = bool(source.get("complex_case"))
    return values


@bp.route("/new", methods=["GET", "POST"])
@requires("orders.intake")
def new():
    call = None
    if request.method == "POST":
        values = _intake_values(request.form)
        if values["call_id"]:
            call = queries.call_detail(db(), values["call_id"])[0]
        try:
            order = ts.create_order(
                db(), actor(), now(), channel=values["channel"] or "phone", order_type=values["order_type"],
                category=values["category"], subject=values["subject"], description=values["description"],
                caller_number=values["caller_number"] or (call.caller if call else None),
                caller_name=values["caller_name"] or None, call_id=values["call_id"] or None,
                county=values["county"] or None, town=values["town"] or None, address=values["address"] or None,
                important=values["important"], complex_case=values["complex_case"])
            db().commit()
            flash(f"工单 #{order['id']} 已登记", "success")
            return redirect(url_for("orders.detail", order_id=order["id"]))
        except ts.WorkflowError as exc:
            db().rollback()
            flash(_message(exc), "error")
            return _intake_page(values, call), 400
    values = _intake_values({})
    values["channel"] = "phone"
    values["order_type"] = "consultation"
    call_id = (request.args.get("call_id") or "").strip()
    if call_id:
        call = queries.call_detail(db(), call_id)[0]
        if call is None:
            abort(404)
        values["call_id"] = call.call_id
        values["caller_name"] = (call.caller_name or "")[:80]
    return _intake_page(values, call)


def _intake_page(values: dict, call):
    return render_template("orders/new.html", values=values, call=call, types=wf.ORDER_TYPES,
                           channels=CHANNEL_LABELS)


def _message(exc: Exception) -> str:
    """The service's message, in front of a Chinese lead-in (the service speaks English)."""
    kind = {"PermissionDenied": "无权操作", "TransitionNotAllowed": "当前状态不能执行此操作",
            "NotFound": "工单不存在", "UnknownUnit": "承办单位不存在"}.get(type(exc).__name__, "输入有误")
    return f"{kind}：{exc}"


def _load(order_id: int) -> dict:
    try:
        return ts.get_order(db(), order_id, actor(), now())
    except ts.NotFound:
        abort(404)


@bp.route("/<int:order_id>")
@requires("orders.view")
def detail(order_id: int):
    return _detail_page(_load(order_id))


def _detail_page(order: dict, shown_number: str | None = None, status: int = 200):
    suggestions = []
    allowed = order["allowed_actions"]
    if {"dispatch", "submit_for_approval"} & set(allowed):
        try:
            suggestions = ts.suggest_units(db(), f"{order['subject']} {order['description']} {order['address'] or ''}",
                                           county=order["county"], town=order["town"], top=3)
        except ts.WorkflowError:
            suggestions = []
    units = ts.list_units(db()) if {"dispatch", "submit_for_approval"} & set(allowed) else []
    call = queries.call_detail(db(), order["call_id"])[0] if order["call_id"] and current_user.can("calls") else None
    return render_template("orders/detail.html", o=order, allowed=allowed, suggestions=suggestions, units=units,
                           call=call, labels=ACTION_LABELS, statuses=STATUS_LABELS, due_labels=DUE_LABELS,
                           channels=CHANNEL_LABELS, satisfaction=wf.SATISFACTION, shown_number=shown_number,
                           can_unmask=current_user.can("unmask") and current_user.role in ts.CALLER_VISIBLE_ROLES
                           ), status


def _params(action: str, form) -> dict:
    """Form fields -> the service's parameters for `action` (validated again by the service)."""
    text = lambda key, label, max_len=2000, required=False: clean_text(  # noqa: E731
        form.get(key), label, max_len=max_len, required=required) or None
    if action == "resolve_directly":
        ids = [int(x) for x in (form.get("kb_article_ids") or "").replace("，", ",").split(",") if x.strip().isdigit()]
        return {"answer": text("answer", "答复内容", 4000, True), "kb_article_ids": ids}
    if action in ("dispatch", "submit_for_approval"):
        params = {"unit_id": _int(form.get("unit_id"), "承办单位"), "note": text("note", "说明")}
        if action == "dispatch" and form.get("time_limit_days"):
            params["time_limit_days"] = _int(form.get("time_limit_days"), "办理时限")
        if params["unit_id"] is None:
            raise InputError("请选择承办单位")
        return params
    if action == "approve":
        params = {"instructions": text("instructions", "领导批示", required=True)}
        if form.get("time_limit_days"):
            params["time_limit_days"] = _int(form.get("time_limit_days"), "办理时限")
        return params
    if action in ("send_back", "refuse_extension"):
        return {"note": text("note", "理由", required=True)}
    if action in ("accept", "approve_extension", "escalate"):
        return {"note": text("note", "备注")}
    if action == "return_to_centre":
        return {"reason": text("reason", "退回理由", required=True)}
    if action == "request_extension":
        return {"days": _int(form.get("days"), "延期天数"), "reason": text("reason", "延期理由", required=True)}
    if action == "reply":
        return {"reply": text("reply", "答复内容", 4000, True)}
    if action == "notify_caller":
        channel = form.get("channel") or "phone"
        if channel not in wf.NOTIFY_CHANNELS:
            raise InputError("告知方式只能是电话或短信")
        return {"channel": channel, "note": text("note", "备注")}
    if action == "record_opinion":
        satisfaction = form.get("satisfaction") or ""
        if satisfaction not in wf.SATISFACTION:
            raise InputError("请选择来电人的满意度")
        return {"satisfaction": satisfaction, "objection_reasonable": form.get("objection_reasonable") == "yes",
                "note": text("note", "回访记录")}
    raise InputError("未知操作")


@bp.route("/<int:order_id>/act/<action>", methods=["POST"])
@requires("orders.view")
def act(order_id: int, action: str):
    if action not in wf.ACTIONS:
        abort(404)
    _load(order_id)  # 404 for an order this user may not see, before anything else
    try:
        params = _params(action, request.form)
        if action == "notify_caller":
            ts.notify_caller(db(), order_id, params["channel"], actor(), now(), note=params["note"])
        else:
            ts.act(db(), order_id, action, actor(), now(), **{k: v for k, v in params.items() if v is not None})
        db().commit()
        flash(f"{ACTION_LABELS.get(action, action)}：已完成", "success")
    except ts.NotFound:
        db().rollback()
        abort(404)
    except (InputError, ts.WorkflowError) as exc:
        db().rollback()
        flash(str(exc) if isinstance(exc, InputError) else _message(exc), "error")
    return redirect(url_for("orders.detail", order_id=order_id))


@bp.route("/<int:order_id>/unmask", methods=["POST"])
@requires("unmask")
def unmask(order_id: int):
    order = _load(order_id)
    if current_user.role not in ts.CALLER_VISIBLE_ROLES:
        abort(403)
    try:
        reason = clean_text(request.form.get("reason"), "查看原因", max_len=200, required=True, min_len=2)
    except InputError as exc:
        flash(str(exc), "error")
        return redirect(url_for("orders.detail", order_id=order_id))
    accounts.audit(db(), username=current_user.username, action="unmask_number", target=f"work_order:{order_id}",
                   reason=reason, now=now(), remote_addr=request.remote_addr)
    db().commit()
    return _detail_page(order, shown_number=order["caller_number"])
