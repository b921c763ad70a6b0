"""Units: create them for a shop (one, or a batch from CSV), find, void, label, count scans."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from maintenance import clock
from maintenance.db.reads import read_first
from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import (
    ModelGtin,
    Organisation,
    ProductModel,
    ProtocolVersion,
    Unit,
    User,
)
from maintenance.models._base import utcnow
from maintenance.services import audit
from maintenance.services.catalog import (
    VersionInfo,
    VersionKey,
    find_model_by_gtin,
    version_in_force_id,
    version_info,
)
from maintenance.services.identifiers import (
    IdentifierError,
    new_unit_code,
    normalize_gtin,
    unit_uri,
    validate_serial,
)
from maintenance.services.labels import LabelData, render_labels
from maintenance.services.permissions import can_manage_unit
from maintenance.services.product_links import has_own_links
from maintenance.services.schedules import has_records
from maintenance.services.webhooks import unit_registered, unit_voided

# The line printed under every QR code, in the shop's language.
LABEL_HINTS = {
    "nl": "Scan voor onderhoudstips en herinneringen",
    "en": "Scan for maintenance tips and reminders",
}
MAX_BATCH_ROWS = 1000  # one upload is one PDF; larger files go through the API in parts
BATCH_COLUMNS = ("gtin", "serial", "sold_on")
OPTIONAL_BATCH_COLUMNS = ("retailer_ref",)
RETAILER_REF_MAX_LENGTH = 100
# A sale date up to a day ahead is allowed: the till's clock and time zone may differ from ours.
FUTURE_SALE_TOLERANCE = timedelta(days=1)
EARLIEST_SALE_DATE = date(1980, 1, 1)
# The largest id the unit table holds (a 32-bit column on PostgreSQL); larger ids name no unit,
# and asking the database about them would be an error instead of "not found".
MAX_UNIT_ID = 2**31 - 1


class UnitError(ValueError):
    """A unit request that cannot be honoured; the message says why, for the person at the till.

    Messages are worded when raised, in the request's language: Dutch at a Dutch till, English
    for the API unless its client asks otherwise.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field  # the input it is about (gtin, serial, sold_on, retailer_ref), if one


class UnknownModel(UnitError):
    """The GTIN is valid but no manufacturer has registered a model with it."""


class UnitConflict(UnitError):
    """The GTIN + serial is already registered by another shop (or withdrawn)."""


class UnitNotFound(LookupError):
    """No such unit, or one the user may not see (both answered as 404, so ids do not leak)."""


@dataclass(frozen=True)
class RowError:
    """One problem in an uploaded CSV file, on a 1-based physical line."""

    line: int
    message: str
    column: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The shape used in API error details."""
        path = f"line {self.line}" + (f".{self.column}" if self.column else "")
        return {"path": path, "line": self.line, "message": self.message}

    def __str__(self) -> str:
        return f"line {self.line}: {self.column + ': ' if self.column else ''}{self.message}"


class BatchInvalid(UnitError):
    """A CSV batch with errors; nothing was created."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


class UnitResult(NamedTuple):
    """A unit and whether this call created it (False: it existed and is the same shop's)."""

    unit: Unit
    created: bool


@dataclass(frozen=True)
class _Checked:
    gtin: str
    serial: str | None
    sold_on: date
    retailer_ref: str | None
    model: ProductModel
    existing: Unit | None


def local_today() -> date:
    """Today's date in the service's default time zone (sale dates are local dates)."""
    return clock.local_today(current_app.config["DEFAULT_TIME_ZONE"], clock.now_utc())


def find_unit(gtin: str, serial: str | None = None, unit_code: str | None = None) -> Unit | None:
    """The unit with this GTIN-14 and serial or unit code (voided ones included), if any."""
    if (serial is None) == (unit_code is None):
        raise ValueError("give exactly one of serial or unit_code")
    query = select(Unit).where(Unit.gtin == gtin)
    if serial is not None:
        query = query.where(Unit.serial == serial)
    else:
        query = query.where(Unit.unit_code == unit_code)
    return db.session.scalar(query)


@dataclass(frozen=True)
class ScannedModel:
    """The model a scanned GTIN names, as plain data: what its pages need."""

    id: int
    brand: str
    name: str
    has_links: bool = False  # whether the maker set links of its own for it (product_links.py)


@dataclass(frozen=True)
class ScannedUnit:
    """The unit a scanned serial or code names, as plain data: what its page and plan need."""

    id: int
    sold_on: date | None
    voided_at: datetime | None


