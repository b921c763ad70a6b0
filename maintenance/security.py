"""Security headers on every response, and cookie settings that follow BASE_URL."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response

# No inline script or style anywhere: templates link static files only, so this policy costs
# nothing and turns an injected <script> into dead text.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
# One year, the value browsers' preload lists expect; sent only when the service runs on https.
HSTS = "max-age=31536000; includeSubDomains"

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Scan pages carry serials in their paths; other sites need not learn them from Referer.
    "Referrer-Policy": "same-origin",
    # For browsers older than frame-ancestors.
    "X-Frame-Options": "DENY",
}

# An owner's own pages (appliances, export, settings, calendar link) hold personal data and
# secrets: no browser or proxy cache may keep them, or a shared computer shows them on "back".
OWNER_PAGES = "/me"
PRIVATE_CACHE_CONTROL = "no-store"


def is_owner_page(path: str) -> bool:
    """Whether the path is one of an owner's own pages (/me and everything under /me/)."""
    return path == OWNER_PAGES or path.startswith(OWNER_PAGES + "/")


# The largest value of an integer id column (32 bits on PostgreSQL).
MAX_DATABASE_INT = 2**31 - 1


class DatabaseIntConverter(IntegerConverter):
    """<int:...> in routes, bounded by what the database holds: a larger id is a 404, not a 500."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_DATABASE_INT)
        super().__init__(map, *args, **kwargs)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without a signer built for a request that has no cookie.

    Most requests are scans from people without a session; Flask would build the signer anyway.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session when there is no cookie; else Flask's own reading of it."""
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def is_https(app: Flask) -> bool:
    """Whether the service's public origin is https."""
    return str(app.config.get("BASE_URL", "")).startswith("https://")


def security_headers(https: bool) -> dict[str, str]:
    """The headers added to every response."""
    headers = dict(HEADERS)
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def register(app: Flask) -> None:
    """Bounded ids in routes, secure cookies on https, and the headers on every response.

    Runs before the blueprints are registered, so their routes use the bounded converter.
    """
    app.url_map.converters["int"] = DatabaseIntConverter
    app.session_interface = CookieSessions()
    https = is_https(app)
    if https:
        # Config computes these from the environment; an explicit BASE_URL override must win too.
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    # Lax, not Strict: a person following a magic link from their mail must arrive logged in.
    for name in ("SESSION_COOKIE_SAMESITE", "REMEMBER_COOKIE_SAMESITE"):
        app.config[name] = app.config.get(name) or "Lax"
    headers = list(security_headers(https).items())

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        # One pass over the response's headers, then one extend (this runs on every response).
        present = {name.lower() for name, _ in response.headers}
        response.headers.extend([(k, v) for k, v in headers if k.lower() not in present])
        if is_owner_page(request.path):
            response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
        return response
