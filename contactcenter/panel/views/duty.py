"""Leader duty: the weekly schedule (planned and published ahead) and each unit's digest of
hot topics for its head before the duty session."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from contactcenter.duty import service as duty
from contactcenter.panel.auth import requires
from contactcenter.panel.views.orders import actor
from contactcenter.panel.web import db, now
from contactcenter.tickets import service as ts

bp = Blueprint("duty", __name__, url_prefix="/duty")
TRENDS = {"up": "↑ 上升", "down": "↓ 下降", "flat": "→ 持平"}


@bp.route("/")
@requires("duty.view")
def index():
    slots = duty.list_schedule(db(), now(), weeks=12)
    return render_template("duty/index.html", slots=slots)


@bp.route("/plan", methods=["POST"])
@requires("duty.edit")
def plan():
    try:
        weeks = int(request.form.get("weeks") or 8)
        if not 1 <= weeks <= 26:
            raise ts.InvalidInput("周数应为 1–26")
        added = duty.plan_weeks(db(), actor(), now(), weeks=weeks)
        published = duty.publish_due(db(), now())
        db().commit()
        flash(f"已排 {len(added)} 期值班，发布 {len(published)} 期", "success")
    except (ValueError, ts.WorkflowError) as exc:
        db().rollback()
        flash(f"排班失败：{exc}", "error")
    return redirect(url_for("duty.index"))


@bp.route("/digest/<int:unit_id>")
@requires("duty.view")
def digest(unit_id: int):
    try:
        days = int(request.args.get("days") or 30)
        data = duty.digest(db(), unit_id, now(), days=days)
    except ts.UnknownUnit:
        abort(404)
    except (ValueError, ts.WorkflowError) as exc:
        flash(str(exc), "error")
        return redirect(url_for("duty.digest", unit_id=unit_id))
    return render_template("duty/digest.html", d=data, trends=TRENDS)
