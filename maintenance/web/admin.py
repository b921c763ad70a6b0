"""Admin pages: delivery health, GS1 prefixes and GTINs, partner approval, the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from maintenance.clock import now_utc
from maintenance.extensions import db
from maintenance.models import Organisation, PartnerProfile
from maintenance.services.audit import action_names, list_events
from maintenance.services.gs1_prefixes import (
    PrefixError,
    assign_gtin,
    assignments_of,
    prefixes_of,
    set_prefixes,
    unassign_gtin,
)
from maintenance.services.partners.profiles import all_profiles, approve_partner
from maintenance.services.reminders.delivery import failed_reminders
from maintenance.web.access import role_required
from maintenance.web.security import MAX_DATABASE_INT

bp = Blueprint("admin", __name__, url_prefix="/admin")

AUDIT_PAGE_SIZE = 50


@bp.get("/reminders")
@role_required("admin")
def reminders() -> str:
    """Failed and undelivered reminders, newest first, with the reason of the last attempt."""
    return render_template("admin/reminders.html", rows=failed_reminders(), staff=True)


@bp.get("/organisations")
@role_required("admin")
def organisations() -> str:
    """Every manufacturer with its GS1 company prefixes and the GTINs assigned to it."""
    return _organisations_page()


def _organisations_page(error: str | None = None, organisation_id: int | None = None) -> str:
    makers = db.session.scalars(
        select(Organisation).where(Organisation.kind == "manufacturer").order_by(Organisation.name)
    )
    rows = [(org, prefixes_of(org), assignments_of(org)) for org in makers]
    return render_template(
        "admin/organisations.html",
        rows=rows,
        error=error,
        error_for=organisation_id,
        partners=all_profiles(),
    )


def _manufacturer(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or organisation.kind != "manufacturer":
        abort(404)
    return organisation


@bp.post("/organisations/<int:organisation_id>/prefixes")
@role_required("admin")
def save_prefixes(organisation_id: int) -> Response | tuple[str, int]:
    """Replace a manufacturer's prefixes with those in the form (spaces or commas between)."""
    organisation = _manufacturer(organisation_id)
    texts = request.form.get("prefixes", "").replace(",", " ").split()
    try:
        set_prefixes(organisation, texts)
    except PrefixError as exc:
        return _organisations_page(str(exc), organisation_id), 422
    flash(_("Prefixes of %(name)s saved.", name=organisation.name), "ok")
    return redirect(url_for("admin.organisations"))


@bp.post("/organisations/<int:organisation_id>/gtins")
@role_required("admin")
def add_gtin(organisation_id: int) -> Response | tuple[str, int]:
    """Assign one GTIN to a manufacturer as an exception to the prefixes."""
    organisation = _manufacturer(organisation_id)
    try:
        gtin = assign_gtin(organisation, request.form.get("gtin", ""))
    except PrefixError as exc:
        return _organisations_page(str(exc), organisation_id), 422
    flash(_("GTIN %(gtin)s assigned to %(name)s.", gtin=gtin, name=organisation.name), "ok")
    return redirect(url_for("admin.organisations"))


@bp.post("/organisations/gtins/remove")
@role_required("admin")
def remove_gtin() -> Response | tuple[str, int]:
    """Remove a GTIN's assignment; models already made for it stay with their organisation."""
    try:
        unassign_gtin(request.form.get("gtin", ""))
    except PrefixError as exc:
        return _organisations_page(str(exc)), 422
    return redirect(url_for("admin.organisations"))


@bp.post("/organisations/<int:organisation_id>/approve-partner")
@role_required("admin")
def approve_partner_view(organisation_id: int) -> Response:
    """Approve a registered service partner: owners are offered it from now on."""
    profile = db.session.get(PartnerProfile, organisation_id)
    if profile is None:
        abort(404)
    approve_partner(profile, now_utc())
    flash(_("%(name)s is approved as a service partner.", name=profile.organisation.name), "ok")
    return redirect(url_for("admin.organisations"))


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
    events = list_events(limit=AUDIT_PAGE_SIZE + 1, before=before, action=action)
    older = events[AUDIT_PAGE_SIZE - 1].id if len(events) > AUDIT_PAGE_SIZE else None
    return render_template(
        "admin/audit.html",
        events=events[:AUDIT_PAGE_SIZE],
        older=older,
        action=action,
        actions=action_names(),
    )
