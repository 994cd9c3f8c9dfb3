"""Administration: accounts, seats, the settings in force (read-only), the audit trail."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from contactcenter.cdr.models import Seat
from contactcenter.panel import accounts, services
from contactcenter.panel.auth import requires
from contactcenter.panel.forms import InputError, clean_text
from contactcenter.panel.models import PanelAudit, PanelUser
from contactcenter.panel.roles import ROLES
from contactcenter.panel.web import db, now, settings

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", methods=["GET", "POST"])
@requires("admin")
def users():
    form = request.form if request.method == "POST" else {}
    if request.method == "POST":
        try:
            accounts.create_user(db(), (form.get("username") or "").strip(), form.get("password") or "",
                                 form.get("role") or "", unit=form.get("unit"),
                                 display_name=clean_text(form.get("display_name"), "姓名", max_len=80) or None,
                                 now=now())
            accounts.audit(db(), username=current_user.username, action="create_user",
                           target=f"user:{form.get('username')}", reason=None, now=now(),
                           remote_addr=request.remote_addr)
            db().commit()
            flash(f"已创建用户 {form.get('username')}", "success")
            return redirect(url_for("admin.users"))
        except (accounts.AccountError, InputError) as exc:
            db().rollback()
            flash(str(exc), "error")
    rows = db().scalars(select(PanelUser).order_by(PanelUser.role, PanelUser.username)).all()
    return render_template("admin/users.html", rows=rows, roles=ROLES, form=form,
                           units=services.list_units(db())), (400 if request.method == "POST" else 200)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires("admin")
def toggle_active(user_id: int):
    user = db().get(PanelUser, user_id)
    if user is None:
        abort(404)
    if user.id == current_user.id:
        flash("不能停用自己的账号", "error")
        return redirect(url_for("admin.users"))
    user.active = not user.active
    accounts.audit(db(), username=current_user.username, action="enable_user" if user.active else "disable_user",
                   target=f"user:{user.username}", reason=None, now=now(), remote_addr=request.remote_addr)
    db().commit()
    flash(f"{user.username} 已{'启用' if user.active else '停用'}", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@requires("admin")
def reset_password(user_id: int):
    user = db().get(PanelUser, user_id)
    if user is None:
        abort(404)
    try:
        accounts.set_password(user, request.form.get("password") or "")
    except accounts.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.users"))
    accounts.audit(db(), username=current_user.username, action="reset_password", target=f"user:{user.username}",
                   reason=None, now=now(), remote_addr=request.remote_addr)
    db().commit()
    flash(f"{user.username} 的密码已重置", "success")
    return redirect(url_for("admin.users"))


@bp.route("/seats", methods=["GET", "POST"])
@requires("admin")
def seats():
    if request.method == "POST":
        seat = db().get(Seat, (request.form.get("seat") or "")[:16])
        if seat is None:
            abort(404)
        try:
            seat.name = clean_text(request.form.get("name"), "坐席名称", max_len=80) or None
        except InputError as exc:
            flash(str(exc), "error")
            return redirect(url_for("admin.seats"))
        db().commit()
        flash(f"坐席 {seat.seat} 已更新", "success")
        return redirect(url_for("admin.seats"))
    rows = db().scalars(select(Seat).order_by(Seat.seat)).all()
    return render_template("admin/seats.html", rows=rows)


@bp.route("/settings")
@requires("admin")
def settings_view():
    return render_template("admin/settings.html", values=settings().redacted())


@bp.route("/audit")
@requires("admin")
def audit_log():
    rows = db().scalars(select(PanelAudit).order_by(PanelAudit.at.desc(), PanelAudit.id.desc()).limit(500)).all()
    return render_template("admin/audit.html", rows=rows)
