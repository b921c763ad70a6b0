"""Error responses: JSON {"error", "details"} for machines, a readable page for people."""

from __future__ import annotations

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

JSON_PREFIXES = ("/api/", "/webhooks/")


class ApiError(Exception):
    """An error to answer with a status code and located details."""

    def __init__(self, status: int, error: str, details: list[dict] | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.details = details or []


def wants_json() -> bool:
    """API and webhook paths answer in JSON."""
    return request.path.startswith(JSON_PREFIXES)


def _respond(
    status: int, error: str, details: list[dict] | None = None
) -> tuple[Response | str, int]:
    """The error as JSON for machines or as a page for people, with its status."""
    if wants_json():
        return jsonify({"error": error, "details": details or []}), status
    return render_template("errors/error.html", status=status, message=error), status


def register(app: Flask) -> None:
    """Install the handlers on the app."""

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> tuple[Response | str, int]:
        return _respond(exc.status, exc.error, exc.details)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[Response | str, int]:
        app.logger.warning("CSRF refused: %s", exc.description)
        return _respond(400, _("The form expired or was sent from elsewhere. Please try again."))

    @app.errorhandler(413)
    def too_large(exc: HTTPException) -> tuple[Response | str, int]:
        limit = app.config["MAX_CONTENT_LENGTH"] // 1024
        return _respond(413, _("The upload is too large: at most %(kb)s KB.", kb=limit))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        messages = {
            404: _("We could not find that page."),
            403: _("You may not do that."),
            405: _("That is not possible here."),
            429: _("Too many attempts. Please wait a while and try again."),
        }
        response = make_response(
            _respond(exc.code or 500, messages.get(exc.code or 0, exc.description or exc.name))
        )
        # The exception's own headers: Allow on a 405 (RFC 9110 requires it), Retry-After, ...
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response
