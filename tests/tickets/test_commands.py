"""The work-order desk from the command line, in a separate process as a user would run it."""
from __future__ import annotations

import json

from tests.conftest import run_cli


def test_orders_lifecycle_from_the_command_line(sqlite_url):
    db = ["--db", sqlite_url]
    out = run_cli("orders", "create", *db, "--channel", "phone", "--call-id", "1764554400.17", "--type",
                  "complaint", "--category", "路灯", "--subject", "路灯不亮", "--description",
                  "堂邑镇村里的路灯坏了一排", "--caller", "13900001234", "--town", "堂邑镇")
    assert json.loads(out.stdout) == {"id": 1, "status": "new"}
    route = run_cli("route", *db, "堂邑镇村里的路灯坏了一排", "--format", "jsonl")
    best = json.loads(route.stdout.splitlines()[0])
    assert (best["code"], best["reasons"][0]) == ("C01", "place 堂邑镇 → 聊城市东昌府区")
    assert json.loads(run_cli("orders", "dispatch", *db, "1", "C01").stdout)["status"] == "dispatched"
    bad = run_cli("orders", "act", *db, "1", "accept", "--as", "unit_handler:li:C02", check=False)
    assert (bad.returncode, bad.stderr.strip().splitlines()[-1]) == (2, "contactcenter: error: no work order 1")
    run_cli("orders", "act", *db, "1", "accept", "--as", "unit_handler:li:C01")
    mine = run_cli("orders", "list", *db, "--as", "unit_handler:li:C01", "--format", "jsonl")
    row = json.loads(mine.stdout)
    assert (row["id"], row["status"], row["caller_number"]) == (1, "in_progress", "139****1234")
    unknown = run_cli("orders", "dispatch", *db, "1", "X99", check=False)
    assert unknown.returncode == 2 and "unknown handling unit 'X99'" in unknown.stderr
    assert "13900001234" not in mine.stderr + unknown.stderr


def test_units_and_duty_commands(sqlite_url):
    units = run_cli("units", "list", "--db", sqlite_url, "--format", "jsonl").stdout.splitlines()
    assert len(units) == 47 and json.loads(units[0])["name"] == "聊城市东昌府区"
    out = run_cli("duty", "schedule", "--db", sqlite_url, "--plan", "2", "--format", "jsonl").stdout
    slots = [json.loads(line) for line in out.splitlines()]
    assert [s["unit_code"] for s in slots] == ["C01", "C02"]
    assert all(dt_str.endswith("01:00:00Z") for dt_str in (s["starts_at"] for s in slots))


def test_reindex_gives_terms_to_orders_an_older_process_wrote_after_the_upgrade(sqlite_url):
    import datetime as dt

    from contactcenter import db as database
    from contactcenter.tickets.models import WorkOrder

    db = ["--db", sqlite_url]
    run_cli("orders", "create", *db, "--channel", "web", "--type", "complaint", "--category", "路灯",
            "--subject", "路灯不亮", "--description", "小区路灯不亮")
    at = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.timezone.utc)
    database.upgrade(sqlite_url)
    with database.session_scope(sqlite_url) as s:  # as the code before migration 0009 wrote it: no terms
        s.add(WorkOrder(channel="web", order_type="complaint", category="路灯", subject="堂邑镇路灯坏了",
                        description="堂邑镇路灯坏了", status="new", created_by="old-panel", created_at=at,
                        updated_at=at, search_tokens=" 堂邑镇 路灯 坏了 "))

    def found(text):
        out = run_cli("orders", "list", *db, "--search", text, "--format", "jsonl").stdout
        return [json.loads(line)["id"] for line in out.splitlines()]

    assert found("堂邑") == []
    assert json.loads(run_cli("orders", "reindex", *db).stdout) == {"indexed": 1}
    assert found("堂邑") == [2] and found("路灯") == [1, 2]  # order 1 was created now, order 2 yesterday
    assert json.loads(run_cli("orders", "reindex", *db).stdout) == {"indexed": 0}


def test_dates_out_of_range_are_a_clear_error(sqlite_url):
    for args in (["orders", "list", "--to", "0001-01-01"], ["orders", "stats", "--from", "0001-01-01"]):
        proc = run_cli(*args, "--db", sqlite_url, check=False)
        assert (proc.returncode, proc.stderr.strip().splitlines()[-1]) == (
            2, f"contactcenter: error: {args[2]}: '0001-01-01' is out of range"), proc.stderr
