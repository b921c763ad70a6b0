"""Admin page: the audit log of staff actions, newest first, a page at a time."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from maintenance.audit import action_names, list_events
from maintenance.security import MAX_DATABASE_INT
from maintenance.web.access import role_required

bp = Blueprint("admin_audit", __name__, url_prefix="/admin")

PAGE_SIZE = 50


@bp.get("/audit")
@role_required("admin")
def audit_log() -> str:
    """Who published which protocol version, who created, printed or voided which units."""
    before = request.args.get("before", type=int)
    if before is not None and not 1 <= before <= MAX_DATABASE_INT:
        # Beyond what the id column holds: SQLite overflows, PostgreSQL says out of range.
        abort(400, description=_("before must be an entry number from the audit log."))
    action = request.args.get("action") or None
    # One extra row tells whether an older page exists, without counting the whole table.
    events = list_events(limit=PAGE_SIZE + 1, before=before, action=action)
    older = events[PAGE_SIZE - 1].id if len(events) > PAGE_SIZE else None
    return render_template(
        "admin/audit.html",
        events=events[:PAGE_SIZE],
        older=older,
        action=action,
        actions=action_names(),
    )
