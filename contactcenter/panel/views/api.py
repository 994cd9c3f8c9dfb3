"""JSON API for other systems: calls, callbacks and (when installed) work orders.

Token authentication: `Authorization: Bearer <settings.api_token>`. With no token
configured the API refuses every request (it is never open by accident). The token is a
system credential: records carry full caller numbers, as `contactcenter calls` does.
"""
from __future__ import annotations

import hmac

from flask import Blueprint, abort, jsonify, request

from contactcenter.cdr.records import iso_utc
from contactcenter.panel import queries, services
from contactcenter.panel.api_spec import openapi
from contactcenter.panel.filters import CALLBACK_STATUS
from contactcenter.panel.forms import InputError, parse_choice, parse_local_datetime, parse_number, parse_seat
from contactcenter.panel.web import db, settings, site_tz
from contactcenter.redial.models import CallbackTask

bp = Blueprint("api", __name__, url_prefix="/api")


def _error(status: int, message: str):
    resp = jsonify({"error": message})
    resp.status_code = status
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="contactcenter"'
    return resp


@bp.before_request
def _authenticate():
    if request.endpoint == "api.spec":
        return None
    expected = settings().api_token
    if not expected:
        return _error(503, "API disabled: set api_token (CONTACTCENTER_API_TOKEN)")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        return _error(401, "missing or wrong bearer token")
    return None


@bp.errorhandler(InputError)
def _bad_input(exc):
    return _error(400, str(exc))


@bp.errorhandler(404)
def _not_found(_exc):
    return _error(404, "not found")


@bp.route("/openapi.json")
def spec():
    return jsonify(openapi(services.available_areas()))


def call_record(c) -> dict:
    """The call record of shared/DESIGN.md."""
    return {
        "call_id": c.call_id, "direction": c.direction, "caller": c.caller, "dialed": c.dialed,
        "started_at": iso_utc(c.started_at), "ended_at": iso_utc(c.ended_at), "queue": c.queue,
        "wait_s": None if c.wait_s is None else round(c.wait_s, 1), "answered_by": c.answered_by,
        "talk_s": None if c.talk_s is None else round(c.talk_s, 1), "outcome": c.outcome, "stage": c.stage,
        "hangup_cause": c.hangup_cause, "missed": bool(c.missed), "short_abandon": bool(c.short_abandon),
    }


def callback_record(t: CallbackTask) -> dict:
    """The callback list entry of shared/DESIGN.md, plus its id."""
    return {
        "id": t.id, "number": t.number, "status": t.status, "missed_calls": list(t.missed_calls or []),
        "first_missed_at": iso_utc(t.first_missed_at), "attempts": t.attempts,
        "next_attempt_at": iso_utc(t.next_attempt_at), "last_result": t.last_result,
    }


def _limit() -> int:
    try:
        value = int(request.args.get("limit", "100"))
    except ValueError:
        raise InputError("limit must be a whole number") from None
    if not 1 <= value <= 1000:
        raise InputError("limit must be between 1 and 1000")
    return value


@bp.route("/calls")
def calls():
    tz = site_tz()
    flt = queries.CallFilter(
        start=parse_local_datetime(request.args.get("from"), tz),
        end=parse_local_datetime(request.args.get("to"), tz, end_of_day=True),
        caller=parse_number(request.args.get("caller"), settings().area_code), seat=parse_seat(request.args.get("seat")),
        outcome=parse_choice(request.args.get("outcome"), queries.OUTCOME_CHOICES, "outcome"),
        direction=parse_choice(request.args.get("direction"), ("inbound", "callback", "outbound"), "direction"))
    before = None
    if request.args.get("before_at") and request.args.get("before_id"):
        import datetime as dt
        try:
            at = dt.datetime.fromisoformat(request.args["before_at"].replace("Z", "+00:00"))
        except ValueError:
            raise InputError("before_at must be an ISO 8601 time") from None
        before = (at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc), request.args["before_id"][:80])
    rows, cursor = queries.call_page(db(), flt, before=before, limit=_limit())
    return jsonify({"calls": [call_record(c) for c in rows],
                    "next": None if cursor is None else {"before_at": iso_utc(cursor[0]), "before_id": cursor[1]}})


@bp.route("/calls/<path:call_id>")
def call(call_id: str):
    c, legs, tasks = queries.call_detail(db(), call_id)
    if c is None:
        abort(404)
    out = call_record(c)
    out["legs"] = [{"seat": l.seat, "ring_started_at": iso_utc(l.ring_started_at),
                    "answered_at": iso_utc(l.answered_at), "ended_at": iso_utc(l.ended_at), "result": l.result}
                   for l in legs]
    out["callbacks"] = [t.id for t in tasks]
    return jsonify(out)


@bp.route("/callbacks")
def callbacks():
    status = parse_choice(request.args.get("status"), CALLBACK_STATUS, "status")
    rows = queries.callback_page(db(), status=status, limit=_limit())
    return jsonify({"callbacks": [callback_record(t) for t in rows]})


@bp.route("/callbacks/<int:task_id>")
def callback(task_id: int):
    t = db().get(CallbackTask, task_id)
    if t is None:
        abort(404)
    out = callback_record(t)
    out["attempts_history"] = [
        {"seq": x.seq, "seat": x.seat, "started_at": iso_utc(x.started_at), "ended_at": iso_utc(x.ended_at),
         "result": x.result, "call_id": x.call_id, "requested_by": x.requested_by}
        for x in queries.callback_attempts(db(), t)]
    return jsonify(out)
