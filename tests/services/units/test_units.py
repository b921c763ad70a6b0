"""The unit service: create, reprint on a second scan, conflicts, unit codes, void."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from maintenance.models import Unit
from maintenance.services.identifiers import UNIT_CODE_ALPHABET, UNIT_CODE_LENGTH
from maintenance.services.units.create import create_unit, register_unit_from_scan, void_unit
from maintenance.services.units.errors import UnitConflict, UnitError, UnitNotFound, UnknownModel
from maintenance.services.units.find import find_unit, get_unit_for
from maintenance.services.units.printing import label_data, print_labels, unit_link
from tests.builders import GTIN, UNKNOWN_GTIN, count, make_model, make_shop

AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # the service's default time zone
# A sale date in the future on any day the suite runs.
FAR_FUTURE = date(2100, 1, 1)


def test_a_unit_with_a_serial_gets_its_digital_link(db: object) -> None:
    make_model()
    shop = make_shop()
    # A GTIN-13 as printed under the barcode is padded to 14 digits.
    result = create_unit(shop, GTIN[1:], "SN-123", sold_on=date(2025, 3, 1), retailer_ref="R9")
    assert result.created
    unit = result.unit
    assert (unit.gtin, unit.serial, unit.unit_code) == (GTIN, "SN-123", None)
    assert unit.retailer_id == shop.id and unit.retailer_ref == "R9"
    assert unit.labels_printed == 1
    assert unit_link(unit) == f"http://localhost/01/{GTIN}/21/SN-123"
    assert find_unit(GTIN, serial="SN-123") is unit


def test_without_a_serial_a_unit_code_is_issued_and_the_sale_date_is_today(db: object) -> None:
    make_model()
    shop = make_shop()
    first = create_unit(shop, GTIN).unit
    second = create_unit(shop, GTIN, serial="  ").unit
    for unit in (first, second):
        assert unit.serial is None
        assert len(unit.unit_code) == UNIT_CODE_LENGTH
        assert set(unit.unit_code) <= set(UNIT_CODE_ALPHABET)
        # Sold on the day it was registered, in the service's time zone.
        assert unit.sold_on == unit.created_at.astimezone(AMSTERDAM).date()
    assert first.unit_code != second.unit_code
    assert unit_link(first) == f"http://localhost/01/{GTIN}/235/{first.unit_code}"


def test_an_unknown_gtin_or_a_bad_one_is_refused_with_a_reason(db: object) -> None:
    make_model()
    shop = make_shop()
    # Messages are worded in the language of the moment (outside a request: Dutch).
    with force_locale("en"):
        with pytest.raises(UnknownModel, match="no appliance model with GTIN"):
            create_unit(shop, UNKNOWN_GTIN, "SN1")
        with pytest.raises(UnitError, match="wrong check digit"):
            create_unit(shop, GTIN[:-1] + str((int(GTIN[-1]) + 1) % 10), "SN1")
        with pytest.raises(UnitError, match="contains a space"):
            create_unit(shop, GTIN, "SN 1")
        with pytest.raises(UnitError, match="in the future"):
            create_unit(shop, GTIN, "SN1", sold_on=FAR_FUTURE)
    with pytest.raises(UnitError, match="ligt in de toekomst"):
        create_unit(shop, GTIN, "SN1", sold_on=FAR_FUTURE)
    assert count(Unit) == 0


def test_the_same_shop_scanning_again_gets_the_same_unit_for_a_reprint(db: object) -> None:
    make_model()
    shop = make_shop()
    first = create_unit(shop, GTIN, "SN1").unit
    again = create_unit(shop, GTIN, "SN1")
    assert not again.created
    assert again.unit.id == first.id
    assert again.unit.labels_printed == 2
    assert count(Unit) == 1


def test_another_shop_cannot_register_the_same_serial(db: object) -> None:
    make_model()
    create_unit(make_shop(name="Shop A"), GTIN, "SN1")
    with force_locale("en"), pytest.raises(UnitConflict, match="already registered by another"):
        create_unit(make_shop(name="Shop B"), GTIN, "SN1")


def test_a_voided_unit_is_reactivated_when_its_shop_registers_it_again(db: object) -> None:
    make_model()
    shop = make_shop()
    unit = create_unit(shop, GTIN, "SN1").unit
    void_unit(unit)
    assert unit.voided_at is not None
    assert create_unit(shop, GTIN, "SN1").unit.voided_at is None


def test_a_unit_an_owner_registered_from_a_scan_is_taken_over_by_the_shop(db: object) -> None:
    make_model()
    scanned = register_unit_from_scan(GTIN, "SN1")
    assert scanned.retailer_id is None
    assert register_unit_from_scan(GTIN, "SN1").id == scanned.id
    shop = make_shop()
    result = create_unit(shop, GTIN, "SN1")
    assert result.unit.id == scanned.id and result.unit.retailer_id == shop.id


def test_register_from_scan_needs_a_known_gtin_and_an_active_unit(db: object) -> None:
    make_model()
    with pytest.raises(UnknownModel):
        register_unit_from_scan(UNKNOWN_GTIN, "SN1")
    void_unit(create_unit(make_shop(), GTIN, "SN2").unit)
    with force_locale("en"), pytest.raises(UnitConflict, match="withdrawn"):
        register_unit_from_scan(GTIN, "SN2")


def test_another_shops_unit_is_not_found_for_a_retailer(db: object, make_user: object) -> None:
    make_model()
    alice = make_user(role="retailer", organisation="Shop A")
    bob = make_user(role="retailer", organisation="Shop B")
    admin = make_user(role="admin")
    unit = create_unit(alice.organisation, GTIN, "SN1").unit
    assert get_unit_for(alice, unit.id) is unit
    assert get_unit_for(admin, unit.id) is unit
    with pytest.raises(UnitNotFound):
        get_unit_for(bob, unit.id)
    with pytest.raises(UnitNotFound):
        get_unit_for(alice, unit.id + 1000)


def test_the_label_speaks_the_shops_language(db: object) -> None:
    make_model(brand="Voorbeeld", name="WM 8000 Eco")
    dutch = create_unit(make_shop(name="Winkel", language="nl"), GTIN, "SN1").unit
    english = create_unit(make_shop(name="Shop", language="en"), GTIN).unit
    label = label_data(dutch, dutch.retailer.language)
    assert label.hint == "Scan voor onderhoudstips en herinneringen"
    assert (label.brand, label.model, label.code_text) == ("Voorbeeld", "WM 8000 Eco", "S/N SN1")
    label = label_data(english, english.retailer.language)
    assert label.hint == "Scan for maintenance tips and reminders"
    assert label.code_text == f"Code {english.unit_code}"


def test_printing_counts_labels_and_refuses_voided_units(db: object) -> None:
    make_model()
    shop = make_shop()
    unit = create_unit(shop, GTIN, "SN1").unit
    pdf = print_labels([unit], "62mm")
    assert pdf.startswith(b"%PDF")
    assert unit.labels_printed == 2
    void_unit(unit)
    with force_locale("en"), pytest.raises(UnitError, match="voided"):
        print_labels([unit], "62mm")
    with pytest.raises(UnitError, match="start_at"):
        print_labels([create_unit(shop, GTIN, "SN2").unit], "a4-3x8", start_at=99)
