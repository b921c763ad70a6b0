"""Admin pages: delivery health (failed reminders with their reasons)."""

from __future__ import annotations

from flask import Blueprint, render_template

from maintenance.reminders.delivery import failed_reminders
from maintenance.web.access import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/reminders")
@role_required("admin")
def reminders() -> str:
    """Failed and undelivered reminders, newest first, with the reason of the last attempt."""
    return render_template("admin/reminders.html", rows=failed_reminders(), staff=True)
