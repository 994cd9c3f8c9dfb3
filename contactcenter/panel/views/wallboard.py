"""Live wallboard: seat states, queue, today's figures; refreshed by wallboard.js polling JSON."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from contactcenter.panel import queries
from contactcenter.panel.auth import requires
from contactcenter.panel.web import db, now, site_tz

bp = Blueprint("wallboard", __name__, url_prefix="/wallboard")


@bp.route("/")
@requires("wallboard")
def index():
    data = queries.wallboard(db(), now(), site_tz())
    return render_template("wallboard.html", data=data)


@bp.route("/data.json")
@requires("wallboard")
def data():
    resp = jsonify(queries.wallboard(db(), now(), site_tz()))
    resp.headers["Cache-Control"] = "no-store"
    return resp
