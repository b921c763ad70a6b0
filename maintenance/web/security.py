"""Security headers on every response, and cookie settings that follow BASE_URL."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
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

NUL = "\x00"
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _json_nul(document: object) -> str | None:
    """Where the first key or text holding a NUL character is ("units/0/serial"), if any.

    A loop, not recursion: a deeply nested body must not exhaust the stack.
    """
    pending: list[tuple[str, object]] = [("", document)]
    while pending:
        pointer, value = pending.pop()
        if isinstance(value, str) and NUL in value:
            return pointer.lstrip("/") or "/"
        if isinstance(value, dict):
            for key, item in value.items():
                step = f"{pointer}/{key}"
                if NUL in key:
                    return step.lstrip("/").replace(NUL, "\\0")
                pending.append((step, item))
        elif isinstance(value, list):
            pending.extend((f"{pointer}/{index}", item) for index, item in enumerate(value))
    return None


def input_with_nul(req: Request) -> str | None:
    """Where a request carries a NUL character ("path", "query", a form field, "JSON body").

    No text the service stores or looks up may hold one: PostgreSQL refuses it (a DataError,
    so a 500) where SQLite keeps it, and it hides the rest of a text from many readers.
    """
    # The resolver reads its raw path itself and names a NUL there in its own answer formats
    # (a page, or JSON for a linkset request).
    if NUL in req.path and req.blueprint != "resolver":
        return "path"
    query = req.query_string
    if query and (b"%00" in query or b"\x00" in query):
        return "query"
    if req.method in {"POST", "PUT", "PATCH", "DELETE"}:
        if req.mimetype in FORM_TYPES:
            for key, value in req.form.items(multi=True):
                if NUL in key or NUL in value:
                    return key.replace(NUL, "\\0")
        elif req.is_json:
            try:
                document = req.get_json(silent=True)
            except RecursionError:  # too deep to read: the view answers that
                return None
            return _json_nul(document)
    return None


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

    @app.before_request
    def refuse_nul() -> None:
        where = input_with_nul(request)
        if where is None:
            return
        message = _("%(where)s contains a NUL character, which no text may hold.", where=where)
        if request.path.startswith("/api/"):
            # The API's own shape for a request it cannot take: 422 with a located detail.
            from maintenance.web.errors import ApiError

            raise ApiError(422, "the request has errors", [{"path": where, "message": message}])
        raise BadRequest(message)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        # One pass over the response's headers, then one extend (this runs on every response).
        present = {name.lower() for name, _ in response.headers}
        response.headers.extend([(k, v) for k, v in headers if k.lower() not in present])
        if is_owner_page(request.path):
            response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
        return response
