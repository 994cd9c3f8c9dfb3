"""JSON API for work orders (registered when the work-order service is installed).
Same bearer token as the rest of the API; the API acts as the `system` actor, which may
register orders (like the web form and SMS) and read them with callers' numbers masked."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, jsonify, request

from contactcenter.cdr.records import iso_utc
from contactcenter.panel.forms import InputError, parse_local_datetime
from contactcenter.panel.views.api import _authenticate, _error
from contactcenter.panel.web import db, now, site_tz
from contactcenter.tickets import service as ts

bp = Blueprint("api_orders", __name__, url_prefix="/api/orders")
bp.before_request(_authenticate)
API_ACTOR = ts.Actor("system", "api")


@bp.errorhandler(InputError)
@bp.errorhandler(ts.InvalidInput)
@bp.errorhandler(ts.PermissionDenied)
@bp.errorhandler(ts.TransitionNotAllowed)
def _bad(exc):
    return _error(400, str(exc))


@bp.errorhandler(404)
@bp.errorhandler(ts.NotFound)
def _missing(_exc):
    return _error(404, "not found")


def _json(order: dict) -> dict:
    """Datetimes as ISO 8601 UTC (the call record's format)."""
    out = {}
    for key, value in order.items():
        if isinstance(value, dt.datetime):
            value = iso_utc(value)
        elif key == "history":
            value = [{k: iso_utc(v) if isinstance(v, dt.datetime) else v for k, v in e.items()} for e in value]
        out[key] = value
    return out


@bp.route("", methods=["GET"])
def list_orders():
    args = request.args
    try:
        limit = int(args.get("limit", "50"))
        offset = int(args.get("offset", "0"))
        unit_id = int(args["unit_id"]) if args.get("unit_id") else None
    except ValueError:
        raise InputError("limit, offset and unit_id must be whole numbers") from None
    tz = site_tz()
    page = ts.list_orders(db(), API_ACTOR, now(), status=args.get("status") or None, unit_id=unit_id,
                          due_state=args.get("due_state") or None, text=args.get("q") or None,
                          order_type=args.get("order_type") or None,
                          created_from=parse_local_datetime(args.get("from"), tz),
                          created_to=parse_local_datetime(args.get("to"), tz, end_of_day=True),
                          limit=limit, offset=offset)
    return jsonify({"orders": [_json(o) for o in page.items], "has_more": page.has_more})


@bp.route("/<int:order_id>", methods=["GET"])
def get_order(order_id: int):
    return jsonify(_json(ts.get_order(db(), order_id, API_ACTOR, now())))


@bp.route("", methods=["POST"])
def create_order():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InputError("send a JSON object")
    allowed = {"channel", "order_type", "category", "subject", "description", "caller_number", "caller_name",
               "call_id", "county", "town", "address", "important", "complex_case"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InputError(f"unknown field(s): {', '.join(unknown)}")
    for key in ("order_type", "category", "subject", "description"):
        if key not in data:
            raise InputError(f"{key} is required")
    order = ts.create_order(db(), API_ACTOR, now(), **{"channel": "web", **data})
    db().commit()
    return jsonify(_json(order)), 201
