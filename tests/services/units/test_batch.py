"""Batch registration from CSV: every bad row reported with its line, nothing half-created."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from maintenance.models import Unit
from maintenance.services.units.batch import MAX_BATCH_ROWS, BatchInvalid, create_units_from_csv
from maintenance.services.units.create import create_unit
from tests.builders import GTIN, OTHER_GTIN, UNKNOWN_GTIN, count, make_model, make_shop


def errors_of(db: object, shop: object, text: str) -> list[tuple[int, str]]:
    """The file's errors in English (outside a request they are worded in Dutch)."""
    with force_locale("en"), pytest.raises(BatchInvalid) as info:
        create_units_from_csv(shop, text.encode())
    return [(error.line, error.message) for error in info.value.errors]


def test_a_good_file_creates_every_unit(db: object) -> None:
    make_model()
    make_model(gtin=OTHER_GTIN, name="VW 600")
    shop = make_shop()
    units = create_units_from_csv(
        shop,
        f"gtin,serial,sold_on\n{GTIN},A1,2025-01-31\n\n{OTHER_GTIN},,\n{GTIN[1:]},A2,\n".encode(),
    )
    assert [(u.gtin, u.serial) for u in units] == [(GTIN, "A1"), (OTHER_GTIN, None), (GTIN, "A2")]
    assert units[1].unit_code is not None
    assert units[0].sold_on.isoformat() == "2025-01-31"
    assert count(Unit) == 3


def test_a_dutch_spreadsheet_with_semicolons_bom_and_day_first_dates_works(db: object) -> None:
    make_model()
    data = f"\ufeffGTIN;Serial;Sold_on\r\n{GTIN};A1;31-01-2025\r\n".encode()
    (unit,) = create_units_from_csv(make_shop(), data)
    assert unit.sold_on.isoformat() == "2025-01-31"


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_created(db: object) -> None:
    make_model()
    shop = make_shop()
    create_unit(make_shop(name="Other shop"), GTIN, "TAKEN")
    before = count(Unit)
    bad_check_digit = GTIN[:-1] + str((int(GTIN[-1]) + 1) % 10)
    text = (
        "gtin,serial,sold_on\n"
        f"{GTIN},OK1,2025-01-01\n"  # line 2: fine
        f"{UNKNOWN_GTIN},X1,2025-01-01\n"  # line 3
        f"{bad_check_digit},X2,2025-01-01\n"  # line 4
        f"{GTIN},X3,yesterday\n"  # line 5
        f"{GTIN},OK1,2025-01-01\n"  # line 6: same as line 2
        f"{GTIN},TAKEN,2025-01-01\n"  # line 7: another shop's
        f"{GTIN},two words,\n"  # line 8
        f"{GTIN},X4\n"  # line 9: a value missing
    )
    errors = errors_of(db, shop, text)
    assert [line for line, _ in errors] == [3, 4, 5, 6, 7, 8, 9]
    messages = dict(errors)
    assert "no appliance model" in messages[3]
    assert "check digit" in messages[4]
    assert "not a date" in messages[5]
    assert "line 2" in messages[6]
    assert "another shop" in messages[7]
    assert "space" in messages[8]
    assert "expected 3 values, found 2" in messages[9]
    assert count(Unit) == before


def test_the_header_must_name_the_columns(db: object) -> None:
    shop = make_shop()
    assert errors_of(db, shop, f"{GTIN},A1,2025-01-01\n")[0][0] == 1
    errors = errors_of(db, shop, "gtin,serial,colour\n")
    assert errors == [
        (1, "the header has no 'sold_on' column"),
        (1, "unknown column 'colour'; the columns are gtin, serial, sold_on"),
    ]
    assert errors_of(db, shop, "") == [(1, "the file is empty; the first line must be a header")]
    assert errors_of(db, shop, "gtin,serial,sold_on\n") == [
        (2, "the file has a header but no rows")
    ]


def test_a_file_that_is_not_utf8_or_too_long_is_refused(db: object) -> None:
    make_model()
    shop = make_shop()
    with force_locale("en"), pytest.raises(BatchInvalid, match="line 2: the file is not UTF-8"):
        create_units_from_csv(shop, b"gtin,serial,sold_on\n" + GTIN.encode() + b",\xe9,\n")
    rows = "".join(f"{GTIN},S{i},\n" for i in range(MAX_BATCH_ROWS + 1))
    errors = errors_of(db, shop, "gtin,serial,sold_on\n" + rows)
    assert f"more than {MAX_BATCH_ROWS} rows" in errors[0][1]
    assert count(Unit) == 0
