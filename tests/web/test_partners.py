"""The owner asks a partner for a visit from a professional task; the partner answers."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from flask.testing import FlaskClient

from maintenance.extensions import db
from maintenance.models import Owner, RepairOutcome, ServiceRequest, Unit
from maintenance.services.partners.profiles import approve_partner, profile_named, register_partner
from maintenance.services.partners.requests import decline_request
from maintenance.services.protocols import load_protocol
from maintenance.services.protocols.publish import publish_protocol
from tests.builders import (
    GTIN,
    make_planned_unit,
    make_request,
    make_unit,
    professional_protocol,
    set_due,
)
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
    assert "Leaks a little" in mail.messages[-1].get_body(("plain",)).get_content()

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
    assert "Tuesday morning" in mail.messages[-1].get_body(("plain",)).get_content()
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
    sent = make_request(
        owner=owner,
        unit=unit,
        partner_id=partner.organisation_id,
        postcode="3511AB",
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


# --- "my appliances", the inbox's words, the remembered postcode ------------------------------

NL = {"Accept-Language": "nl"}


def test_my_appliances_links_a_partner_for_due_professional_tasks_only(
    client: FlaskClient, mail, ctx
) -> None:
    unit = make_planned_unit(date(2026, 3, 2), professional=("check-hoses", "refill-salt"))
    sign_in(client, mail)
    # Whatever today is: long overdue, or far ahead.
    set_due(unit, clean_filter=date(2000, 1, 1), check_hoses=date(2000, 1, 1))

    page = client.get("/me", headers=EN).get_data(as_text=True)

    links = re.findall(r'href="([^"]+)">Find a service partner', page)
    assert links == [f"/me/units/{unit.id}/tasks/check-hoses/partners"]
    assert client.get(links[0], headers=EN).status_code == 200


def _request(status: str) -> None:
    owner = db.session.query(Owner).one()
    unit = db.session.query(Unit).one()
    partner = profile_named("Utrecht Service")
    sent = make_request(
        owner=owner,
        unit=unit,
        partner_id=partner.organisation_id,
        postcode="3511AB",
        now=datetime(2026, 1, 5, 9, tzinfo=UTC),
    )
    if status == "declined":
        decline_request(sent, "No one free", datetime(2026, 1, 5, 10, tzinfo=UTC))


@pytest.mark.parametrize(
    ("headers", "status", "task"),
    [
        (EN, "declined", "Have the hoses checked"),
        (NL, "afgewezen", "Slangen laten controleren"),
        (EN, "open", "Have the hoses checked"),
        (NL, "open", "Slangen laten controleren"),
    ],
)
def test_the_inbox_speaks_the_page_language(
    owner_client, partner_client, headers: dict[str, str], status: str, task: str
) -> None:
    _request("declined" if status in ("declined", "afgewezen") else "open")

    page = partner_client.get("/partner/requests", headers=headers).get_data(as_text=True)

    assert f'<strong class="status">{status}</strong>' in page
    assert task in page and "check-hoses</p>" not in page


def _ask(client: FlaskClient, **extra: str):
    path = unit_page(client)
    find = f"{path}/tasks/check-hoses/partners"
    listing = client.get(f"{find}?postcode=3511AB", headers=EN).get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(client, f"{find}?postcode=3511AB"),
        "postcode": "3511AB",
        "partner": re.search(r'name="partner" value="(\d+)"', listing).group(1),
        "consent": "yes",
        **extra,
    }
    assert client.post(find, data=form, headers=EN).status_code == 303
    return find


def _stored_postcode() -> str | None:
    db.session.expire_all()
    return db.session.query(Owner).one().postcode


def test_the_postcode_is_not_kept_without_the_tick(owner_client, partner_client) -> None:
    find = _ask(owner_client)

    assert _stored_postcode() is None
    listing = owner_client.get(f"{find}?postcode=3511AB", headers=EN).get_data(as_text=True)
    assert 'name="remember_postcode" value="yes">' in listing  # offered, not ticked
    page = owner_client.get(find, headers=EN).get_data(as_text=True)
    assert 'id="postcode" name="postcode" value=""' in page
    settings = owner_client.get("/me/settings", headers=EN).get_data(as_text=True)
    assert "We keep no postcode for you" in settings
    assert json.loads(owner_client.get("/me/export").data)["owner"]["postcode"] is None


def test_a_kept_postcode_is_filled_in_shown_exported_and_forgotten(
    owner_client, partner_client
) -> None:
    find = _ask(owner_client, remember_postcode="yes")

    assert _stored_postcode() == "3511AB"
    page = owner_client.get(find, headers=EN).get_data(as_text=True)
    assert 'id="postcode" name="postcode" value="3511AB"' in page
    assert json.loads(owner_client.get("/me/export").data)["owner"]["postcode"] == "3511AB"
    settings = owner_client.get("/me/settings", headers=EN).get_data(as_text=True)
    assert "You asked us to remember your postcode: 3511AB" in settings

    token = csrf_token(owner_client, "/me/settings")
    forgot = owner_client.post("/me/settings/postcode", data={"csrf_token": token}, headers=EN)

    assert forgot.status_code == 303 and _stored_postcode() is None
    page = owner_client.get(find, headers=EN).get_data(as_text=True)
    assert 'id="postcode" name="postcode" value=""' in page


def test_delete_me_erases_the_kept_postcode(owner_client, partner_client) -> None:
    _ask(owner_client, remember_postcode="yes")
    assert _stored_postcode() == "3511AB"

    token = csrf_token(owner_client, "/me/delete")
    assert owner_client.post("/me/delete", data={"csrf_token": token}).status_code == 303

    db.session.expire_all()
    assert db.session.query(Owner).filter(Owner.postcode.is_not(None)).count() == 0
    assert db.session.query(ServiceRequest).one().postcode is None


def test_partner_staff_start_at_their_inbox_and_find_their_pages(app, make_user) -> None:
    profile = register_partner("Desk Service", areas=["3500-3599"], email="desk@ds.nl")
    approve_partner(profile, datetime(2026, 1, 1, tzinfo=UTC))
    user = make_user(role="partner", organisation="Desk Service")
    staff = app.test_client()
    token = csrf_token(staff, "/login")
    form = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    assert staff.post("/login", data=form).location == "/partner/requests"
    inbox = staff.get("/partner/requests").get_data(as_text=True)  # staff pages: Dutch
    assert 'href="/partner/requests">Serviceverzoeken</a>' in inbox
    assert staff.get("/dashboards/").location == "/partner/figures"
    integrations = staff.get("/organisation/", follow_redirects=True)
    page = integrations.get_data(as_text=True)
    assert integrations.status_code == 200
    assert "service_request.created, service_request.withdrawn" in page
    assert "unit.registered" not in page
