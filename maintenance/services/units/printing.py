"""Printing a unit's label: what it shows (link, brand, model, hint) and the printed count."""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app
from flask_babel import gettext as _

from maintenance.db.transactions import transactional
from maintenance.models import Unit, User
from maintenance.services import audit
from maintenance.services.identifiers import unit_uri
from maintenance.services.labels import LabelData, render_labels
from maintenance.services.units.errors import UnitError

# The line printed under every QR code, in the shop's language.
LABEL_HINTS = {
    "nl": "Scan voor onderhoudstips en herinneringen",
    "en": "Scan for maintenance tips and reminders",
}


def unit_link(unit: Unit, base_url: str | None = None) -> str:
    """The unit's GS1 Digital Link URI on BASE_URL (what its QR code holds)."""
    base = base_url or current_app.config["BASE_URL"]
    return unit_uri(base, unit.gtin, serial=unit.serial, unit_code=unit.unit_code)


def label_language(unit: Unit, user: User | None = None) -> str:
    """The language of the shop that sold the unit, else of the user's organisation."""
    if unit.retailer is not None:
        return unit.retailer.language
    return user.organisation.language if user is not None else "nl"


def label_data(unit: Unit, language: str) -> LabelData:
    """What the unit's label shows: its QR code's URI, brand, model, code and the hint."""
    model = unit.product_model
    return LabelData(
        uri=unit_link(unit),
        brand=model.brand,
        model=model.name,
        code_text=unit.code_text,
        hint=LABEL_HINTS.get(language, LABEL_HINTS["en"]),
    )


@transactional
def print_labels(
    units: Sequence[Unit], layout: str, start_at: int = 1, user: User | None = None
) -> bytes:
    """One PDF with a label per unit in the layout; each unit's printed count goes up by one."""
    if not units:
        raise UnitError(_("there are no units to print"))
    voided = [unit for unit in units if unit.voided_at is not None]
    if voided:
        raise UnitError(_("unit %(id)s was voided; its label cannot be printed", id=voided[0].id))
    labels = [label_data(unit, label_language(unit, user)) for unit in units]
    try:
        pdf = render_labels(labels, layout, start_at)
    except ValueError as exc:
        raise UnitError(str(exc)) from None
    for unit in units:
        unit.labels_printed += 1
    audit.record("unit.print", units, user, layout=layout)
    return pdf


@transactional
def record_reprint(unit: Unit) -> Unit:
    """Count one more label printed for a unit (the till's reprint button)."""
    if unit.voided_at is not None:
        raise UnitError(_("this unit was voided; its label cannot be printed"))
    unit.labels_printed += 1
    audit.record("unit.reprint", unit)
    return unit
