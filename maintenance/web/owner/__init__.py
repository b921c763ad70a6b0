"""Consumer pages, all on one blueprint "owner"; importing the view modules adds their routes."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("owner", __name__)

# The view modules add their routes to bp, so they are imported once it exists.
from maintenance.web.owner import account, appliances, login, unit_forms  # noqa: E402, F401
