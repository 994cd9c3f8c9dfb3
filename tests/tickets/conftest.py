"""Fixtures for work-order tests: actors, a fixed clock, unit ids by code."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from contactcenter.db import session_scope
from contactcenter.routing.models import HandlingUnit
from contactcenter.tickets.workflow import Actor

UTC = dt.timezone.utc
# Tuesday 1 Dec 2026, 10:00 Beijing
NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def units(db_url) -> dict[str, int]:
    with session_scope(db_url) as s:
        return dict(s.execute(select(HandlingUnit.code, HandlingUnit.id)).all())


OPERATOR = Actor("operator", "op-8017")
AGENT = Actor("callback_agent", "cb-8030")
LEADER = Actor("leader", "副市长")
ADMIN = Actor("admin", "admin")


def handler(unit_id: int) -> Actor:
    return Actor("unit_handler", f"handler-{unit_id}", unit_id)


def new_order(s, **kw):
    from contactcenter.tickets import service

    args = dict(channel="phone", call_id="1764554400.17", order_type="complaint", category="物业管理",
                subject="小区电梯经常坏", description="古楼街道某小区电梯三天两头坏，物业不修",
                caller_number="13900001234", caller_name="张先生", county="东昌府区", town="古楼街道")
    now = kw.pop("now", NOW)
    args.update(kw)
    return service.create_order(s, OPERATOR, now, **args)
