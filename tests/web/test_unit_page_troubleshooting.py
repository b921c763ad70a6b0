"""'Something is wrong?' on the unit and model pages, and 'Still not right?': the repair options."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from maintenance.db.transactions import transactional
from maintenance.extensions import limiter
from maintenance.models import Organisation, Unit
from maintenance.services import repair
from maintenance.services.accounts import get_or_create_organisation
from maintenance.services.protocols import load_protocol
from maintenance.services.protocols.publish import publish_protocol
from maintenance.services.repair import RepairOption, RepairSubject
from maintenance.web.visitors import OWNER_SESSION_KEY
from tests.builders import GTIN, make_model, make_unit, unit_path

ENGLISH = {"Accept-Language": "en"}
DUTCH = {"Accept-Language": "nl"}


@pytest.fixture(autouse=True)
def _fresh_limits(app) -> None:
    limiter.reset()


@transactional
def sold_by(unit: Unit, shop: str) -> None:
    unit.retailer = get_or_create_organisation(shop, "retailer")


@transactional
def with_unit_code(unit: Unit, code: str) -> None:
    unit.serial, unit.unit_code = None, code


def symptom(page: str, symptom_id: str) -> str:
    """The list item of one symptom on a page."""
    match = re.search(rf'<li class="task" id="symptom-{symptom_id}">(.*?)</details>', page, re.S)
    assert match, symptom_id
    return match.group(1)


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def test_the_unit_page_lists_the_symptoms_with_checks_and_related_tasks(
    client: FlaskClient, library, db
) -> None:
    make_unit()
    page = client.get(unit_path(), headers=ENGLISH).get_data(as_text=True)
    assert "Something is wrong?" in page
    titles = re.findall(
        r'id="symptom-[^"]+">\s*<details>\s*<summary><span class="task-title">'
        r"([^<]+)</span>",
        page,
    )
    assert titles == [
        "Dishes do not come out clean",
        "Water stays in the bottom",
        "White film or spots on glasses and dishes",
        "Water in front of or under the machine",
        "The dishwasher smells bad",
    ]
    drain = symptom(page, "does-not-drain")
    assert "Switch the machine off and unplug it." in drain  # safety first
    checks = re.findall(r"<li>([^<]+)</li>", drain)
    assert checks[0].startswith("Scoop the water out") and len(checks) == 4
    assert '<a href="#task-clean-filter">Clean the filter</a>' in drain
    assert 'id="task-clean-filter"' in page  # the link has somewhere to go
    assert "call a technician" in drain
    # "Still not right?" names this very unit and symptom.
    assert hidden_fields(drain) == {"gtin": GTIN, "serial": "SN0001", "symptom": "does-not-drain"}
    assert 'action="/repair"' in drain and "Still not right?" in drain


def test_the_symptoms_are_in_the_visitors_language(client: FlaskClient, library, db) -> None:
    make_unit()
    page = client.get(unit_path(), headers=DUTCH).get_data(as_text=True)
    assert "Er is iets mis?" in page
    drain = symptom(page, "does-not-drain")
    assert "Er blijft water in de bodem staan" in drain
    assert "Schep het water eruit" in drain and "Filter reinigen" in drain
    assert "Scoop the water" not in page


def test_a_signed_in_owner_sees_them_too_with_the_units_own_code(
    client: FlaskClient, library, db
) -> None:
    with_unit_code(make_unit(), "4679ACDEFG")
    with client.session_transaction() as session:
        session[OWNER_SESSION_KEY] = 1
    page = client.get(f"/01/{GTIN}/235/4679ACDEFG", headers=ENGLISH).get_data(as_text=True)
    fields = hidden_fields(symptom(page, "not-cleaning"))
    assert fields == {"gtin": GTIN, "code": "4679ACDEFG", "symptom": "not-cleaning"}


def test_the_model_page_shows_them_and_the_protocol_page_too(
    client: FlaskClient, library, db
) -> None:
    make_model()
    page = client.get(f"/01/{GTIN}", headers=ENGLISH).get_data(as_text=True)
    drain = symptom(page, "does-not-drain")
    assert "Scoop the water out" in drain and '<a href="#task-clean-filter">' in drain
    assert hidden_fields(drain) == {"gtin": GTIN, "symptom": "does-not-drain"}
    protocol = client.get(
        f"/protocols/v/{_library_version_id(db, 'dishwasher')}", headers=ENGLISH
    ).get_data(as_text=True)
    assert "Scoop the water out" in symptom(protocol, "does-not-drain")
    assert 'action="/repair"' not in protocol  # no appliance named: nothing to repair yet


def _library_version_id(db, category: str) -> int:
    from maintenance.models import Protocol

    protocol = db.session.scalar(
        select(Protocol).where(Protocol.category == category, Protocol.organisation_id.is_(None))
    )
    return protocol.current.id


def test_a_protocol_without_troubleshooting_shows_no_section(
    client: FlaskClient, library, db
) -> None:
    make_model(category="oven", gtin="08712345000011")
    page = client.get("/01/08712345000011/21/X1", headers=ENGLISH).get_data(as_text=True)
    assert "Clean" in page and "Something is wrong?" not in page
    assert "Who can repair it" in page  # the repair options are still offered under Questions


def test_still_not_right_offers_the_shop_and_the_manufacturer(
    client: FlaskClient, library, db
) -> None:
    sold_by(make_unit(), "Witgoed Centrum")
    response = client.get(
        f"/repair?gtin={GTIN}&serial=SN0001&symptom=does-not-drain", headers=ENGLISH
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Water stays in the bottom" in page and "call a technician" in page
    assert "The shop that sold it: Witgoed Centrum" in page
    assert "The manufacturer: Testmerk" in page
    # The shop comes first.
    assert page.index("Witgoed Centrum") < page.index("The manufacturer: Testmerk")
    assert "Look for the service or contact page" in page  # the library names no contact
    assert f'href="/01/{GTIN}/21/SN0001#symptom-does-not-drain"' in page


def test_the_makers_own_protocol_gives_its_service_contact(
    client: FlaskClient, library, db
) -> None:
    make_unit()
    maker = db.session.scalar(select(Organisation).where(Organisation.name == "Test Appliances"))
    text = f"""\
