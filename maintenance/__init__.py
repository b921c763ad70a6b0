"""The maintenance service: QR labels, uniform maintenance protocols and reminders."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from flask import Flask, request

from maintenance.config import INSTANCE, ROOT, Config


class MaintenanceApp(Flask):
    """Flask, with an error log line that names the route's path without its tokens."""

    def log_exception(
        self,
        exc_info: tuple[type, BaseException, TracebackType] | tuple[None, None, None],
    ) -> None:
        """Log an unhandled error as Flask does, with the path as maintenance.ops.logs shows it."""
        from maintenance.ops.logs import loggable_path

        self.logger.error(
            "Exception on %s [%s]", loggable_path(request), request.method, exc_info=exc_info
        )


def create_app(config: type[Config] | None = None, **overrides: object) -> Flask:
    """Build the web application: config, extensions, blueprints, errors, CLI."""
    app = MaintenanceApp(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE),
    )
    register_config(app, config or Config, overrides)
    register_proxy_fix(app)
    register_logging(app)
    register_extensions(app)
    register_security(app)
    register_blueprints(app)
    register_errors(app)
    register_cli(app)
    return app


def register_config(app: Flask, config: type[Config], overrides: dict[str, object]) -> None:
    """Load settings from the config class, then explicit overrides (tests)."""
    app.config.from_object(config)
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def register_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-* from PROXY_FIX_HOPS proxies (0: none), for scheme, host and client IP."""
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )


def register_logging(app: Flask) -> None:
    """Log to stderr at the configured level, as text or JSON, with the request id."""
    from maintenance.ops.logs import configure

    configure(app)


def register_extensions(app: Flask) -> None:
    """Bind the unbound extension objects to this app."""
    from maintenance import i18n, models  # noqa: F401  (models register their tables)
    from maintenance.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.user_loader(_load_user)
    app.jinja_env.globals["current_language"] = i18n.current_language
    app.jinja_env.globals["language_url"] = i18n.language_url
    app.jinja_env.globals["text"] = i18n.localized
    app.jinja_env.globals["LANGUAGES"] = i18n.LANGUAGES
    app.jinja_env.filters["interval"] = i18n.describe_duration
    app.jinja_env.filters["every"] = i18n.describe_every


def _load_user(user_id: str) -> object:
    from maintenance.extensions import db
    from maintenance.models import User

    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


def register_blueprints(app: Flask) -> None:
    """Mount the HTML and JSON blueprints."""
    from maintenance.api import api
    from maintenance.ops.health import bp as health_bp
    from maintenance.ops.logs import bp as request_ids_bp
    from maintenance.ops.metrics import bp as metrics_bp
    from maintenance.web.actions import bp as actions_bp
    from maintenance.web.admin import bp as admin_bp
    from maintenance.web.auth import bp as auth_bp
    from maintenance.web.dashboards import bp as dashboards_bp
    from maintenance.web.manufacturer import bp as manufacturer_bp
    from maintenance.web.notice_pages import bp as notice_pages_bp
    from maintenance.web.notices import bp as notices_bp
    from maintenance.web.organisation import bp as organisation_bp
    from maintenance.web.owner import bp as owner_bp
    from maintenance.web.partners import bp as partners_bp
    from maintenance.web.public import bp as public_bp
    from maintenance.web.repair import bp as repair_bp
    from maintenance.web.resolver import bp as resolver_bp
    from maintenance.web.retailer import bp as retailer_bp
    from maintenance.web.webhooks import bp as webhooks_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(resolver_bp)
    app.register_blueprint(repair_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(manufacturer_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(notice_pages_bp)
    app.register_blueprint(retailer_bp)
    app.register_blueprint(owner_bp)
    app.register_blueprint(partners_bp)
    app.register_blueprint(api)
    app.register_blueprint(actions_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(organisation_bp)
    app.register_blueprint(dashboards_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(request_ids_bp)


def register_errors(app: Flask) -> None:
    """Errors as JSON under /api and /webhooks, as a readable page elsewhere."""
    from maintenance.web.errors import register

    register(app)


def register_security(app: Flask) -> None:
    """Bounded ids in routes, secure cookies on https, security headers on every response."""
    from maintenance.web.security import register

    register(app)


def register_cli(app: Flask) -> None:
    """Add the `maintenance ...` commands to `flask`."""
    from maintenance.cli import register

    register(app)
