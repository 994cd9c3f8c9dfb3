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


def test_0008_merges_duplicate_open_callbacks_and_then_refuses_a_second_open_one(db_url):
    import datetime as dt

    import pytest
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from contactcenter.redial.models import CallbackTask

    at = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.timezone.utc)

    def task(number, status):
        return CallbackTask(number=number, status=status, missed_calls=[], first_missed_at=at, last_missed_at=at,
                            created_at=at, updated_at=at)

    db.downgrade(db_url, "0002")  # as an earlier version left it: duplicates were possible
    with db.session_scope(db_url) as s:
        s.add_all([task("13900001111", "pending"), task("13900001111", "dialing"), task("13900001111", "reached"),
                   task("13900002222", "pending"), task(None, "invalid_number"), task(None, "invalid_number")])
    db.upgrade(db_url)
    with db.session_scope(db_url) as s:
        rows = [(t.id, t.number, t.status) for t in s.scalars(select(CallbackTask).order_by(CallbackTask.id))]
    with db.session_scope(db_url) as s:
        merged = s.get(CallbackTask, 2)
        assert merged.closed_at is not None and merged.closed_at >= at and merged.updated_at == merged.closed_at
    assert rows == [(1, "13900001111", "pending"), (2, "13900001111", "gave_up"), (3, "13900001111", "reached"),
                    (4, "13900002222", "pending"), (5, None, "invalid_number"), (6, None, "invalid_number")]
    with pytest.raises(IntegrityError):
        with db.session_scope(db_url) as s:
            s.add(task("13900002222", "dialing"))
    with db.session_scope(db_url) as s:  # closed entries beside the open one are fine
        s.add(task("13900002222", "caller_got_through"))


def test_0009_fills_the_term_table_from_the_orders_already_there(db_url):
    import datetime as dt

    from sqlalchemy import select

    from contactcenter.tickets.models import WorkOrder, WorkOrderTerm

    at = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.timezone.utc)
    db.downgrade(db_url, "0007")  # before the term table: search read the jieba tokens
    with db.session_scope(db_url) as s:
        s.add(WorkOrder(channel="web", order_type="consultation", category="路灯", subject="路灯不亮",
                        description="路灯不亮，" + "y" * 45, town="堂邑镇", status="new", created_by="web",
                        created_at=at, updated_at=at, search_tokens=" 路 灯不亮 " + "y" * 45 + " 堂邑镇 "))
        s.add(WorkOrder(channel="web", order_type="consultation", category="其他", subject="！", description="！",
                        status="new", created_by="web", created_at=at, updated_at=at, search_tokens="  "))
    db.upgrade(db_url)
    with db.session_scope(db_url) as s:
        rows = s.execute(select(WorkOrderTerm.term, WorkOrderTerm.created_at, WorkOrderTerm.work_order_id)).all()
    # from the order's texts: the pairs of 路灯不亮 and 堂邑镇, the long word cut to 40; none for "！"
    assert sorted(map(tuple, rows)) == sorted((t, at, 1) for t in ["路灯", "灯不", "不亮", "y" * 40, "堂邑", "邑镇"])
    db.downgrade(db_url, "0007")
    assert "work_order_term" not in inspect(db.make_engine(db_url)).get_table_names()
    db.upgrade(db_url)