format: maintenance-protocol/1
category: dishwasher
applies_to:
  manufacturer: Test Appliances
  models: [{{gtin: "{GTIN}", name: VW 100}}]
title: {{nl: Onderhoud, en: Care}}
service: {{url: "https://example.com/service?model=vw100", phone: "+31 20 123 4567"}}
tasks:
  - id: clean-filter
    title: {{nl: Filter reinigen, en: Clean the filter}}
    why: {{nl: Schoon., en: Clean.}}
    every: P1M
    difficulty: easy
    steps: [{{nl: Spoel het filter., en: Rinse the filter.}}]
"""
    publish_protocol(load_protocol(text), organisation=maker)
    page = client.get(f"/repair?gtin={GTIN}&serial=SN0001", headers=ENGLISH)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "The shop that sold it" not in html  # no shop known
    assert 'href="https://example.com/service?model=vw100"' in html
    assert 'href="tel:+31201234567">+31 20 123 4567</a>' in html
    # The maker's protocol has no troubleshooting section: the unit page offers none.
    unit_page = client.get(unit_path(), headers=ENGLISH).get_data(as_text=True)
    assert "Something is wrong?" not in unit_page and "Who can repair it" in unit_page


def test_a_serial_no_shop_registered_still_gets_the_manufacturer(
    client: FlaskClient, library, db
) -> None:
    make_model()
    page = client.get(f"/repair?gtin={GTIN}&serial=NEW1", headers=ENGLISH)
    assert page.status_code == 200
    assert "The manufacturer: Testmerk" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("gtin=123", 400, "This is not a valid product code"),
        ("", 400, "This is not a valid product code"),
        (f"gtin={GTIN}&serial=A&code=B", 400, "give serial or code, not both"),
        (f"gtin={GTIN}&serial=a%20b", 400, "the serial number contains a space"),
        (f"gtin={GTIN}&symptom=Not_Good", 400, "symptom must be a symptom id"),
        ("gtin=08712345000028", 404, "We could not find that page."),
        (f"gtin={GTIN}&code=4679ACDEFG", 404, "We could not find that page."),
    ],
)
def test_bad_repair_queries_get_a_clear_4xx(
    client: FlaskClient, library, db, query: str, status: int, words: str
) -> None:
    make_model()
    response = client.get(f"/repair?{query}", headers=ENGLISH)
    assert response.status_code == status
    assert words in response.get_data(as_text=True)


def test_an_unknown_symptom_is_left_out_not_refused(client: FlaskClient, library, db) -> None:
    make_unit()
    page = client.get(f"/repair?gtin={GTIN}&serial=SN0001&symptom=gone", headers=ENGLISH)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "When to stop" not in html
    assert f'href="/01/{GTIN}/21/SN0001"' in html


def test_a_later_provider_adds_its_options_after_the_known_ones(
    client: FlaskClient, library, db, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The hook service partners and repair cafés will use: one more provider in PROVIDERS.
    def repair_cafe(subject: RepairSubject) -> list[RepairOption]:
        return [RepairOption("repair-cafe", f"Repair Café for {subject.model.category}")]

    monkeypatch.setattr(repair, "PROVIDERS", [*repair.PROVIDERS, repair_cafe])
    make_unit()
    page = client.get(f"/repair?gtin={GTIN}&serial=SN0001", headers=ENGLISH).get_data(as_text=True)
    assert "Repair Café for dishwasher" in page
    assert page.index("The manufacturer: Testmerk") < page.index("Repair Café for dishwasher")
