"""The Flask panel: wallboard, call log, callback list, work orders, knowledge base,
handling units, leader duty, statistics, public intake, SMS webhook and JSON API.

`create_app(settings=None, db_url=None, testing=False)` builds the application;
`demo_users(session)` creates one demo account per role for `contactcenter demo`.
Flask is imported only when the app is built, so importing the models stays light.
"""
from __future__ import annotations


def create_app(settings=None, db_url: str | None = None, testing: bool = False):
    """The panel's WSGI application (see contactcenter.panel.app.create_app)."""
    from contactcenter.panel.app import create_app as _create

    return _create(settings=settings, db_url=db_url, testing=testing)


def demo_users(session, **kwargs):
    """Create demo users, one per role; returns [(username, password, role)] created."""
    from contactcenter.panel.accounts import demo_users as _demo

    return _demo(session, **kwargs)


__all__ = ["create_app", "demo_users"]
