"""'Still not right?' offers the partners and repair cafés covering the owner's postcode."""

from __future__ import annotations

from maintenance.services.identifiers import DigitalLink
from maintenance.services.partners.profiles import Postcode
from maintenance.services.repair import find_subject, repair_options
from tests.services.partners.conftest import partner


def test_repair_cafes_and_partners_nearby_are_offered_before_the_maker(planned) -> None:
    unit, _owner = planned
    partner("Repair Café Oost", repair_cafe=True, opening_days="first Saturday", free=True)
    partner("Utrecht Service", categories=[])
    partner("Amsterdam Service", areas=["1000-1099"])
    link = DigitalLink(unit.gtin, serial=unit.serial)
    nearby = repair_options(find_subject(link, postcode=Postcode("NL", 3511)))
    assert [(o.kind, o.name) for o in nearby] == [
        ("repair-cafe", "Repair Café Oost"),
        ("partner", "Utrecht Service"),
        ("manufacturer", "Testmerk"),
    ]
    assert (nearby[0].opening_days, nearby[0].free) == ("first Saturday", True)
    without = repair_options(find_subject(link))
    assert [o.kind for o in without] == ["manufacturer"]
