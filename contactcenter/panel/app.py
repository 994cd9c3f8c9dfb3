"""The application factory: settings in, a configured Flask app with one blueprint per area."""
from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from zoneinfo import ZoneInfo

from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect

from contactcenter.config import Settings, load_settings
from contactcenter.db import DatabaseUnavailable, session_factory

log = logging.getLogger(__name__)
csrf = CSRFProtect()


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def create_app(settings: Settings | None = None, db_url: str | None = None, testing: bool = False) -> Flask:
    """Build the panel. `db_url` overrides `settings.db_url`; `testing` turns on Flask's
    testing mode (CSRF stays on: the tests prove it works)."""
    settings = settings or load_settings()
    url = db_url or settings.db_url
    app = Flask(__name__, static_folder="static", template_folder="templates")
    secret = settings.panel_secret_key
    if not secret:
        # sessions will not survive a restart; fine for a demo, set CONTACTCENTER_SECRET_KEY in production
        secret = secrets.token_hex(32)
        if not testing:
            log.warning("panel_secret_key not set: using a random key for this process")
    secure = str(settings.extra.get("panel_cookie_secure", os.environ.get("CONTACTCENTER_COOKIE_SECURE", ""))
                 ).lower() in {"1", "true", "yes"}
    app.config.update(
        SECRET_KEY=secret,
        TESTING=testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_NAME="cc_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        MAX_CONTENT_LENGTH=256 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.extensions["cc_settings"] = settings
    app.extensions["cc_db_url"] = url
    app.extensions["cc_session_factory"] = session_factory(url)
    app.extensions["cc_clock"] = _utcnow
    app.extensions["cc_tz"] = ZoneInfo(settings.site_timezone)
    app.jinja_env.autoescape = True

    csrf.init_app(app)

    from contactcenter.panel import auth, filters
    from contactcenter.panel.ratelimit import RateLimiter

    extra = settings.extra
    # public form: per client address; SMS: per sender (every message comes from the one
    # gateway address); log-in: per address and user name, against password guessing
    app.extensions["cc_intake_limiter"] = RateLimiter(
        capacity=int(extra.get("intake_burst", 5)), per_seconds=float(extra.get("intake_window_s", 600)))
    app.extensions["cc_sms_limiter"] = RateLimiter(
        capacity=int(extra.get("sms_burst", 10)), per_seconds=float(extra.get("sms_window_s", 600)))
    app.extensions["cc_login_limiter"] = RateLimiter(
        capacity=int(extra.get("login_burst", 10)), per_seconds=float(extra.get("login_window_s", 600)))
    proxies = int(extra.get("panel_proxies", os.environ.get("CONTACTCENTER_PANEL_PROXIES", "0")) or 0)
    if proxies > 0:
        # behind that many reverse proxies: take the client's address from X-Forwarded-For
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    auth.init_app(app)
    filters.init_app(app)

    import importlib

    from contactcenter.panel import services
    from contactcenter.panel.views import admin, callbacks, calls, wallboard

    # areas whose service another engineer provides are served once that service is installed
    areas = services.available_areas()
    app.config["CC_AREAS"] = areas
    for module in (auth, wallboard, calls, callbacks, admin):
        app.register_blueprint(module.bp)
    for area in ("orders", "units", "knowledge", "duty", "stats", "public", "callback_actions"):
        if area in areas:
            module = importlib.import_module(f"contactcenter.panel.views.{area}")
            app.register_blueprint(module.bp)
            if area == "public":
                csrf.exempt(module.sms_webhook)
    if "orders" in areas:
        api_orders = importlib.import_module("contactcenter.panel.views.api_orders")
        app.register_blueprint(api_orders.bp)
        csrf.exempt(api_orders.bp)
    api = importlib.import_module("contactcenter.panel.views.api")
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db", None)
        if session is not None:
            session.close()

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        # everything is served from here: no CDN, no inline script
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; frame-ancestors 'none'; form-action 'self'")
        return resp

    @app.errorhandler(CSRFError)
    def _csrf(err):
        return render_template("error.html", code=400, message="表单已过期或缺少安全令牌（CSRF），请刷新页面后重试。"), 400

    @app.errorhandler(403)
    def _forbidden(_err):
        return render_template("error.html", code=403, message="您的角色无权访问此页面。"), 403

    @app.errorhandler(404)
    def _not_found(_err):
        return render_template("error.html", code=404, message="页面或记录不存在。"), 404

    @app.errorhandler(DatabaseUnavailable)
    def _db_down(_err):
        return render_template("error.html", code=503, message="数据库暂时不可用，请稍后重试。"), 503

    return app
