"""The `contactcenter` command line. Each capability registers its own verbs from its
package's `commands.py`; this file only wires them together."""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys

from sqlalchemy.exc import DatabaseError

from contactcenter.config import load_settings
from contactcenter.db import DatabaseUnavailable



def command_modules() -> list[str]:
    """`contactcenter.commands_db` and every `contactcenter.<area>.commands` module: each has
    `register(subparsers, common)`. Found automatically, so areas never edit this file."""
    import pkgutil

    import contactcenter

    names = ["contactcenter.commands_db"]
    for info in sorted(pkgutil.iter_modules(contactcenter.__path__), key=lambda i: i.name):
        if info.ispkg and importlib.util.find_spec(f"contactcenter.{info.name}.commands") is not None:
            names.append(f"contactcenter.{info.name}.commands")
    return names


class CliError(Exception):
    """A user-facing error: printed as one clear line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", default=None,
                        help="database URL (default: $CONTACTCENTER_DB, else sqlite:///contactcenter.db)")
    common.add_argument("--config", metavar="FILE", default=None, help="TOML settings file")
    common.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser = argparse.ArgumentParser(prog="contactcenter", description="12345 hotline contact centre backend")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in command_modules():
        importlib.import_module(name).register(sub, common)
    return parser


def settings_from(args):
    """The settings for a command, or a CliError saying which one is wrong (no traceback)."""
    import tomllib
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        settings = load_settings(config_file=getattr(args, "config", None), db_url=getattr(args, "db", None))
    except FileNotFoundError as exc:
        raise CliError(f"configuration file not found: {exc.filename}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CliError(f"configuration file is not valid TOML: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise CliError(f"a setting has a wrong value: {exc}") from None
    try:
        ZoneInfo(settings.site_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CliError(f"unknown time zone {settings.site_timezone!r} (CONTACTCENTER_TZ), "
                       f"e.g. Asia/Shanghai") from None
    try:
        url = make_url(settings.db_url)
    except ArgumentError:
        raise CliError(f"not a database URL: {settings.db_url!r} (sqlite:///file.db or "
                       f"postgresql+psycopg://user@host/db)") from None
    if url.drivername in ("postgres", "postgresql"):
        raise CliError("use a postgresql+psycopg:// URL (psycopg 3 is the PostgreSQL driver installed)")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise CliError(f"unsupported database {url.get_backend_name()!r}: use SQLite or PostgreSQL")
    return settings


def _redacted(url: str | None) -> str:
    from contactcenter.config import Settings

    return Settings(db_url=url).redacted()["db_url"] if url else "(CONTACTCENTER_DB or the default)"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not getattr(args, "verbose", False):
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"contactcenter: error: {exc}", file=sys.stderr)
        return 2
    except (DatabaseError, DatabaseUnavailable) as exc:
        # a database that cannot be opened or written: say so plainly (details with -v)
        logging.getLogger(__name__).debug("database error", exc_info=True)
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"contactcenter: error: database {_redacted(getattr(args, 'db', None))}: {reason}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
