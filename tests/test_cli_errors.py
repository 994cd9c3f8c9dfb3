"""Wrong settings and inputs get one clear line and exit 2, never a traceback."""
import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize("args, env, message", [
    (["calls", "--db", "mysql://a@b/c"], {}, "unsupported database 'mysql'"),
    (["calls", "--db", "postgres://a@b/c"], {}, "use a postgresql+psycopg:// URL"),
    (["calls", "--db", "notaurl"], {}, "not a database URL: 'notaurl'"),
    (["calls", "--db", "sqlite:////nonexistent-dir/x.db"], {}, "unable to open database file"),
    (["calls", "--config", "/nonexistent.toml"], {}, "configuration file not found: /nonexistent.toml"),
    (["calls"], {"CONTACTCENTER_TZ": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
    (["calls"], {"CONTACTCENTER_SHORT_ABANDON_S": "abc"}, "a setting has a wrong value"),
    (["replay", "{tmp}/empty"], {}, "is not an AMI capture"),
    (["replay", "{tmp}"], {}, "no ami.raw or ami.raw.gz"),
    (["replay", "{tmp}/empty", "--speed", "0"], {}, "a number above 0"),
    # the calendar's edges overflow once moved to UTC (Shanghai is east of it)
    (["calls", "--from", "0001-01-01"], {}, "date out of range: '0001-01-01'"),
    (["calls", "--to", "9999-12-31"], {}, "date out of range: '9999-12-31'"),
    (["stats", "--from", "0001-01-01"], {}, "date out of range: 0001-01-01"),
    (["stats", "--to", "9999-12-31"], {}, "date out of range: 9999-12-31"),
])
def test_clear_error_and_exit_2(tmp_path, args, env, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "ami.raw").write_bytes(b"")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--db" not in args:
        args += ["--db", f"sqlite:///{tmp_path / 'x.db'}"] if "CONTACTCENTER_DB" not in env else []
    proc = run_cli(*args, env={"CONTACTCENTER_CONFIG": "", **env}, cwd=tmp_path, check=False, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_calls_reads_days_in_the_site_time_zone_like_stats(tmp_path):
    # the `answered` capture's calls start at 18:07 UTC on 3 Dec: 02:07 on 4 Dec in Shanghai
    db = f"sqlite:///{tmp_path / 'a.db'}"
    from tests.captures import capture_dir

    run_cli("replay", str(capture_dir("answered")), "--db", db, cwd=tmp_path)

    def ids(*args):
        out = run_cli("calls", "--db", db, "--format", "jsonl", *args, cwd=tmp_path).stdout
        return len(out.splitlines())

    assert ids("--from", "2026-12-04", "--to", "2026-12-04") == 2
    assert ids("--from", "2026-12-03", "--to", "2026-12-03") == 0
    assert ids("--from", "2026-12-04T02:07:40") == 1  # site time: between the two calls
    assert ids("--from", "2026-12-03T18:07:40Z") == 1
    stats = run_cli("stats", "--db", db, "--from", "2026-12-04", "--to", "2026-12-04", "--format", "json",
                    cwd=tmp_path).stdout
    assert '"calls": 2' in stats
