"""A shop's CSV file of sold units: read it, check every row, register all or none."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from maintenance.clock import service_today
from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import Organisation, Unit, User
from maintenance.services import audit
from maintenance.services.units.create import (
    CheckedUnit,
    check_unit_request,
    parse_sale_date,
    store_unit,
)
from maintenance.services.units.errors import UnitError
from maintenance.services.units.printing import print_labels
from maintenance.services.webhooks import unit_registered

MAX_BATCH_ROWS = 1000  # one upload is one PDF; larger files go through the API in parts
BATCH_COLUMNS = ("gtin", "serial", "sold_on")
OPTIONAL_BATCH_COLUMNS = ("retailer_ref",)


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
    today = service_today()
    checked: list[CheckedUnit] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in rows:
        try:
            sold_on = parse_sale_date(row["sold_on"]) if row["sold_on"].strip() else None
        except UnitError as exc:
            errors.append(RowError(line, str(exc), "sold_on"))
            continue
        try:
            item = check_unit_request(
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
    units = [store_unit(retailer, item, created_by, labels=0).unit for item in checked]
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
