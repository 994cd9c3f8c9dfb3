"""JSON API: token authentication, call and callback records in the contract's shape, OpenAPI."""
import pytest

from tests.panel.conftest import API_TOKEN

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": API_TOKEN},
                                     {"Authorization": f"Basic {API_TOKEN}"}])
def test_api_refuses_without_the_right_token(app, headers):
    client = app.test_client()
    for path in ("/api/calls", "/api/calls/1764720000.1", "/api/callbacks"):
        resp = client.get(path, headers=headers)
        assert resp.status_code == 401 and resp.get_json() == {"error": "missing or wrong bearer token"}


def test_api_is_closed_when_no_token_is_configured(seeded_url):
    from contactcenter.config import Settings
    from contactcenter.panel import create_app

    app = create_app(Settings(db_url=seeded_url, panel_secret_key="k"), testing=True)
    resp = app.test_client().get("/api/calls", headers={"Authorization": "Bearer "})
    assert resp.status_code == 503


def test_call_record_matches_the_contract(app):
    data = app.test_client().get("/api/calls/1764720000.1", headers=AUTH).get_json()
    assert data == {
        "call_id": "1764720000.1", "direction": "inbound", "caller": "13900001111", "dialed": "12345",
        "started_at": "2026-12-03T00:20:00.000Z", "ended_at": "2026-12-03T00:23:00.000Z", "queue": "hotline",
        "wait_s": 10.0, "answered_by": "8001", "talk_s": 170.0, "outcome": "answered", "stage": None,
        "hangup_cause": 16, "missed": False, "short_abandon": False,
        "legs": [
            {"seat": "8002", "ring_started_at": "2026-12-03T00:20:09.000Z", "answered_at": None,
             "ended_at": "2026-12-03T00:20:19.000Z", "result": "no_answer"},
            {"seat": "8001", "ring_started_at": "2026-12-03T00:20:19.000Z",
             "answered_at": "2026-12-03T00:20:20.000Z", "ended_at": "2026-12-03T00:23:00.000Z",
             "result": "answered"}],
        "callbacks": [],
    }


def test_calls_page_through_with_the_cursor(app):
    client = app.test_client()
    first = client.get("/api/calls", query_string={"limit": 3}, headers=AUTH).get_json()
    assert [c["call_id"] for c in first["calls"]] == ["1764720000.8", "1764720000.7", "1764720000.40"]
    second = client.get("/api/calls", query_string={"limit": 3, **first["next"]}, headers=AUTH).get_json()
    assert [c["call_id"] for c in second["calls"]] == ["1764720000.6", "1764720000.5", "1764720000.4"]


@pytest.mark.parametrize("query, message", [({"limit": "0"}, "limit must be between 1 and 1000"),
                                            ({"limit": "x"}, "limit must be a whole number"),
                                            ({"outcome": "boom"}, "未知的outcome：boom")])
def test_api_bad_input(app, query, message):
    resp = app.test_client().get("/api/calls", query_string=query, headers=AUTH)
    assert resp.status_code == 400 and resp.get_json() == {"error": message}


def test_callbacks_in_the_contract_shape(app):
    data = app.test_client().get("/api/callbacks", headers=AUTH).get_json()
    assert len(data["callbacks"]) == 1
    entry = data["callbacks"][0]
    assert {k: entry[k] for k in ("number", "status", "missed_calls", "first_missed_at", "attempts",
                                  "next_attempt_at", "last_result")} == {
        "number": "13900004444", "status": "pending", "missed_calls": ["1764720000.6"],
        "first_missed_at": "2026-12-03T01:10:00.000Z", "attempts": 0,
        "next_attempt_at": "2026-12-03T02:10:00.000Z", "last_result": None}
    reached = app.test_client().get("/api/callbacks", query_string={"status": "reached"}, headers=AUTH).get_json()
    task_id = reached["callbacks"][0]["id"]
    detail = app.test_client().get(f"/api/callbacks/{task_id}", headers=AUTH).get_json()
    assert [(a["seq"], a["seat"], a["result"], a["call_id"]) for a in detail["attempts_history"]] == [
        (1, "8002", "reached", "1764720000.40")]
    assert app.test_client().get("/api/callbacks/99999", headers=AUTH).status_code == 404


def test_openapi_document_describes_every_api_route(app):
    spec = app.test_client().get("/api/openapi.json").get_json()  # public: it holds no data
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    flask_paths = {r.rule.replace("<path:", "{").replace("<int:", "{").replace(">", "}")
                   for r in app.url_map.iter_rules() if r.rule.startswith("/api/") and r.rule != "/api/openapi.json"}
    assert set(spec["paths"]) == flask_paths
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op["responses"]["200"] and op["operationId"], (path, method)
            for ref in _refs(op):
                assert ref.rsplit("/", 1)[1] in spec["components"]["schemas"], ref


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)
