"""`contactcenter db upgrade|downgrade`."""
from __future__ import annotations

from contactcenter import db


def register(sub, common) -> None:
    p = sub.add_parser("db", parents=[common], help="database schema")
    verbs = p.add_subparsers(dest="db_command", required=True)
    up = verbs.add_parser("upgrade", parents=[common], help="Alembic upgrade to head")
    up.add_argument("revision", nargs="?", default="heads")
    up.set_defaults(func=_upgrade)
    down = verbs.add_parser("downgrade", parents=[common], help="Alembic downgrade")
    down.add_argument("revision")
    down.set_defaults(func=_downgrade)


def _upgrade(args) -> int:
    from contactcenter.cli import settings_from

    url = settings_from(args).db_url
    db.upgrade(url, args.revision)
    print("database at head")
    return 0


def _downgrade(args) -> int:
    from contactcenter.cli import settings_from

    db.downgrade(settings_from(args).db_url, args.revision)
    print(f"database at {args.revision}")
    return 0
