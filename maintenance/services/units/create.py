"""Registering units: one at the till or from an owner's scan, checked; voiding one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from maintenance import clock
from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import Organisation, ProductModel, Unit, User
from maintenance.models._base import utcnow
from maintenance.services import audit
from maintenance.services.catalog import find_model_by_gtin
from maintenance.services.identifiers import (
    IdentifierError,
    new_unit_code,
    normalize_gtin,
    validate_serial,
)
from maintenance.services.units.errors import UnitConflict, UnitError, UnknownModel
from maintenance.services.units.find import find_unit
from maintenance.services.webhooks import unit_registered, unit_voided

RETAILER_REF_MAX_LENGTH = 100
# A sale date up to a day ahead is allowed: the till's clock and time zone may differ from ours.
FUTURE_SALE_TOLERANCE = timedelta(days=1)
EARLIEST_SALE_DATE = date(1980, 1, 1)


class UnitResult(NamedTuple):
    """A unit and whether this call created it (False: it existed and is the same shop's)."""

    unit: Unit
    created: bool


@dataclass(frozen=True)
class CheckedUnit:
    """A unit request that passed the checks, with its model and any unit of the same serial."""

    gtin: str
    serial: str | None
    sold_on: date
    retailer_ref: str | None
    model: ProductModel
    existing: Unit | None


def parse_sale_date(text: str) -> date:
    """A sale date as YYYY-MM-DD or DD-MM-YYYY (as Dutch spreadsheets write it)."""
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise UnitError(
        _("%(text)s is not a date; write it as YYYY-MM-DD, e.g. 2025-03-31", text=repr(text)),
        "sold_on",
    )


def check_unit_request(
    retailer: Organisation,
    gtin: str,
    serial: str | None,
    sold_on: date | None,
    retailer_ref: str | None,
    today: date,
) -> CheckedUnit:
    """Validate one unit request and look up its model and any unit with the same GTIN + serial."""
    try:
        gtin14 = normalize_gtin(gtin)
    except IdentifierError as exc:
        raise UnitError(str(exc), "gtin") from None
    try:
        serial = validate_serial(serial) if serial is not None and serial.strip() else None
    except IdentifierError as exc:
        raise UnitError(str(exc), "serial") from None
    if sold_on is None:
        sold_on = today
    if sold_on > today + FUTURE_SALE_TOLERANCE:
        raise UnitError(
            _("the sale date %(date)s is in the future", date=sold_on.isoformat()), "sold_on"
        )
    if sold_on < EARLIEST_SALE_DATE:
        raise UnitError(
            _("the sale date %(date)s is too long ago", date=sold_on.isoformat()), "sold_on"
        )
    if retailer_ref is not None:
        retailer_ref = retailer_ref.strip() or None
    if retailer_ref is not None and "\x00" in retailer_ref:
        # A CSV file can carry one; PostgreSQL refuses to store it.
        raise UnitError(_("the shop reference contains a NUL character"), "retailer_ref")
    if retailer_ref is not None and len(retailer_ref) > RETAILER_REF_MAX_LENGTH:
        raise UnitError(
            _(
                "the shop reference has more than %(most)s characters",
                most=RETAILER_REF_MAX_LENGTH,
            ),
            "retailer_ref",
        )
    model = find_model_by_gtin(gtin14)
    if model is None:
        raise UnknownModel(
            _(
                "no appliance model with GTIN %(gtin)s is known yet; the manufacturer has to"
                " register it first",
                gtin=gtin14,
            ),
            "gtin",
        )
    existing = find_unit(gtin14, serial=serial) if serial is not None else None
    if existing is not None and existing.retailer_id not in (None, retailer.id):
        raise UnitConflict(
            _(
                "serial number %(serial)s of GTIN %(gtin)s is already registered by another shop",
                serial=serial,
                gtin=gtin14,
            ),
            "serial",
        )
    return CheckedUnit(gtin14, serial, sold_on, retailer_ref, model, existing)


def _new_code(gtin: str) -> str:
    """A unit code not yet used for this GTIN (a clash is very unlikely, but cheap to rule out)."""
    while True:
        code = new_unit_code()
        if find_unit(gtin, unit_code=code) is None:
            return code


def store_unit(
    retailer: Organisation, checked: CheckedUnit, created_by: User | None, labels: int = 1
) -> UnitResult:
    """Create the unit, or take over the existing one (same shop, or registered from a scan).

    labels is how many labels the caller prints right away (the till prints one).
    """
    unit = checked.existing
    if unit is not None:
        # The same shop scanning the same appliance again wants the label again, not an error;
        # an appliance an owner registered from a scan before the shop did becomes the shop's.
        unit.retailer_id = retailer.id
        unit.voided_at = None
        unit.sold_on = unit.sold_on or checked.sold_on
        unit.retailer_ref = checked.retailer_ref or unit.retailer_ref
        unit.labels_printed += labels
        return UnitResult(unit, False)
    unit = Unit(
        gtin=checked.gtin,
        serial=checked.serial,
        unit_code=None if checked.serial else _new_code(checked.gtin),
        product_model=checked.model,
        retailer_id=retailer.id,
        sold_on=checked.sold_on,
        retailer_ref=checked.retailer_ref,
        created_by_id=created_by.id if created_by is not None else None,
        labels_printed=labels,
    )
    db.session.add(unit)
    return UnitResult(unit, True)


@transactional
def create_unit(
    retailer: Organisation,
    gtin: str,
    serial: str | None = None,
    sold_on: date | None = None,
    retailer_ref: str | None = None,
    created_by: User | None = None,
) -> UnitResult:
    """Register a sold appliance (a unit code is issued when there is no serial); counts a label.

    The same shop registering the same GTIN + serial again gets the existing unit back (created
    False), reactivated if it had voided it: a till that scans twice should just reprint.
    """
    checked = check_unit_request(
        retailer, gtin, serial, sold_on, retailer_ref, clock.service_today()
    )
    result = store_unit(retailer, checked, created_by)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request registered the same serial between our check and insert.
        raise UnitConflict(
            _(
                "serial number %(serial)s of GTIN %(gtin)s was registered just now",
                serial=checked.serial,
                gtin=checked.gtin,
            )
        ) from None
    audit.record("unit.create", result.unit, created_by, created=result.created)
    unit_registered([result.unit] if result.created else [])
    return result


@transactional
def register_unit_from_scan(gtin: str, serial: str) -> Unit:
    """The unit for a scanned GTIN + serial no shop registered: created without a shop if new."""
    try:
        gtin14 = normalize_gtin(gtin)
        serial = validate_serial(serial)
    except IdentifierError as exc:
        raise UnitError(str(exc)) from None
    unit = find_unit(gtin14, serial=serial)
    if unit is not None:
        if unit.voided_at is not None:
            raise UnitConflict(_("this label was withdrawn by the shop"))
        return unit
    model = find_model_by_gtin(gtin14)
    if model is None:
        raise UnknownModel(_("no appliance model with GTIN %(gtin)s is known", gtin=gtin14))
    unit = Unit(gtin=gtin14, serial=serial, product_model=model, labels_printed=0)
    db.session.add(unit)
    try:
        db.session.flush()
    except IntegrityError:
        raise UnitConflict(_("this appliance was registered just now; please try again")) from None
    return unit


@transactional
def void_unit(unit: Unit) -> Unit:
    """Withdraw a unit registered by mistake; its label no longer resolves as an active unit."""
    if unit.voided_at is None:
        unit.voided_at = utcnow()
        audit.record("unit.void", unit)
        unit_voided(unit)
    return unit
