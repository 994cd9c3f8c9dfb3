"""Handling units (seeded data, editable by admins) and their open work-order load."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from contactcenter.panel.auth import requires
from contactcenter.panel.forms import InputError, clean_text
from contactcenter.panel.views.orders import actor
from contactcenter.panel.web import db
from contactcenter.tickets import service as ts

bp = Blueprint("units", __name__, url_prefix="/units")

KINDS = {"county": "县（市、区）", "zone": "开发区", "department": "市直部门"}


@bp.route("/")
@requires("units.view")
def index():
    units = ts.list_units(db(), include_inactive=True)
    return render_template("units/index.html", units=units, kinds=KINDS)


def _words(value: str | None) -> list[str]:
    import re

    return [w for w in re.split(r"[\s,，、;；]+", value or "") if w]


@bp.route("/<int:unit_id>", methods=["GET", "POST"])
@requires("units.view")
def edit(unit_id: int):
    try:
        unit = ts.get_unit(db(), unit_id)
    except ts.UnknownUnit:
        unit = next((u for u in ts.list_units(db(), include_inactive=True) if u["id"] == unit_id), None)
        if unit is None:
            abort(404)
    if request.method == "POST":
        from flask_login import current_user

        if not current_user.can("units.edit"):
            abort(403)
        form = request.form
        try:
            fields = {
                "name": clean_text(form.get("name"), "名称", max_len=80, required=True),
                "short_name": clean_text(form.get("short_name"), "简称", max_len=40, required=True),
                "head_name": clean_text(form.get("head_name"), "负责人", max_len=80) or None,
                "head_title": clean_text(form.get("head_title"), "职务", max_len=80) or None,
                "aliases": _words(form.get("aliases")), "places": _words(form.get("places")),
                "keywords": _words(form.get("keywords")), "active": bool(form.get("active")),
                "vertical": bool(form.get("vertical")),
            }
            ts.update_unit(db(), unit_id, actor(), **fields)
            db().commit()
            flash("单位信息已保存", "success")
            return redirect(url_for("units.edit", unit_id=unit_id))
        except (InputError, ts.WorkflowError) as exc:
            db().rollback()
            flash(str(exc), "error")
            unit = {**unit, **{k: form.get(k) for k in ("name", "short_name", "head_name", "head_title")}}
    return render_template("units/edit.html", u=unit, kinds=KINDS)