@dataclass(frozen=True)
class Scanned:
    """What a scanned code names: the GTIN's model, the unit if registered, the version in force."""

    model: ScannedModel
    unit: ScannedUnit | None
    version: VersionInfo | None
    unit_has_records: bool  # whether the unit has any task schedule or log entry


@cache
def _scan_query(code: str | None) -> Select[Any]:
    """find_scanned's statement for a serial, a unit code or neither, built once (it runs a lot)."""
    in_force = aliased(ProtocolVersion)
    query = (
        select(
            ProductModel.id,
            ProductModel.brand,
            ProductModel.name,
            in_force.id,
            in_force.number,
            in_force.content_hash,
            has_own_links(ProductModel.id),
        )
        .select_from(ModelGtin)
        .join(ProductModel, ProductModel.id == ModelGtin.product_model_id)
        .outerjoin(in_force, in_force.id == version_in_force_id())
        .where(ModelGtin.gtin == bindparam("gtin"))
    )
    if code is None:
        return query
    column = Unit.serial if code == "serial" else Unit.unit_code
    return query.add_columns(Unit.id, Unit.sold_on, Unit.voided_at, has_records(Unit.id)).outerjoin(
        Unit, and_(Unit.gtin == bindparam("gtin"), column == bindparam("code"))
    )


def find_scanned(
    gtin: str, serial: str | None = None, unit_code: str | None = None
) -> Scanned | None:
    """The model, unit (voided ones included) and version in force in one query; None: no model.

    Plain rows from the read pool (reads.py), not ORM objects through the session: this runs
    on every scan, changes nothing, and a scan of a unit nobody registered needs nothing else.
    """
    if serial is not None and unit_code is not None:
        raise ValueError("give at most one of serial or unit_code")
    code = "serial" if serial is not None else "unit_code" if unit_code is not None else None
    # Autocommit, so the statement stays prepared and its subqueries are not planned per scan.
    row = read_first(_scan_query(code), {"gtin": gtin, "code": serial or unit_code})
    if row is None:
        return None
    model_id, brand, name, version_id, number, content_hash, has_links, *found = row
    unit_id, sold_on, voided_at, unit_has_records = found if found else (None, None, None, False)
    if voided_at is not None:
        voided_at = voided_at.astimezone(UTC)  # the driver's zone; UtcDateTime gives UTC
    return Scanned(
        model=ScannedModel(model_id, brand, name, bool(has_links)),
        unit=ScannedUnit(unit_id, sold_on, voided_at) if unit_id is not None else None,
        version=version_info(VersionKey(version_id, number, content_hash))
        if version_id is not None
        else None,
        unit_has_records=bool(unit_has_records),
    )


def get_unit_for(user: User, unit_id: int) -> Unit:
    """The unit if the user may manage it; UnitNotFound for unknown and other shops' units alike."""
    unit = db.session.get(Unit, unit_id) if 0 < unit_id <= MAX_UNIT_ID else None
    if unit is None or not can_manage_unit(user, unit):
        raise UnitNotFound(unit_id)
    return unit


def get_units_for(user: User, unit_ids: Sequence[int]) -> list[Unit]:
    """Several units in the given order, each checked as in get_unit_for."""
    valid_ids = [unit_id for unit_id in unit_ids if 0 < unit_id <= MAX_UNIT_ID]
    found = {
        unit.id: unit for unit in db.session.scalars(select(Unit).where(Unit.id.in_(valid_ids)))
    }
    units = []
    for unit_id in unit_ids:
        unit = found.get(unit_id)
        if unit is None or not can_manage_unit(user, unit):
            raise UnitNotFound(unit_id)
        units.append(unit)
    return units


def recent_units(organisation_id: int, limit: int = 20) -> list[Unit]:
    """The shop's most recently registered units, newest first."""
    return list(
        db.session.scalars(
            select(Unit)
            .where(Unit.retailer_id == organisation_id)
            .order_by(Unit.created_at.desc(), Unit.id.desc())
            .limit(limit)
        )
    )


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


def _check(
    retailer: Organisation,
    gtin: str,
    serial: str | None,
    sold_on: date | None,
    retailer_ref: str | None,
    today: date,
) -> _Checked:
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
    return _Checked(gtin14, serial, sold_on, retailer_ref, model, existing)


def _new_code(gtin: str) -> str:
    """A unit code not yet used for this GTIN (a clash is very unlikely, but cheap to rule out)."""
    while True:
        code = new_unit_code()
        if find_unit(gtin, unit_code=code) is None:
            return code


