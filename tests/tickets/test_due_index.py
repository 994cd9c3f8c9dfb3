"""The partial index behind the deadline lists (migration 0007) covers exactly the unit states."""
import re

from sqlalchemy import inspect

from contactcenter import db
from contactcenter.tickets import models, workflow as wf


def test_the_index_condition_names_the_unit_states():
    assert set(re.findall(r"'(\w+)'", models._UNIT_STATES_SQL)) == set(wf.UNIT_STATES)


def test_migrations_create_it(db_url):
    indexes = {i["name"]: i for i in inspect(db.make_engine(db_url)).get_indexes("work_order")}
    assert indexes["work_order__idx__open_due_at"]["column_names"] == ["due_at", "id"]
