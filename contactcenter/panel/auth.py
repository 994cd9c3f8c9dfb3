"""Logging in and out, the current user, and the `requires(capability)` guard."""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from contactcenter.panel import accounts, roles
from contactcenter.panel.models import PanelUser
from contactcenter.panel.web import db, now

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.session_protection = "strong"


@dataclass
class CurrentUser(UserMixin):
    """What a request knows of its user (detached from the database session)."""

    id: int
    username: str
    role: str
    unit: str | None
    display_name: str | None
    # part of the password hash in the session id: changing the password logs out other sessions
    stamp: str

    def get_id(self) -> str:
        return f"{self.id}:{self.stamp}"

    def can(self, capability: str) -> bool:
        return roles.can(self.role, capability)

    @property
    def role_label(self) -> str:
        return roles.ROLES.get(self.role, self.role)


def _current(user: PanelUser) -> CurrentUser:
    return CurrentUser(id=user.id, username=user.username, role=user.role, unit=user.unit,
                       display_name=user.display_name, stamp=user.password_hash[-10:])


@login_manager.user_loader
def _load(user_key: str):
    try:
        ident, stamp = user_key.split(":", 1)
        user = db().get(PanelUser, int(ident))
    except (ValueError, TypeError):
        return None
    if user is None or not user.active or user.password_hash[-10:] != stamp:
        return None
    return _current(user)


def init_app(app) -> None:
    login_manager.init_app(app)

    @app.context_processor
    def _inject():
        return {"can": lambda cap: current_user.is_authenticated and current_user.can(cap),
                "ROLES": roles.ROLES}


def requires(capability: str):
    """Login required, and the user's role must hold `capability`, else 403."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.can(capability):
                abort(403)
            return view(*args, **kwargs)

        wrapped.capability = capability
        return wrapped

    return decorator


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(message="请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired(message="请输入密码"), Length(max=256)])


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: never redirect to another host after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        limiter = current_app.extensions["cc_login_limiter"]
        if not limiter.allow(f"{request.remote_addr}|{username.lower()}", time.monotonic()):
            flash("登录尝试过于频繁，请稍后再试", "error")
            return render_template("login.html", form=form), 429
        user = accounts.authenticate(db(), username, form.password.data)
        if user is None:
            flash("用户名或密码错误", "error")
        else:
            user.last_login_at = now()
            db().commit()
            session.permanent = True  # the 12-hour PERMANENT_SESSION_LIFETIME applies
            login_user(_current(user))
            return redirect(_safe_next(request.args.get("next")) or _home_url(user.role))
    return render_template("login.html", form=form), (200 if request.method == "GET" or form.errors == {} else 400)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("auth.login"))


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(_home_url(current_user.role))


def _home_url(role: str) -> str:
    endpoint = roles.home_endpoint(role)
    if endpoint not in current_app.view_functions:  # that area's service is not installed yet
        endpoint = "auth.welcome"
    return url_for(endpoint)


@bp.route("/welcome")
@login_required
def welcome():
    return render_template("welcome.html")


@bp.route("/healthz")
def healthz():
    db().execute(select(1))
    return {"status": "ok"}
