"""Small helpers the views share: the request's database session, the clock, settings."""
from __future__ import annotations

import datetime as dt

from flask import current_app, g
from sqlalchemy.orm import Session


def db() -> Session:
    """The request's session (opened on first use, closed at teardown; views commit)."""
    if "db" not in g:
        g.db = current_app.extensions["cc_session_factory"]()
    return g.db


def now() -> dt.datetime:
    return current_app.extensions["cc_clock"]()


def settings():
    return current_app.extensions["cc_settings"]


def site_tz():
    return current_app.extensions["cc_tz"]
