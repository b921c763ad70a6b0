"""Hostile input at the boundary: each of these was a 500 (issue 15, items 12 and 13).

Bad input gets a 4xx that says what is wrong, and stores nothing; NUL characters are refused in
every text input, on SQLite as on PostgreSQL (which cannot store them).
"""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from maintenance.models import Owner, Unit
from tests.builders import GTIN, count, make_model, make_unit, unit_path
from tests.conftest import EN, csrf_token, remind, sign_in

# --- listed 500s -------------------------------------------------------------------------------


def test_a_qr_scale_in_superscript_digits_is_400(client: FlaskClient, db: object) -> None:
    response = client.get(f"/qr/01/{GTIN}.png?scale=²", headers=EN)
    assert response.status_code == 400
    assert "scale must be a whole number" in response.get_data(as_text=True)


@pytest.mark.parametrize("field", [{"hour": "24"}, {"hour": "²"}, {"role": "landlord"}])
def test_a_bad_hour_or_role_on_remind_me_adds_no_unit(
    client: FlaskClient, library, mail, db, field: dict[str, str]
) -> None:
    make_model()
    response = remind(client, "anna@example.nl", serial="NEW1", **field)
    assert response.status_code == 303 and response.location.endswith("#register")
    assert count(Unit) == 0 and count(Owner) == 0
    assert mail.messages == []
    page = client.get(unit_path("NEW1"), headers=EN).get_data(as_text=True)
    assert "Please choose" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"code": unit_path(), "role": "landlord"}, "Please choose how you own"),
        ({"code": "https://[::1/01/1"}, "That is not the web address on an appliance label"),
    ],
)
def test_adding_a_unit_with_a_bad_role_or_address_is_400(
    client: FlaskClient, library, mail, db, fields: dict[str, str], message: str
) -> None:
    make_unit()
    sign_in(client, mail, "anna@example.nl")
    make_unit(serial="SN0002")
    data = {"csrf_token": csrf_token(client, "/me/add"), **fields}
    response = client.post("/me/add", data=data, headers=EN)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "zone", ["Europe", "localtime", "Factory", "posixrules", "x" * 10_000, "US/Pacific"]
)
def test_only_canonical_time_zones_are_accepted(
    client: FlaskClient, library, mail, db, zone: str
) -> None:
    make_unit()
    sign_in(client, mail, "anna@example.nl")
    form = {
        "csrf_token": csrf_token(client, "/me/settings"),
        "channel": "email",
        "language": "en",
        "hour": "9",
        "time_zone": zone,
    }
    response = client.post("/me/settings", data=form, headers=EN)
    assert response.status_code == 400
    assert "Please choose a time zone from the list" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Owner.time_zone)) == "Europe/Amsterdam"
    form["time_zone"] = "Europe/Brussels"
    assert client.post("/me/settings", data=form, headers=EN).status_code == 303


@pytest.mark.parametrize("query", ["to=9999-12", "from=0000-01", "from=0000-01&to=9999-12"])
def test_dashboard_months_beyond_the_calendar_are_ignored(
    client: FlaskClient, db: object, make_user: object, login: object, query: str
) -> None:
    login(make_user(role="manufacturer"))
    assert client.get(f"/dashboards/manufacturer?{query}").status_code == 200


def test_a_batch_starting_at_a_superscript_position_is_422(
    client: FlaskClient, db: object, make_user: object, login: object
) -> None:
    make_model()
    login(make_user(role="retailer", organisation="Shop A"))
    data = {
        "csrf_token": csrf_token(client, "/retailer/batch"),
        "file": (io.BytesIO(f"gtin,serial\n{GTIN},B1\n".encode()), "units.csv"),
        "layout": "a4-3x8",
        "start_at": "²",
    }
    response = client.post(
        "/retailer/batch", data=data, content_type="multipart/form-data", headers=EN
    )
    assert response.status_code == 422
    assert "Start at a position" in response.get_data(as_text=True)
    assert count(Unit) == 0


@pytest.mark.parametrize("before", ["9223372036854775808", "2147483648", "0", "-1"])
def test_an_audit_cursor_beyond_the_id_column_is_400(
    client: FlaskClient, db: object, make_user: object, login: object, before: str
) -> None:
    login(make_user(role="admin", organisation="Coordinator"))
    response = client.get(f"/admin/audit?before={before}", headers=EN)
    assert response.status_code == 400
    assert "before must be an entry number" in response.get_data(as_text=True)
    assert client.get("/admin/audit?before=2147483647").status_code == 200


# --- NUL characters ----------------------------------------------------------------------------


def test_nul_in_a_sign_up_or_login_contact_is_400(client: FlaskClient, library, mail, db) -> None:
    make_unit()
    assert remind(client, "anna\x00@example.nl").status_code == 400
    token = csrf_token(client, "/me/login")
    response = client.post(
        "/me/login", data={"csrf_token": token, "contact": "06\x0012345678"}, headers=EN
    )
    assert response.status_code == 400
    assert "contains a NUL character" in response.get_data(as_text=True)
    assert count(Owner) == 0 and mail.messages == []


@pytest.mark.parametrize(
    "path", ["/calendar/%00.ics", "/admin/audit?action=unit.void%00", "/01/%00", "/?lang=%00"]
)
def test_nul_in_a_path_or_query_is_400(client: FlaskClient, db: object, path: str) -> None:
    response = client.get(path, headers=EN)
    assert response.status_code == 400
    assert "contains a NUL character" in response.get_data(as_text=True)


def test_nul_in_a_shop_reference_is_refused_by_the_api_and_in_a_csv(
    client: FlaskClient, db: object, make_user: object, token_for: object, login: object
) -> None:
    make_model()
    shop = make_user(role="retailer", organisation="Shop A")
    response = client.post(
        "/api/v1/units", json={"gtin": GTIN, "retailer_ref": "order\x001"}, headers=token_for(shop)
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.json["details"][0]["path"] == "retailer_ref"
    assert "NUL character" in response.json["details"][0]["message"]
    login(shop)
    data = {
        "csrf_token": csrf_token(client, "/retailer/batch"),
        "file": (
            io.BytesIO(f"gtin,serial,sold_on,retailer_ref\n{GTIN},B1,,a\x00b\n".encode()),
            "u.csv",
        ),
        "layout": "a4-3x8",
        "start_at": "1",
    }
    response = client.post(
        "/retailer/batch", data=data, content_type="multipart/form-data", headers=EN
    )
    assert response.status_code == 422
    assert "NUL character" in response.get_data(as_text=True)
    assert count(Unit) == 0


def test_nul_in_a_signed_webhook_field_is_400(client: FlaskClient, db: object) -> None:
    app = client.application
    app.config["TWILIO_AUTH_TOKEN"] = "test-auth-token"
    try:
        path = "/webhooks/twilio/inbound"
        form = {"From": "+31612345678", "Body": "STOP\x00"}
        signature = RequestValidator("test-auth-token").compute_signature(
            "http://localhost" + path, form
        )
        response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
    finally:
        app.config["TWILIO_AUTH_TOKEN"] = ""
    assert response.status_code == 400


# --- 405 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/remind", {"POST"}),
        ("DELETE", "/me/login", {"GET", "POST"}),
        ("PUT", "/healthz", {"GET"}),
    ],
)
def test_a_405_says_which_methods_are_allowed(
    client: FlaskClient, db: object, method: str, path: str, allowed: set[str]
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 405
    methods = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed <= methods
