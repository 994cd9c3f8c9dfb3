"""Callback list: who is owed a call back, attempt history, and the agent's actions."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from contactcenter.panel import queries, services
from contactcenter.panel.auth import requires
from contactcenter.panel.filters import CALLBACK_STATUS
from contactcenter.panel.forms import InputError, parse_choice
from contactcenter.panel.web import db
from contactcenter.redial.models import CallbackTask

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")


@bp.route("/")
@requires("callbacks.view")
def index():
    error = None
    rows = []
    try:
        status = parse_choice(request.args.get("status"), CALLBACK_STATUS, "状态")
        rows = queries.callback_page(db(), status=status)
    except InputError as exc:
        error = str(exc)
    return render_template("callbacks/index.html", rows=rows, error=error, statuses=CALLBACK_STATUS,
                           status=request.args.get("status", ""), can_act=services.has_redial()), \
        (400 if error else 200)


@bp.route("/<int:task_id>")
@requires("callbacks.view")
def detail(task_id: int):
    task = db().get(CallbackTask, task_id)
    if task is None:
        abort(404)
    return render_template("callbacks/detail.html", task=task,
                           attempts=queries.callback_attempts(db(), task),
                           missed=queries.missed_calls_of(db(), task), can_act=services.has_redial())