def _store(
    retailer: Organisation, checked: _Checked, created_by: User | None, labels: int = 1
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
    checked = _check(retailer, gtin, serial, sold_on, retailer_ref, local_today())
    result = _store(retailer, checked, created_by)
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


def read_units_csv(data: bytes) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """The rows of a CSV upload with their line numbers, and rows of the wrong shape.

    BatchInvalid when the file as a whole cannot be read: encoding, header, size.
    """
    try:
        text = data.decode("utf-8-sig")  # spreadsheets often start UTF-8 files with a BOM
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BatchInvalid([RowError(line, _("the file is not UTF-8 text"))]) from None
    header_line = text.split("\n", 1)[0]
    # Dutch spreadsheet programs write semicolons, because the comma is the decimal separator.
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise BatchInvalid(
                [RowError(1, _("the file is empty; the first line must be a header"))]
            )
        names = [cell.strip().lower() for cell in header]
        errors = [
            RowError(1, _("the header has no %(name)s column", name=repr(name)), name)
            for name in BATCH_COLUMNS
            if name not in names
        ]
        errors += [
            RowError(
                1,
                _(
                    "unknown column %(name)s; the columns are %(columns)s",
                    name=repr(name),
                    columns=", ".join(BATCH_COLUMNS),
                ),
            )
            for name in names
            if name not in BATCH_COLUMNS + OPTIONAL_BATCH_COLUMNS
        ]
        if errors:
            raise BatchInvalid(errors)
        rows = []
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if len(cells) != len(names):
                    errors.append(
                        RowError(
                            line,
                            _(
                                "expected %(wanted)s values, found %(found)s",
                                wanted=len(names),
                                found=len(cells),
                            ),
                        )
                    )
                else:
                    rows.append((line, dict(zip(names, cells, strict=True))))
            line = reader.line_num + 1
            if len(rows) + len(errors) > MAX_BATCH_ROWS:
                raise BatchInvalid(
                    [
                        RowError(
                            line - 1,
                            _(
                                "the file has more than %(most)s rows; split it",
                                most=MAX_BATCH_ROWS,
                            ),
                        )
                    ]
                )
    except csv.Error as exc:
        # The csv module's own reason stays English: it names the exact fault.
        error = RowError(reader.line_num, _("the file is not valid CSV: %(reason)s", reason=exc))
        raise BatchInvalid([error]) from None
    if not rows and not errors:
        raise BatchInvalid([RowError(2, _("the file has a header but no rows"))])
    return rows, errors


@transactional
def create_units_from_csv(
    retailer: Organisation, data: bytes, created_by: User | None = None
) -> list[Unit]:
    """Register every row of a CSV file (gtin, serial, sold_on); nothing at all when any is bad.

    No label is counted: print them with print_labels (batch_labels does both at once).
    """
    rows, errors = read_units_csv(data)
    today = local_today()
    checked: list[_Checked] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in rows:
        try:
            sold_on = parse_sale_date(row["sold_on"]) if row["sold_on"].strip() else None
        except UnitError as exc:
            errors.append(RowError(line, str(exc), "sold_on"))
            continue
        try:
            item = _check(
                retailer, row["gtin"], row["serial"], sold_on, row.get("retailer_ref"), today
            )
        except UnitError as exc:
            errors.append(RowError(line, str(exc), exc.field))
            continue
        if item.serial is not None:
            first = seen.setdefault((item.gtin, item.serial), line)
            if first != line:
                message = _("the same GTIN and serial as line %(line)s", line=first)
                errors.append(RowError(line, message, "serial"))
                continue
        checked.append(item)
    if errors:
        raise BatchInvalid(sorted(errors, key=lambda error: error.line))
    units = [_store(retailer, item, created_by, labels=0).unit for item in checked]
    try:
        db.session.flush()
    except IntegrityError:
        raise BatchInvalid(
            [RowError(1, _("some of these units were registered just now"))]
        ) from None
    audit.record("unit.batch", units, created_by)
    unit_registered([unit for unit, item in zip(units, checked, strict=True) if not item.existing])
    return units


@transactional
def batch_labels(
    retailer: Organisation,
    data: bytes,
    layout: str,
    start_at: int = 1,
    created_by: User | None = None,
) -> tuple[list[Unit], bytes]:
    """Register a CSV file's units and print their labels as one PDF, all or nothing."""
    units = create_units_from_csv(retailer, data, created_by)
    return units, print_labels(units, layout, start_at, user=created_by)


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
