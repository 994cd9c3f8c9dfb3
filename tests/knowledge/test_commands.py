"""`contactcenter kb ...` as a user runs it."""
import json

from tests.conftest import run_cli


def test_seed_search_and_eval_commands(tmp_path):
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    assert run_cli("kb", "seed", "--db", url).stdout.strip() == "knowledge base: 304 article(s) added"
    assert run_cli("kb", "seed", "--db", url).stdout.strip() == "knowledge base: 0 article(s) added"
    out = run_cli("kb", "search", "低保", "--limit", "2", "--format", "jsonl", "--db", url).stdout
    hits = [json.loads(line) for line in out.splitlines()]
    assert len(hits) == 2
    assert hits[0]["title"] == "最低生活保障申请条件和标准"
    assert hits[0]["issuing_body"] == "市民政局" and "<mark>低保</mark>" in hits[0]["snippet_html"]
    table = run_cli("kb", "search", "ｅｔｃ", "--db", url).stdout
    assert table.splitlines()[0].startswith(" 1. #") and "ＥＴＣ办理和扣费异常" in table.splitlines()[0]
    # a terminal shows the matches in 【】, not as HTML tags
    assert "<mark>" not in table and "【" in table.splitlines()[1]
    assert run_cli("kb", "eval", "--db", url).stdout.startswith("queries 665  recall@5 0.9")


def test_search_refuses_bad_limits(tmp_path):
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    proc = run_cli("kb", "search", "低保", "--limit", "0", "--db", url, check=False)
    assert proc.returncode == 2
    assert "contactcenter: error: --limit must be between 1 and 100" in proc.stderr


def test_search_reads_expiry_and_effect_by_the_configured_site_day(tmp_path):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from contactcenter import db
    from contactcenter.knowledge import service as kb

    url = f"sqlite:///{tmp_path / 'kb.db'}"
    db.upgrade(url)
    # UTC-11 and UTC+14: the two zones' dates always differ, by one day or two
    west, east = "Pacific/Pago_Pago", "Pacific/Kiritimati"
    west_today = dt.datetime.now(ZoneInfo(west)).date()
    now = dt.datetime.now(dt.timezone.utc)
    with db.session_scope(url) as s:
        kb.create_article(s, title="停水通知", body="城区计划停水。", category="城市管理", issuing_body="市水务局",
                          expires_on=west_today.isoformat(), now=now)
        kb.create_article(s, title="新停水规定", body="停水须提前三天公告。", category="城市管理", issuing_body="市水务局",
                          effective_on=(west_today + dt.timedelta(days=1)).isoformat(), now=now)

    def flags(tz):
        out = run_cli("kb", "search", "停水", "--format", "jsonl", "--db", url, env={"CONTACTCENTER_TZ": tz}).stdout
        return {h["title"]: (h["expired"], h["not_yet_effective"]) for h in map(json.loads, out.splitlines())}

    # in the west it is still the notice's last day, and the new rule starts tomorrow
    assert flags(west) == {"停水通知": (False, False), "新停水规定": (False, True)}
    assert json.loads(run_cli("kb", "search", "新停水规定", "--format", "jsonl", "--db", url,
                              env={"CONTACTCENTER_TZ": west}).stdout.splitlines()[0])["effective_on"] == (
        west_today + dt.timedelta(days=1)).isoformat()
    # in the east that day is over: the notice has expired and the new rule applies
    assert flags(east) == {"停水通知": (True, False), "新停水规定": (False, False)}
    table = run_cli("kb", "search", "停水", "--db", url, env={"CONTACTCENTER_TZ": west}).stdout
    assert f"新停水规定 [{west_today + dt.timedelta(days=1)} 起施行]" in table
