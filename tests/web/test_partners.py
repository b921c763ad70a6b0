"""The owner asks a partner for a visit from a professional task; the partner answers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from maintenance.extensions import db
from maintenance.models import Owner, RepairOutcome, Unit
from maintenance.services.partners.profiles import approve_partner, profile_named, register_partner
from maintenance.services.partners.requests import create_request
from maintenance.services.protocols import load_protocol
from maintenance.services.protocols.publish import publish_protocol
from tests.builders import GTIN, make_unit, professional_protocol
from tests.conftest import EN, PASSWORD, csrf_token, sign_in


@pytest.fixture
def owner_client(client: FlaskClient, mail, ctx) -> FlaskClient:
    publish_protocol(load_protocol(professional_protocol().encode(), filename="p.json"))
    make_unit()
    sign_in(client, mail)
    return client


@pytest.fixture
def partner_client(app, make_user) -> FlaskClient:
    profile = register_partner(
        "Utrecht Service", areas=["3500-3599"], categories=["dishwasher"], email="desk@us.nl"
    )
    approve_partner(profile, datetime(2026, 1, 1, tzinfo=UTC))
    user = make_user(role="partner", organisation="Utrecht Service")
    staff = app.test_client()
    token = csrf_token(staff, "/login")
    staff.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    return staff


def unit_page(client: FlaskClient) -> str:
    mine = client.get("/me", headers=EN).get_data(as_text=True)
    path = re.search(r'href="(/me/units/\d+)"', mine).group(1)
    return path


def test_owner_finds_a_partner_asks_and_gets_answers(owner_client, partner_client, mail) -> None:
    path = unit_page(owner_client)
    page = owner_client.get(path, headers=EN).get_data(as_text=True)
    find = re.search(r'href="([^"]+/partners)">Find a service partner', page).group(1)
    listing = owner_client.get(f"{find}?postcode=3511AB", headers=EN).get_data(as_text=True)
    assert "Utrecht Service" in listing
    partner_id = re.search(r'name="partner" value="(\d+)"', listing).group(1)
    form = {
        "csrf_token": csrf_token(owner_client, f"{find}?postcode=3511AB"),
        "postcode": "3511AB",
        "partner": partner_id,
        "preferred_days": "Mondays",
        "note": "Leaks a little",
    }
    refused = owner_client.post(find, data=form, headers=EN)
    assert refused.status_code == 422 and "tick the box" in refused.get_data(as_text=True)
    sent = owner_client.post(find, data={**form, "consent": "yes"}, headers=EN)
    assert sent.status_code == 303
    assert mail.messages[-1]["To"] == "desk@us.nl"
    assert "Leaks a little" in mail.messages[-1].get_content()

    inbox = partner_client.get("/partner/requests", headers=EN).get_data(as_text=True)
    assert "anna@example.nl" in inbox and "Mondays" in inbox
    number = re.search(r'id="request-(\d+)"', inbox).group(1)
    token = csrf_token(partner_client, "/partner/requests")
    accepted = partner_client.post(
        f"/partner/requests/{number}/accept",
        data={"csrf_token": token, "proposed_time": "Tuesday morning"},
        headers=EN,
    )
    assert accepted.status_code == 303
    assert mail.messages[-1]["To"] == "anna@example.nl"
    assert "Tuesday morning" in mail.messages[-1].get_content()
    inbox = partner_client.get("/partner/requests", headers=EN).get_data(as_text=True)
    visit = re.search(r'name="done_on" type="date" value="([^"]+)"', inbox).group(1)
    done = partner_client.post(
        f"/partner/requests/{number}/done",
        data={"csrf_token": token, "done_on": visit, "note": "New hoses"},
        headers=EN,
    )
    assert done.status_code == 303
    history = owner_client.get(path, headers=EN).get_data(as_text=True)
    assert "done by Utrecht Service" in history


def test_the_partner_gets_a_located_error_for_a_bad_date(owner_client, partner_client) -> None:
    owner = db.session.query(Owner).one()
    unit = db.session.query(Unit).one()
    partner = profile_named("Utrecht Service")
    sent = create_request(
        owner,
        unit.id,
        "check-hoses",
        partner_id=partner.organisation_id,
        postcode="3511AB",
        consent=True,
        now=datetime(2026, 1, 5, 9, tzinfo=UTC),
    )
    token = csrf_token(partner_client, "/partner/requests")
    response = partner_client.post(
        f"/partner/requests/{sent.id}/done",
        data={"csrf_token": token, "done_on": "soon"},
        headers=EN,
    )
    assert response.status_code == 422
    assert 'id="error-done_on"' in response.get_data(as_text=True)


def test_other_staff_cannot_open_the_inbox(client, login, make_user) -> None:
    login(make_user(role="retailer"))
    assert client.get("/partner/requests").status_code == 403


def test_a_visitor_tells_how_the_repair_ended(client: FlaskClient, ctx) -> None:
    make_unit()
    page = client.get(f"/repair?gtin={GTIN}&serial=SN0001", headers=EN).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', page).group(1).replace("&amp;", "&")
    missing = client.post(action, data={"outcome": "not-repairable"}, headers=EN)
    assert missing.status_code == 422
    assert "say why it could not be repaired" in missing.get_data(as_text=True)
    told = client.post(
        action, data={"outcome": "not-repairable", "barrier": "parts-unavailable"}, headers=EN
    )
    assert told.status_code == 303 and told.location.endswith("/21/SN0001")
    outcome = db.session.query(RepairOutcome).one()
    assert (outcome.outcome, outcome.barrier) == ("not-repairable", "parts-unavailable")
