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
