"""Panel accounts: create, validate, authenticate, and the demo users.

Passwords are stored only as werkzeug.security hashes.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from contactcenter.panel.models import PanelAudit, PanelUser
from contactcenter.panel.roles import ROLES, UNIT_HANDLER

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
MIN_PASSWORD = 8
# a constant hash to compare against when the user does not exist (same work either way)
_DUMMY_HASH = generate_password_hash("not-a-real-password-0")


class AccountError(ValueError):
    """A user-facing validation error (shown as the message)."""


def validate_account(username: str, password: str, role: str, unit: str | None) -> None:
    """Refuse a bad username, short password, unknown role, or a unit handler without a unit."""
    if not USERNAME_RE.match(username or ""):
        raise AccountError("用户名须为 2–64 位字母、数字或 _ . -")
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位")
    if len(password) > 256:
        raise AccountError("密码过长")
    if role not in ROLES:
        raise AccountError(f"未知角色 {role!r}，可选：{', '.join(ROLES)}")
    if role == UNIT_HANDLER and not (unit or "").strip():
        raise AccountError("承办单位用户必须指定所属单位")
    if unit is not None and len(unit) > 64:
        raise AccountError("单位代码过长")


def create_user(session: Session, username: str, password: str, role: str, *, now: dt.datetime,
                unit: str | None = None, display_name: str | None = None) -> PanelUser:
    """Add an account (flushes, caller commits). Raises AccountError on bad input or a taken name."""
    unit = (unit or "").strip() or None
    validate_account(username, password, role, unit)
    if session.scalar(select(PanelUser.id).where(PanelUser.username == username)) is not None:
        raise AccountError(f"用户名 {username} 已存在")
    if role == UNIT_HANDLER:
        from contactcenter.routing.models import HandlingUnit

        if session.scalar(select(HandlingUnit.id).where(HandlingUnit.code == unit)) is None:
            raise AccountError(f"没有代码为 {unit} 的承办单位")
    user = PanelUser(username=username, password_hash=generate_password_hash(password), role=role,
                     unit=unit if role == UNIT_HANDLER else None, display_name=display_name,
                     active=True, created_at=now)
    session.add(user)
    session.flush()
    return user


def set_password(user: PanelUser, password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位")
    user.password_hash = generate_password_hash(password)


def authenticate(session: Session, username: str, password: str) -> PanelUser | None:
    """The active user with this name and password, else None (timing does not reveal which)."""
    user = session.scalar(select(PanelUser).where(PanelUser.username == (username or "")))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


def audit(session: Session, *, username: str, action: str, target: str | None, reason: str | None,
          now: dt.datetime, remote_addr: str | None = None) -> PanelAudit:
    """Record a sensitive action (flushes, caller commits)."""
    entry = PanelAudit(at=now, username=username, action=action, target=target, reason=reason,
                       remote_addr=remote_addr)
    session.add(entry)
    session.flush()
    return entry


DEMO_ACCOUNTS = [
    # username, role, unit, display name
    ("admin", "admin", None, "系统管理员"),
    ("leader", "leader", None, "值班领导"),
    ("operator", "operator", None, "话务员小王"),
    ("callback", "callback_agent", None, "回访专员小李"),
]


def demo_users(session: Session, *, unit: str | None = None, now: dt.datetime | None = None
               ) -> list[tuple[str, str, str]]:
    """Create one demo account per role (skipping names that exist) and return
    [(username, password, role)] for those created, so the demo can print them.

    `unit` is the handling unit given to the demo unit handler (a unit code of the seeded
    handling-unit table); without one, the first seeded unit is used when the work-order
    service is installed, else the handler is tied to "demo-unit"."""
    now = now or dt.datetime.now(dt.timezone.utc)
    handler_unit = unit or _first_unit_code(session) or "demo-unit"
    created: list[tuple[str, str, str]] = []
    for username, role, acc_unit, name in DEMO_ACCOUNTS + [("unit", UNIT_HANDLER, handler_unit, "承办单位经办人")]:
        if session.scalar(select(PanelUser.id).where(PanelUser.username == username)) is not None:
            continue
        password = secrets.token_urlsafe(9)
        create_user(session, username, password, role, unit=acc_unit, display_name=name, now=now)
        created.append((username, password, role))
    return created


def _first_unit_code(session: Session) -> str | None:
    try:
        from contactcenter.panel import services
    except ImportError:  # pragma: no cover - services is part of the panel
        return None
    units = services.list_units(session)
    return units[0].code if units else None
