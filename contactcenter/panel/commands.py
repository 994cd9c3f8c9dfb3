"""`contactcenter web` (serve the panel), `contactcenter user add` (accounts, e.g. the first
admin) and `contactcenter user password` (a forgotten password, e.g. a demo login)."""
from __future__ import annotations

import sys


def register(sub, common) -> None:
    web = sub.add_parser("web", parents=[common], help="serve the panel (Flask)")
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    web.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    web.set_defaults(func=_web)

    user = sub.add_parser("user", parents=[common], help="panel accounts")
    verbs = user.add_subparsers(dest="user_command", required=True)
    add = verbs.add_parser("add", parents=[common], help="create a panel account")
    add.add_argument("username")
    add.add_argument("--role", required=True,
                     help="operator | callback_agent | unit_handler | leader | admin")
    add.add_argument("--unit", default=None, help="handling unit code (required for unit_handler)")
    add.add_argument("--name", default=None, help="display name")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    add.set_defaults(func=_user_add)
    pw = verbs.add_parser("password", parents=[common], help="set a new password for an account")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true",
                    help="read the password from the first line of standard input")
    pw.set_defaults(func=_user_password)


def _web(args) -> int:
    from werkzeug.serving import make_server

    from contactcenter.cli import CliError, settings_from
    from contactcenter.db import ensure_schema
    from contactcenter.panel import create_app

    if not 0 <= args.port <= 65535:
        raise CliError(f"port must be 0..65535, got {args.port}")
    settings = settings_from(args)
    ensure_schema(settings.db_url)
    app = create_app(settings)
    try:
        server = make_server(args.host, args.port, app, threaded=True)
    except OSError as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    print(f"panel on http://{args.host}:{server.server_port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _read_password(args) -> tuple[str, bool]:
    """(password, generated?)"""
    import getpass
    import secrets

    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n"), False
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            from contactcenter.cli import CliError

            raise CliError("the two passwords differ")
        return first, False
    return secrets.token_urlsafe(12), True


def _user_add(args) -> int:
    import datetime as dt

    from contactcenter.cli import CliError, settings_from
    from contactcenter.db import ensure_schema, session_scope
    from contactcenter.panel.accounts import AccountError, create_user

    settings = settings_from(args)
    ensure_schema(settings.db_url)
    password, generated = _read_password(args)
    try:
        with session_scope(settings.db_url) as session:
            create_user(session, args.username, password, args.role, unit=args.unit, display_name=args.name,
                        now=dt.datetime.now(dt.timezone.utc))
    except AccountError as exc:
        raise CliError(str(exc)) from None
    print(f"user {args.username} ({args.role}) created")
    if generated:
        print(f"password: {password}")
    return 0


def _user_password(args) -> int:
    from sqlalchemy import select

    from contactcenter.cli import CliError, settings_from
    from contactcenter.db import ensure_schema, session_scope
    from contactcenter.panel.accounts import AccountError, set_password
    from contactcenter.panel.models import PanelUser

    settings = settings_from(args)
    ensure_schema(settings.db_url)
    password, generated = _read_password(args)
    try:
        with session_scope(settings.db_url) as session:
            user = session.scalar(select(PanelUser).where(PanelUser.username == args.username))
            if user is None:
                raise CliError(f"no account named {args.username!r}")
            set_password(user, password)
    except AccountError as exc:
        raise CliError(str(exc)) from None
    print(f"password of {args.username} changed")
    if generated:
        print(f"password: {password}")
    return 0
