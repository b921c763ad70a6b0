"""The audit log: staff actions on protocols and units are recorded and shown to admins only."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from maintenance.extensions import db as _db
from maintenance.models import AuditEvent, ProtocolVersion
from maintenance.services.audit import list_events
from maintenance.services.protocols import load_protocol
from maintenance.services.protocols.publish import publish_protocol
from tests.builders import GTIN, make_model, protocol_yaml
from tests.conftest import csrf_token


def events() -> list[tuple[str, str, str]]:
    """(actor, action, subject) of every entry, oldest first."""
    _db.session.expire_all()
    rows = _db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(row.actor, row.action, row.subject) for row in rows]


def test_publishing_records_who_published_which_version(
    client: FlaskClient, db: object, make_user: object, token_for: object
) -> None:
    maker = make_user(role="manufacturer", organisation="Maker A", email="maker@example.com")
    response = client.post("/api/v1/protocols", data=protocol_yaml(), headers=token_for(maker))
    assert response.status_code == 201
    version = db.session.scalar(select(ProtocolVersion))
    assert events() == [("maker@example.com", "protocol.publish", f"protocol_version:{version.id}")]
    # Publishing the same content again changes nothing, so it records nothing either.
    client.post("/api/v1/protocols", data=protocol_yaml(), headers=token_for(maker))
    assert len(events()) == 1
    event = db.session.scalar(select(AuditEvent))
    assert event.details == {"protocol": version.protocol_id, "number": 1}
    assert event.user_id == maker.id and event.organisation_id == maker.organisation_id


def test_the_command_line_is_recorded_as_the_system(db: object) -> None:
    publish_protocol(load_protocol(protocol_yaml().encode(), filename="x.json"))
    assert [(actor, action) for actor, action, _ in events()] == [("system", "protocol.publish")]


def test_creating_printing_and_voiding_units_through_the_api_is_recorded(
    client: FlaskClient, db: object, make_user: object, token_for: object
) -> None:
    make_model()
    shop = token_for(make_user(role="retailer", organisation="Shop A", email="till@example.com"))
    unit_id = client.post("/api/v1/units", json={"gtin": GTIN}, headers=shop).json["id"]
    labels = {"units": [unit_id], "layout": "62mm"}
    assert client.post("/api/v1/labels", json=labels, headers=shop).status_code == 200
    assert client.post(f"/api/v1/units/{unit_id}/void", headers=shop).status_code == 200
    # Voiding twice is one action.
    assert client.post(f"/api/v1/units/{unit_id}/void", headers=shop).status_code == 200
    subject = f"unit:{unit_id}"
    assert events() == [
        ("till@example.com", "unit.create", subject),
        ("till@example.com", "unit.print", subject),
        ("till@example.com", "unit.void", subject),
    ]
    printed = list_events(action="unit.print")[0]
    assert printed.details == {"layout": "62mm"}


def test_a_csv_batch_from_the_till_records_the_batch_and_the_print(
    client: FlaskClient, db: object, make_user: object, login: object
) -> None:
    make_model()
    login(make_user(role="retailer", organisation="Shop A", email="shop@example.com"))
    csv = f"gtin,serial,sold_on\n{GTIN},SN1,2025-01-01\n{GTIN},SN2,2025-01-02\n".encode()
    data = {
        "csrf_token": csrf_token(client, "/retailer/batch"),
        "layout": "a4-3x8",
        "file": (io.BytesIO(csv), "units.csv"),
    }
    response = client.post("/retailer/batch", data=data, content_type="multipart/form-data")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert events() == [
        ("shop@example.com", "unit.batch", "units:2"),
        ("shop@example.com", "unit.print", "units:2"),
    ]
    batch = list_events(action="unit.batch")[0]
    assert len(batch.details["ids"]) == 2


def test_a_refused_action_leaves_no_entry(
    client: FlaskClient, db: object, make_user: object, token_for: object
) -> None:
    shop = token_for(make_user(role="retailer"))
    response = client.post("/api/v1/units", json={"gtin": GTIN}, headers=shop)
    assert response.status_code == 422  # no such model yet
    assert events() == []


@pytest.fixture
def admin(client: FlaskClient, make_user: object, login: object) -> FlaskClient:
    """A logged-in admin."""
    login(make_user(role="admin", organisation="Coordinator"))
    return client


def test_the_admin_sees_the_log_newest_first_with_a_filter(
    admin: FlaskClient, db: object, make_user: object, token_for: object
) -> None:
    make_model()
    shop = token_for(make_user(role="retailer", email="till@example.com"))
    unit_id = admin.post("/api/v1/units", json={"gtin": GTIN}, headers=shop).json["id"]
    admin.post(f"/api/v1/units/{unit_id}/void", headers=shop)
    page = admin.get("/admin/audit", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "till@example.com" in html
    assert html.index("<td>unit.void</td>") < html.index("<td>unit.create</td>")
    only_voids = admin.get("/admin/audit?action=unit.void").get_data(as_text=True)
    assert f"unit:{unit_id}" in only_voids and "<td>unit.create</td>" not in only_voids


def test_the_log_pages_back_with_a_cursor(admin: FlaskClient, db: object) -> None:
    from maintenance.services.audit import record

    for n in range(60):
        record("unit.void", f"unit:{1000 + n}")
    first = admin.get("/admin/audit").get_data(as_text=True)
    assert "unit:1059" in first and "unit:1010" in first and "unit:1009" not in first
    [link] = re.findall(r'href="(/admin/audit\?before=\d+)"', first)
    older = admin.get(link).get_data(as_text=True)
    assert "unit:1009" in older and "unit:1000" in older and "unit:1010" not in older
    assert "before=" not in older  # the last page links no further


def test_only_admins_see_the_log(
    client: FlaskClient, db: object, make_user: object, login: object
) -> None:
    assert client.get("/admin/audit").status_code == 302  # to the login page
    login(make_user(role="retailer"))
    assert client.get("/admin/audit").status_code == 403
