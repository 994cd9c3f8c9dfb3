"""The OpenAPI 3.1 description of the JSON API, built from the areas installed."""
from __future__ import annotations

_CALL = {
    "type": "object",
    "properties": {
        "call_id": {"type": "string"}, "direction": {"enum": ["inbound", "callback", "outbound"]},
        "caller": {"type": ["string", "null"]}, "dialed": {"type": ["string", "null"]},
        "started_at": {"type": "string", "format": "date-time"},
        "ended_at": {"type": ["string", "null"], "format": "date-time"},
        "queue": {"type": ["string", "null"]}, "wait_s": {"type": ["number", "null"]},
        "answered_by": {"type": ["string", "null"]}, "talk_s": {"type": ["number", "null"]},
        "outcome": {"enum": ["answered", "abandoned", "busy", "no_answer", "failed", None]},
        "stage": {"enum": ["ivr", "queue", "ringing", None]}, "hangup_cause": {"type": ["integer", "null"]},
        "missed": {"type": "boolean"}, "short_abandon": {"type": "boolean"},
    },
    "required": ["call_id", "direction", "caller", "started_at", "outcome", "missed"],
}
_CALLBACK = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "number": {"type": ["string", "null"]},
        "status": {"enum": ["pending", "dialing", "reached", "caller_got_through", "gave_up",
                            "invalid_number", "blocked"]},
        "missed_calls": {"type": "array", "items": {"type": "string"}},
        "first_missed_at": {"type": "string", "format": "date-time"}, "attempts": {"type": "integer"},
        "next_attempt_at": {"type": ["string", "null"], "format": "date-time"},
        "last_result": {"type": ["string", "null"]},
    },
    "required": ["id", "number", "status", "attempts"],
}
_ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}


def _q(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def _responses(ok_schema: dict, ok="OK") -> dict:
    err = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {"200": {"description": ok, "content": {"application/json": {"schema": ok_schema}}},
            "400": {"description": "bad input", **err}, "401": {"description": "missing or wrong token", **err},
            "404": {"description": "not found", **err}}


def openapi(areas: set[str]) -> dict:
    """The document served at /api/openapi.json."""
    paths: dict = {
        "/api/calls": {"get": {
            "summary": "Call records, newest first (keyset paging)", "operationId": "listCalls",
            "parameters": [_q("from", "site-local start, 2026-12-03 or 2026-12-03T08:00"),
                           _q("to", "site-local end (a bare date means the whole day)"),
                           _q("caller", "caller number in any usual form"), _q("seat", "answering seat"),
                           _q("outcome", "outcome, or `missed`"), _q("direction", "inbound|callback|outbound"),
                           _q("limit", "1..1000, default 100", {"type": "integer"}),
                           _q("before_at", "paging cursor from `next`"), _q("before_id", "paging cursor from `next`")],
            "responses": _responses({"type": "object", "properties": {
                "calls": {"type": "array", "items": {"$ref": "#/components/schemas/Call"}},
                "next": {"type": ["object", "null"]}}})}},
        "/api/calls/{call_id}": {"get": {
            "summary": "One call with the seats it rang", "operationId": "getCall",
            "parameters": [{"name": "call_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": _responses({"$ref": "#/components/schemas/Call"})}},
        "/api/callbacks": {"get": {
            "summary": "The callback list (open entries unless a status is given)", "operationId": "listCallbacks",
            "parameters": [_q("status", "callback status"), _q("limit", "1..1000", {"type": "integer"})],
            "responses": _responses({"type": "object", "properties": {
                "callbacks": {"type": "array", "items": {"$ref": "#/components/schemas/Callback"}}}})}},
        "/api/callbacks/{task_id}": {"get": {
            "summary": "One callback entry and its attempts", "operationId": "getCallback",
            "parameters": [{"name": "task_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": _responses({"$ref": "#/components/schemas/Callback"})}},
    }
    schemas = {"Call": _CALL, "Callback": _CALLBACK, "Error": _ERROR}
    if "orders" in areas:
        from contactcenter.panel.api_orders_spec import order_paths, order_schemas

        paths.update(order_paths())
        schemas.update(order_schemas())
    return {
        "openapi": "3.1.0",
        "info": {"title": "contactcenter 12345 hotline API", "version": "1",
                 "description": "Calls, the callback list and work orders. Authenticate with "
                                "`Authorization: Bearer <api_token>`."},
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": schemas},
        "security": [{"bearer": []}],
        "paths": paths,
    }
