"""Repair outcomes: anonymous, exported in ORDS fields and code lists, small counts left out."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path

import pytest

from maintenance.services.partners.outcomes import (
    BARRIERS,
    ORDS_CATEGORIES,
    ords_csv,
    record_outcome,
)
from maintenance.services.partners.profiles import PartnerError
from tests.builders import gtin, make_model, make_unit

ORDS = json.loads((Path(__file__).parents[2] / "data" / "ords_v0_3.json").read_text())
DAY = date(2026, 3, 2)


def exported() -> list[dict[str, str]]:
    text = ords_csv()
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == ORDS["fields"]
    return list(reader)


def test_not_repairable_needs_a_barrier(ctx) -> None:
    model = make_model()
    with pytest.raises(PartnerError) as error:
        record_outcome(model, None, "not-repairable", DAY)
    assert error.value.field == "barrier"
    with pytest.raises(PartnerError):
        record_outcome(model, None, "thrown-away", DAY)


def test_the_export_uses_the_standards_fields_and_code_lists(ctx) -> None:
    unit = make_unit(sold_on=date(2022, 3, 2))
    model = unit.product_model
    for outcome in ("fixed-myself", "repaired-by-partner", "fixed-myself"):
        record_outcome(model, unit, outcome, DAY, symptom_id="does-not-drain")
    record_outcome(model, None, "not-repairable", DAY, barrier="parts-too-expensive")
    record_outcome(model, None, "not-repairable", DAY, barrier="worn-out")
    rows = exported()
    assert [row["repair_status"] for row in rows] == [
        "Fixed",
        "Fixed",
        "Fixed",
        "End of life",
        "End of life",
    ]
    assert {row["repair_status"] for row in rows} <= set(ORDS["repair_status"])
    barriers = [
        row["repair_barrier_if_end_of_life"] for row in rows if row["repair_barrier_if_end_of_life"]
    ]
    assert barriers == ["Spare parts too expensive", "Too worn out"]
    assert set(barriers) <= set(ORDS["repair_barrier"])
    first = rows[0]
    assert ORDS["product_category"][first["product_category_id"]] == first["product_category"]
    assert (first["partner_product_category"], first["product_category"]) == (
        "dishwasher",
        "Large home electrical",
    )
    assert (first["country"], first["event_date"], first["product_age"]) == (
        "NLD",
        "2026-03-02",
        "4.0",
    )


def test_every_value_matches_the_standards_patterns_and_code_lists(ctx) -> None:
    unit = make_unit(sold_on=date(2022, 3, 2))
    for outcome in ("fixed-myself", "repaired-by-partner", "fixed-myself"):
        record_outcome(unit.product_model, unit, outcome, DAY)
    for barrier in BARRIERS:  # every barrier the owner's form offers
        record_outcome(unit.product_model, None, "not-repairable", DAY, barrier=barrier)
    rows = exported()
    assert len(rows) == 3 + len(BARRIERS)
    for row in rows:
        for field, pattern in ORDS["patterns"].items():
            assert re.fullmatch(pattern, row[field]), (field, row[field])
        assert row["repair_status"] in ORDS["repair_status"]
        assert row["repair_barrier_if_end_of_life"] in ["", *ORDS["repair_barrier"]]
    assert {row["repair_barrier_if_end_of_life"] for row in rows} - {""} == set(
        ORDS["repair_barrier"]
    )


@pytest.mark.parametrize("category", sorted(ORDS_CATEGORIES))
def test_each_category_maps_to_an_ords_category_by_its_id_and_text(category: str) -> None:
    category_id, text = ORDS_CATEGORIES[category]
    assert ORDS["product_category"][str(category_id)] == text


def test_a_category_with_fewer_than_five_outcomes_is_left_out(ctx) -> None:
    dishwasher = make_model()
    coffee = make_model(gtin=gtin("871234500041"), category="coffee-machine", name="CM 1")
    for _ in range(5):
        record_outcome(dishwasher, None, "fixed-myself", DAY)
    for _ in range(4):
        record_outcome(coffee, None, "fixed-myself", DAY)
    assert {row["partner_product_category"] for row in exported()} == {"dishwasher"}
