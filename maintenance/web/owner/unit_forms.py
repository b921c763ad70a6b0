"""The unit page's two forms: "Remind me" (sign up, or add to my list) and "Done it"."""

from __future__ import annotations

from flask import abort, flash, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from maintenance.clock import now_utc
from maintenance.extensions import limiter
from maintenance.i18n import current_language
from maintenance.models import Unit
from maintenance.services.identifiers import (
    DigitalLink,
    IdentifierError,
    normalize_gtin,
    normalize_unit_code,
)
from maintenance.services.owners.confirmations import TooManyMessages
from maintenance.services.owners.contacts import OwnerError, check_role, parse_contact, parse_hour
from maintenance.services.owners.ownership import add_unit, owned_unit
from maintenance.services.owners.signup import request_signup
from maintenance.services.schedules.records import UnknownTask, record_done
from maintenance.services.units.create import register_unit_from_scan
from maintenance.services.units.errors import UnitError
from maintenance.services.units.find import find_unit
from maintenance.web.owner import bp
from maintenance.web.owner.session import (
    PENDING_SESSION_KEY,
    current_owner,
    ip_limit,
    see_other,
    today_for,
)
from maintenance.web.visitors import anonymous_form

DONE_LIMIT = "60 per hour"


def _scanned_unit(create: bool) -> Unit:
    """The unit named by the hidden gtin + serial/code fields of a unit page form."""
    try:
        gtin = normalize_gtin(request.form.get("gtin", ""))
        serial = request.form.get("serial") or None
        code = request.form.get("code") or None
        unit = (
            find_unit(gtin, serial=serial)
            if serial
            else find_unit(gtin, unit_code=normalize_unit_code(code or ""))
        )
    except (IdentifierError, ValueError):
        abort(400)
    if unit is None and serial and create:
        try:
            unit = register_unit_from_scan(gtin, serial)
        except UnitError:
            abort(404)
    if unit is None:
        abort(404)
    if unit.voided_at is not None:
        abort(410)
    return unit


def _form_unit_path() -> str:
    """The unit page the form came from, from its hidden fields alone."""
    try:
        gtin = normalize_gtin(request.form.get("gtin", ""))
        code = request.form.get("code")
        return DigitalLink(
            gtin,
            serial=request.form.get("serial") or None,
            unit_code=normalize_unit_code(code) if code else None,
        ).path
    except (IdentifierError, ValueError):
        return url_for("public.index")


def unit_path(unit: Unit) -> str:
    """The unit page's path (its GS1 Digital Link without the host)."""
    return DigitalLink(unit.gtin, serial=unit.serial, unit_code=unit.unit_code).path


@bp.post("/remind")
@anonymous_form
@ip_limit
def remind() -> BaseResponse | tuple[str, int]:
    """Sign up for reminders for a unit (or add it to a logged-in owner's list)."""
    owner = current_owner()
    contact = request.form.get("contact", "")
    consent = bool(request.form.get("consent"))
    # Check every field before creating a unit from a scan, so a bad form adds nothing.
    try:
        role = check_role(request.form.get("role", "owner"))
        if owner is None or contact:
            hour = parse_hour(request.form.get("hour"))
            parse_contact(contact)
            if not consent:
                raise OwnerError(_("Please tick the box to agree to receive reminders."))
    except OwnerError as exc:
        flash(str(exc), "error")
        return see_other(_form_unit_path() + "#register")
    if owner is not None and not contact:
        unit = _scanned_unit(create=True)
        try:
            add_unit(owner, unit, now_utc(), role=role)
        except OwnerError as exc:
            flash(str(exc), "error")
            return see_other(unit_path(unit) + "#register")
        flash(_("Added to your appliances."))
        return see_other(url_for("owner.unit_detail", unit_id=unit.id))
    unit = _scanned_unit(create=True)
    try:
        pending = request_signup(
            contact,
            unit,
            consent=consent,
            now=now_utc(),
            role=role,
            language=request.form.get("language") or current_language(),
            preferred_hour=hour,
        )
    except TooManyMessages as exc:
        return render_template("errors/error.html", status=429, message=str(exc)), 429
    session[PENDING_SESSION_KEY] = {"handle": pending.handle, "channel": pending.channel}
    return see_other(url_for("owner.check"))


@bp.post("/units/done")
@anonymous_form
@limiter.limit(DONE_LIMIT)
def unit_done() -> BaseResponse:
    """ "Done it" on the unit page: logs the task for this unit, without an account."""
    unit = _scanned_unit(create=True)
    owner = current_owner()
    if owner is not None and owned_unit(owner, unit.id) is None:
        owner = None
    try:
        recorded = record_done(
            unit, request.form.get("task", ""), today_for(owner), owner=owner, source="page"
        )
    except UnknownTask:
        abort(404)
    if recorded.created:
        flash(_("Thank you! Logged for this appliance."))
    else:
        flash(_("This was already logged today."))
    return see_other(unit_path(unit) + "#tasks")
