"""Migrations go up and down on SQLite and PostgreSQL."""
from sqlalchemy import inspect

from contactcenter import db
from contactcenter.models import Base


def test_upgrade_creates_every_model_table_and_downgrade_removes_them(db_url):
    tables = set(inspect(db.make_engine(db_url)).get_table_names())
    assert set(Base.metadata.tables) <= tables
    db.downgrade(db_url, "base")
    assert set(inspect(db.make_engine(db_url)).get_table_names()) == {"alembic_version"}
    db.upgrade(db_url)
    assert set(Base.metadata.tables) <= set(inspect(db.make_engine(db_url)).get_table_names())


def test_db_upgrade_command_on_a_new_sqlite_file(tmp_path):
    from tests.conftest import run_cli

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    out = run_cli("db", "upgrade", "--db", url)
    assert "database at head" in out.stdout
    assert {"call", "callback_task", "ami_journal"} <= db.table_names(url)
