"""Public intake: a web form citizens fill in without logging in (validated, CSRF-protected,
rate-limited per address, with a honeypot field), and the SMS gateway's webhook
(token-authenticated, rate-limited per sender). Both create work orders through the work-order service."""
from __future__ import annotations

import hmac
import time

from flask import Blueprint, current_app, jsonify, render_template, request

from contactcenter.panel.forms import InputError, clean_text, parse_number
from contactcenter.panel.web import db, now, settings
from contactcenter.tickets import service as ts
from contactcenter.tickets import workflow as wf

bp = Blueprint("public", __name__, url_prefix="/public")

# what a citizen may pick on the form (complaints and reports are taken by phone too)
PUBLIC_TYPES = {k: wf.ORDER_TYPES[k] for k in ("consultation", "help_request", "complaint", "report",
                                               "suggestion", "praise")}


def _limited(limiter: str = "cc_intake_limiter", key: str | None = None) -> bool:
    bucket = current_app.extensions[limiter]
    return not bucket.allow(key or request.remote_addr or "?", time.monotonic())


@bp.route("/intake", methods=["GET", "POST"])
def intake():
    values = {k: "" for k in ("name", "phone", "order_type", "subject", "description", "county", "address")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: (request.form.get(k) or "").strip() for k in values}
        if request.form.get("website"):  # honeypot: people never see this field
            return render_template("public/thanks.html", order_id=None), 200
        checks = {
            "name": lambda v: clean_text(v, "姓名", max_len=40, required=True),
            "phone": lambda v: _phone(v),
            "subject": lambda v: clean_text(v, "标题", max_len=100, required=True, min_len=4),
            "description": lambda v: clean_text(v, "诉求内容", max_len=2000, required=True, min_len=10),
            "county": lambda v: clean_text(v, "所在县区", max_len=40),
            "address": lambda v: clean_text(v, "详细地址", max_len=200),
        }
        clean = {}
        for key, check in checks.items():
            try:
                clean[key] = check(values[key])
            except InputError as exc:
                errors[key] = str(exc)
        if values["order_type"] not in PUBLIC_TYPES:
            errors["order_type"] = "请选择诉求类型"
        # only submissions that would create an order count against the limit: a citizen
        # correcting a typo five times is not a flood
        if not errors and _limited():
            return render_template("public/intake.html", values=values, errors={},
                                   limited=True, types=PUBLIC_TYPES), 429
        if not errors:
            try:
                order = ts.create_order(
                    db(), ts.Actor("system", "web-form"), now(), channel="web", order_type=values["order_type"],
                    category="网上诉求", subject=clean["subject"], description=clean["description"],
                    caller_number=clean["phone"], caller_name=clean["name"], county=clean["county"] or None,
                    address=clean["address"] or None)
                db().commit()
                return render_template("public/thanks.html", order_id=order["id"])
            except ts.WorkflowError as exc:
                db().rollback()
                errors["form"] = f"提交失败：{exc}"
    return render_template("public/intake.html", values=values, errors=errors, limited=False,
                           types=PUBLIC_TYPES), (400 if errors else 200)


def _phone(value: str) -> str:
    number = parse_number(value, settings().area_code)
    if number is None:
        raise InputError("请填写联系电话，以便告知办理结果")
    if not (len(number) == 11 and number.startswith("1")) and not (number.startswith("0") and 10 <= len(number) <= 12):
        raise InputError("联系电话应为 11 位手机号或带区号的固定电话")
    return number


@bp.route("/sms", methods=["POST"])
def sms_webhook():
    """The SMS gateway posts an incoming message: `from` and `text` (form or JSON), with the
    token in `Authorization: Bearer <sms_token>` or `X-SMS-Token`. Creates one work order."""
    expected = settings().sms_token
    if not expected:
        return jsonify({"error": "SMS intake disabled: set sms_token"}), 503
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("X-SMS-Token", "")
    if not token or not hmac.compare_digest(token.encode(), expected.encode()):
        return jsonify({"error": "missing or wrong token"}), 401
    data = request.get_json(silent=True) if request.is_json else request.form
    data = data or {}
    try:
        sender = parse_number(str(data.get("from") or ""), settings().area_code)
        if sender is None:
            raise InputError("from is required")
        text = clean_text(str(data.get("text") or ""), "text", max_len=1000, required=True, min_len=2)
    except InputError as exc:
        return jsonify({"error": str(exc)}), 400
    if _limited("cc_sms_limiter", sender):  # one sender flooding, not the gateway's traffic
        return jsonify({"error": "too many messages from this sender, retry later"}), 429
    subject = text.splitlines()[0][:30]
    try:
        order = ts.create_order(db(), ts.Actor("system", "sms-gateway"), now(), channel="sms",
                                order_type="consultation", category="短信诉求", subject=subject, description=text,
                                caller_number=sender)
    except ts.WorkflowError as exc:
        db().rollback()
        return jsonify({"error": str(exc)}), 400
    db().commit()
    return jsonify({"work_order_id": order["id"], "status": order["status"]}), 201
