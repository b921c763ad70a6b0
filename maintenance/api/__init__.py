"""The JSON API under /api/v1, authenticated with bearer tokens."""

from flask import Blueprint

from maintenance.extensions import csrf

api = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api)  # bearer tokens, not cookies: no cross-site request can carry them

from maintenance.api import (  # noqa: E402, F401
    labels,
    models,
    notices,
    openapi,
    protocols,
    service_requests,
    units,
)
