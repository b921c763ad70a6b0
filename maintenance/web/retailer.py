"""The retailer till: scan the EAN, scan the serial, print the label; reprint, void, CSV batches."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from maintenance.clock import service_today
from maintenance.models import Unit
from maintenance.services.catalog import find_model_by_gtin
from maintenance.services.identifiers import IdentifierError, normalize_gtin
from maintenance.services.labels import render_labels
from maintenance.services.labels.qr import qr_svg
from maintenance.services.labels.sheets import LAYOUTS
from maintenance.services.units.batch import BatchInvalid, batch_labels
from maintenance.services.units.create import create_unit, void_unit
from maintenance.services.units.errors import UnitError, UnitNotFound
from maintenance.services.units.find import get_unit_for, recent_units
from maintenance.services.units.printing import (
    label_data,
    label_language,
    record_reprint,
    unit_link,
)
from maintenance.web.access import role_required

bp = Blueprint("retailer", __name__, url_prefix="/retailer")

# The single-label layouts a browser can print from the label page; sheets come as PDF.
PAGE_LAYOUTS = ("62mm", "29x90mm")


def _user_unit(unit_id: int) -> Unit:
    """The shop's unit, or 404 (also for another shop's: ids must not tell what exists)."""
    try:
        return get_unit_for(current_user, unit_id)
    except UnitNotFound:
        abort(404)


def _till(
    form: dict[str, str], errors: dict[str, str], focus: str, status: int = 200
) -> tuple[str, int]:
    """The till page with the form as submitted, its errors, and the field to type in next."""
    model = None
    if form.get("gtin"):
        try:
            model = find_model_by_gtin(normalize_gtin(form["gtin"]))
        except IdentifierError:
            model = None
    return render_template(
        "retailer/till.html",
        form=form,
        errors=errors,
        focus=focus,
        model=model,
        units=recent_units(current_user.organisation_id),
        today=service_today().isoformat(),
    ), status


@bp.get("/")
@role_required("retailer")
def till() -> tuple[str, int]:
    """The till: EAN field focused, serial next, sale date today; recent units below."""
    return _till({}, {}, "gtin")


@bp.post("/units")
@role_required("retailer")
def create() -> BaseResponse | tuple[str, int]:
    """Register the scanned appliance and show its label; without a serial, ask for it first."""
    form = {
        key: request.form.get(key, "").strip()
        for key in ("gtin", "serial", "sold_on", "retailer_ref")
    }
    no_serial = request.form.get("no_serial") == "1"
    if not form["gtin"]:
        return _till(form, {"gtin": _("Scan or type the EAN from the box.")}, "gtin", 422)
    sold_on = None
    if form["sold_on"]:
        try:
            sold_on = date.fromisoformat(form["sold_on"])
        except ValueError:
            return _till(form, {"sold_on": _("Give the sale date as a date.")}, "sold_on", 422)
    if not form["serial"] and not no_serial:
        # The scanner pressed Enter after the EAN (or there is no JavaScript to move on): check
        # the EAN now and ask for the serial, so a missing serial is never a silent choice.
        try:
            gtin = normalize_gtin(form["gtin"])
        except IdentifierError as exc:
            return _till(form, {"gtin": str(exc)}, "gtin", 422)
        if find_model_by_gtin(gtin) is None:
            message = _("No appliance model with this EAN is known yet.")
            return _till(form, {"gtin": message}, "gtin", 422)
        return _till(form, {}, "serial")
    try:
        result = create_unit(
            current_user.organisation,
            form["gtin"],
            serial=None if no_serial else form["serial"],
            sold_on=sold_on,
            retailer_ref=form["retailer_ref"] or None,
            created_by=current_user._get_current_object(),
        )
    except UnitError as exc:
        field = exc.field or "gtin"
        message = str(exc)
        if field == "serial":
            # Any GS1 serial is accepted, so a refused one is misread or not a GS1 serial at all;
            # the appliance can still get a label with a code.
            message = _(
                "%(reason)s. Check it against the rating plate, or tick the box below to issue"
                " a code.",
                reason=message,
            )
        return _till(form, {field: message}, field, 422)
    if not result.created:
        flash(_("Your shop had registered this appliance already; here is its label again."))
    return redirect(url_for("retailer.label", unit_id=result.unit.id), code=303)


@bp.get("/units/<int:unit_id>/label")
@role_required("retailer")
def label(unit_id: int) -> str:
    """The label sized for the label printer, with a print button; the till is one key away."""
    unit = _user_unit(unit_id)
    layout = request.args.get("layout", PAGE_LAYOUTS[0])
    if layout not in PAGE_LAYOUTS:
        abort(404)
    data = label_data(unit, label_language(unit, current_user))
    return render_template(
        "retailer/label.html",
        unit=unit,
        label=data,
        layout=layout,
        layouts=PAGE_LAYOUTS,
        qr=Markup(qr_svg(data.uri)),  # our own SVG: a rect and a path of numbers
        uri=unit_link(unit),
    )


@bp.get("/units/<int:unit_id>/label.pdf")
@role_required("retailer")
def label_pdf(unit_id: int) -> Response:
    """The same label as a PDF, for printers the browser's dialog does not size well."""
    unit = _user_unit(unit_id)
    layout = request.args.get("layout", PAGE_LAYOUTS[0])
    if layout not in LAYOUTS or unit.voided_at is not None:
        abort(404)
    pdf = render_labels([label_data(unit, label_language(unit, current_user))], layout)
    return Response(pdf, mimetype="application/pdf")


