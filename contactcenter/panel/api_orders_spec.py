"""OpenAPI paths and schemas of the work-order API (added when the service is installed)."""
from __future__ import annotations

_ORDER = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "channel": {"enum": ["phone", "web", "sms"]},
        "call_id": {"type": ["string", "null"]},
        "caller_number": {"type": ["string", "null"], "description": "masked (139****1234)"},
        "order_type": {"enum": ["consultation", "help_request", "complaint", "report", "suggestion", "praise"]},
        "category": {"type": "string"}, "subject": {"type": "string"}, "description": {"type": "string"},
        "status": {"type": "string"}, "unit_id": {"type": ["integer", "null"]},
        "unit_name": {"type": ["string", "null"]}, "due_at": {"type": ["string", "null"], "format": "date-time"},
        "due_state": {"enum": ["overdue", "due_soon", "on_track", "none"]},
        "created_at": {"type": "string", "format": "date-time"},
    },
    "required": ["id", "channel", "order_type", "subject", "status", "created_at"],
}
_NEW_ORDER = {
    "type": "object",
    "properties": {
        "channel": {"enum": ["phone", "web", "sms"], "default": "web"},
        "order_type": _ORDER["properties"]["order_type"], "category": {"type": "string", "maxLength": 40},
        "subject": {"type": "string", "maxLength": 200}, "description": {"type": "string", "maxLength": 4000},
        "caller_number": {"type": "string"}, "caller_name": {"type": "string", "maxLength": 80},
        "call_id": {"type": "string", "description": "required for channel phone"},
        "county": {"type": "string"}, "town": {"type": "string"}, "address": {"type": "string"},
        "important": {"type": "boolean"}, "complex_case": {"type": "boolean"},
    },
    "required": ["order_type", "category", "subject", "description"],
    "additionalProperties": False,
}


def order_schemas() -> dict:
    return {"WorkOrder": _ORDER, "NewWorkOrder": _NEW_ORDER}


def order_paths() -> dict:
    from contactcenter.panel.api_spec import _q, _responses

    return {
        "/api/orders": {
            "get": {"summary": "Work orders, newest first", "operationId": "listOrders",
                    "parameters": [_q("status", "work-order status"), _q("unit_id", "handling unit id"),
                                   _q("due_state", "overdue|due_soon|on_track"), _q("q", "words or order id"),
                                   _q("order_type", "type"), _q("from", "site-local date"), _q("to", "site-local date"),
                                   _q("limit", "1..200", {"type": "integer"}), _q("offset", "skip", {"type": "integer"})],
                    "responses": _responses({"type": "object", "properties": {
                        "orders": {"type": "array", "items": {"$ref": "#/components/schemas/WorkOrder"}},
                        "has_more": {"type": "boolean"}}})},
            "post": {"summary": "Register a work order (as the `system` actor)", "operationId": "createOrder",
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {"$ref": "#/components/schemas/NewWorkOrder"}}}},
                     "responses": {**_responses({"$ref": "#/components/schemas/WorkOrder"}, "created"),
                                   "201": {"description": "created", "content": {"application/json": {
                                       "schema": {"$ref": "#/components/schemas/WorkOrder"}}}}}},
        },
        "/api/orders/{order_id}": {"get": {
            "summary": "One work order with its history", "operationId": "getOrder",
            "parameters": [{"name": "order_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": _responses({"$ref": "#/components/schemas/WorkOrder"})}},
    }
