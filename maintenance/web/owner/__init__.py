"""Consumer pages, all on one blueprint "owner"; importing the view modules adds their routes."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("owner", __name__)

from maintenance.web.owner import appliances  # noqa: E402, F401  (its views join bp)