@bp.post("/units/<int:unit_id>/reprint")
@role_required("retailer")
def reprint(unit_id: int) -> BaseResponse:
    """Count one more label and show it for printing."""
    unit = _user_unit(unit_id)
    try:
        record_reprint(unit)
    except UnitError:
        flash(_("This unit was voided; its label cannot be printed."), "error")
        return redirect(url_for("retailer.till"), code=303)
    return redirect(url_for("retailer.label", unit_id=unit.id), code=303)


@bp.post("/units/<int:unit_id>/void")
@role_required("retailer")
def void(unit_id: int) -> BaseResponse:
    """Withdraw a unit registered by mistake; its QR code then says so."""
    unit = void_unit(_user_unit(unit_id))
    flash(_("Voided: %(code)s. Its label no longer works.", code=unit.code_text))
    return redirect(url_for("retailer.till"), code=303)


@bp.get("/batch")
@role_required("retailer")
def batch_form() -> str:
    """Upload a CSV file of sold appliances to print all their labels at once."""
    return render_template("retailer/batch.html", layouts=LAYOUTS, errors=[])


@bp.post("/batch")
@role_required("retailer")
def batch() -> Response | tuple[str, int]:
    """Register every row and answer with one PDF; or list every bad row and create nothing."""
    upload = request.files.get("file")
    layout = request.form.get("layout", "a4-3x8")
    start = request.form.get("start_at", "1").strip() or "1"
    errors: list[str] = []
    if upload is None or not upload.filename:
        errors.append(_("Choose a CSV file."))
    if layout not in LAYOUTS:
        errors.append(_("Choose a label layout."))
    elif (
        # ASCII digits only: "²".isdigit() is true, and int() refuses it.
        not (start.isascii() and start.isdigit()) or not 1 <= int(start) <= LAYOUTS[layout].per_page
    ):
        errors.append(_("Start at a position from 1 to %(n)s.", n=LAYOUTS[layout].per_page))
    # (upload is not None whenever errors is empty; said again for mypy.)
    if not errors and upload is not None:
        try:
            units, pdf = batch_labels(
                current_user.organisation,
                upload.read(),
                layout,
                int(start),
                created_by=current_user._get_current_object(),
            )
        except BatchInvalid as exc:
            errors = [
                _("Line %(line)s: %(message)s", line=error.line, message=error.message)
                for error in exc.errors
            ]
        else:
            return Response(
                pdf,
                mimetype="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="labels-{len(units)}.pdf"'},
            )
    page = render_template(
        "retailer/batch.html",
        layouts=LAYOUTS,
        errors=errors,
        layout=layout,
        start_at=start,
    )
    return page, 422
