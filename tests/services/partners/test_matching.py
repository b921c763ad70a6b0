"""Finding partners: postcode areas (NL and BE), category and task, the selling shop first."""

from __future__ import annotations

import pytest

from maintenance.services.partners.matching import find_partners
from maintenance.services.partners.profiles import (
    PartnerError,
    Postcode,
    parse_areas,
    parse_postcode,
    register_partner,
)
from tests.builders import make_shop
from tests.services.partners.conftest import partner, sold_by


def names(matches) -> list[str]:
    return [match.name for match in matches]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3511 AB", Postcode("NL", 3511)),
        ("3511ab", Postcode("NL", 3511)),
        ("be 2000", Postcode("BE", 2000)),
        ("B-2000", Postcode("BE", 2000)),
    ],
)
def test_dutch_and_belgian_postcodes_are_read(text: str, expected: Postcode) -> None:
    assert parse_postcode(text) == expected


@pytest.mark.parametrize("text", ["", "351", "0123 AB", "BE 2000 AB", "35111"])
def test_a_postcode_that_is_none_is_refused(text: str) -> None:
    with pytest.raises(PartnerError) as error:
        parse_postcode(text)
    assert error.value.field == "postcode"


def test_areas_are_ranges_or_single_areas_per_country() -> None:
    assert parse_areas(["1000-1099", "NL:3500", "be:2000-2999"]) == [
        ("NL", 1000, 1099),
        ("NL", 3500, 3500),
        ("BE", 2000, 2999),
    ]
    with pytest.raises(PartnerError, match=r"areas\[1\]"):
        parse_areas(["1000-1099", "1099-1000"])


def test_only_approved_partners_covering_the_postcode_and_category_are_found(planned) -> None:
    unit, _owner = planned
    partner("Utrecht Service")
    partner("Waiting Service", approved=False)
    partner("Amsterdam Service", areas=["1000-1099"])
    partner("Fridge Only", categories=["fridge-freezer"])
    partner("Antwerp Service", areas=["BE:3500-3599"])
    assert names(find_partners(unit, "check-hoses", Postcode("NL", 3511))) == ["Utrecht Service"]
    assert names(find_partners(unit, "check-hoses", Postcode("BE", 3520))) == ["Antwerp Service"]


def test_a_partner_with_task_ids_is_found_only_for_those_tasks(planned) -> None:
    unit, _owner = planned
    partner("Hoses Only", task_ids=["check-hoses"])
    here = Postcode("NL", 3511)
    assert names(find_partners(unit, "check-hoses", here)) == ["Hoses Only"]
    assert names(find_partners(unit, "refill-salt", here)) == []


def test_the_shop_that_sold_it_comes_first_then_authorised_partners(planned) -> None:
    unit, _owner = planned
    partner("A Service")
    partner("B Authorised", brands=["Testmerk"])
    make_shop(name="Z Shop")
    shop = partner("Z Shop")
    sold_by(unit, shop)
    matches = find_partners(unit, "check-hoses", Postcode("NL", 3511))
    assert names(matches) == ["Z Shop", "B Authorised", "A Service"]
    assert [(m.sold_it, m.authorised) for m in matches] == [
        (True, False),
        (False, True),
        (False, False),
    ]


def test_a_partner_needs_a_way_to_be_booked(ctx) -> None:
    with pytest.raises(PartnerError, match="booking_url"):
        register_partner("X", areas=["3500"], booking_mode="url", booking_url="http://x.nl")
    with pytest.raises(PartnerError, match="email"):
        register_partner("X", areas=["3500"])
