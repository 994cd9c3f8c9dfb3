"""The callback agent's actions on the callback list, through the dialer's service
(contactcenter.redial.service): call now, skip, do-not-call, a caller's own request. The
panel never speaks AMI: "call now" puts the task first in line and the dispatcher dials.
Registered only when the dialer's service is installed."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from contactcenter.panel.auth import requires
from contactcenter.panel.forms import InputError, clean_text, parse_local_datetime
from contactcenter.panel.web import db, now, settings, site_tz
from contactcenter.redial.models import CallbackTask

bp = Blueprint("callback_actions", __name__, url_prefix="/callbacks")


def db_url() -> str:
    return current_app.extensions["cc_db_url"]



def _service():
    from contactcenter.redial import service

    return service


def _by() -> str:
    return current_user.username


def _task_or_404(task_id: int) -> CallbackTask:
    task = db().get(CallbackTask, task_id)
    if task is None:
        abort(404)
    db().rollback()  # end the read before the service writes in its own unit of work
    return task


def _done(message: str, task_id: int | None = None):
    flash(message, "success")
    target = request.form.get("next") or ""
    if target == "list" or task_id is None:
        return redirect(url_for("callbacks.index"))
    return redirect(url_for("callbacks.detail", task_id=task_id))


def _failed(exc: Exception, task_id: int | None = None):
    flash(f"未能完成：{exc}", "error")
    if task_id is None or request.form.get("next") == "list":
        return redirect(url_for("callbacks.index"))
    return redirect(url_for("callbacks.detail", task_id=task_id))


@bp.route("/<int:task_id>/call-now", methods=["POST"])
@requires("callbacks.work")
def call_now(task_id: int):
    _task_or_404(task_id)
    svc = _service()
    try:
        svc.call_now(db_url(), task_id, by=_by(), settings=settings(), now=now())
    except svc.CallbackServiceError as exc:
        return _failed(exc, task_id)
    return _done("已排到最前，有空闲坐席时立即回拨", task_id)


@bp.route("/<int:task_id>/skip", methods=["POST"])
@requires("callbacks.work")
def skip(task_id: int):
    _task_or_404(task_id)
    svc = _service()
    try:
        reason = clean_text(request.form.get("reason"), "原因", max_len=200)
        svc.skip(db_url(), task_id, by=_by(), reason=reason, now=now())
    except (InputError, svc.CallbackServiceError) as exc:
        return _failed(exc, task_id)
    return _done("已跳过（不再回拨）", task_id)


@bp.route("/<int:task_id>/do-not-call", methods=["POST"])
@requires("callbacks.work")
def do_not_call(task_id: int):
    task = _task_or_404(task_id)
    svc = _service()
    if not task.number:
        return _failed(ValueError("号码无效，无需加入免打扰"), task_id)
    try:
        reason = clean_text(request.form.get("reason"), "原因", max_len=200, required=True)
        svc.add_do_not_call(db_url(), task.number, by=_by(), reason=reason, settings=settings(), now=now())
    except (InputError, svc.CallbackServiceError) as exc:
        return _failed(exc, task_id)
    return _done("已加入免打扰名单，不再回拨该号码", task_id)


@bp.route("/request", methods=["GET", "POST"])
@requires("callbacks.work")
def request_callback():
    """A caller asks to be called back at another number and/or time."""
    values = {k: (request.form.get(k) or "").strip() for k in ("number", "at", "note")}
    if request.method == "POST":
        svc = _service()
        try:
            if not values["number"]:
                raise InputError("请填写回拨号码")
            at = parse_local_datetime(values["at"], site_tz())
            note = clean_text(values["note"], "备注", max_len=200)
            task = svc.request_callback(db_url(), values["number"], by=_by(), at=at, note=note,
                                        settings=settings(), now=now())
        except (InputError, svc.CallbackServiceError) as exc:
            flash(f"未能登记：{exc}", "error")
            return render_template("callbacks/request.html", values=values), 400
        flash("已登记回拨请求", "success")
        return redirect(url_for("callbacks.detail", task_id=task["id"]))
    return render_template("callbacks/request.html", values=values)


@bp.route("/do-not-call")
@requires("callbacks.view")
def do_not_call_list():
    return render_template("callbacks/dnc.html", rows=_service().list_do_not_call(db_url()))

