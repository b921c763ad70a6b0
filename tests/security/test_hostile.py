"""Hostile values through the real pages and API: escaped, refused plainly, nothing changed."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import url_for
from flask.testing import FlaskClient
from markupsafe import escape

from maintenance.models import Owner, Unit
from tests.builders import GTIN, count, make_unit, protocol_yaml, unit_path
from tests.conftest import PASSWORD, csrf_token

EN = {"Accept-Language": "en"}


# SQL-looking and script-looking strings ---------------------------------------------------------

SQL = "'; DROP TABLE unit; --"
SCRIPT = '"><script>alert(1)</script>'


def test_sql_and_script_strings_are_stored_verbatim_and_shown_escaped(
    client: FlaskClient, shop: dict[str, str], db: object
) -> None:
    for ref in (SQL, SCRIPT):
        response = client.post(
            "/api/v1/units", json={"gtin": GTIN, "retailer_ref": ref}, headers=shop
        )
        assert response.status_code == 201
        assert response.json["retailer_ref"] == ref
        again = client.get(f"/api/v1/units/{response.json['id']}", headers=shop)
        assert again.json["retailer_ref"] == ref
    assert count(Unit) == 2  # the table is still there, with both rows


@pytest.mark.parametrize("serial", ["1'OR'1'='1", '"><script>', "<b>x<b>&amp;"])
def test_serials_that_look_like_code_are_escaped_on_the_unit_page(
    client: FlaskClient, db: object, library: None, serial: str
) -> None:
    make_unit(serial=serial)
    page = client.get(unit_path(quote(serial, safe="")))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert serial not in html
    assert str(escape(serial)) in html


def test_an_sql_looking_serial_matches_no_other_unit(
    client: FlaskClient, db: object, library: None
) -> None:
    make_unit(serial="SN0001")
    response = client.get(unit_path("1'OR'1'='1"), headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    # An unknown serial of a known model shows the model's page to register it from; looking
    # never creates a unit, and nothing of SN0001 leaks into it.
    assert response.status_code == 200
    assert "1&#39;OR&#39;1&#39;=&#39;1" in html and "SN0001" not in html
    assert count(Unit) == 1


def test_script_in_a_protocol_is_shown_as_text(
    client: FlaskClient, maker: dict[str, str], db: object
) -> None:
    document = protocol_yaml(title_en="<script>alert('x')</script> & <b>care</b>")
    response = client.post("/api/v1/protocols", data=document, headers=maker)
    assert response.status_code == 201, response.json
    path = response.json["url"].removeprefix("http://localhost")
    page = client.get(path, headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert "<script>alert" not in html and "<b>care</b>" not in html
    assert "&lt;script&gt;alert(" in html
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")


# Header injection in email fields ---------------------------------------------------------------


@pytest.mark.parametrize(
    "contact",
    [
        "anna@example.nl\r\nBcc: victim@example.com",
        "anna@example.nl\nSubject: free money",
        "anna@example.nl%0d%0aBcc:victim@example.com",
        "Anna <anna@example.nl>, victim@example.com",
    ],
)
def test_header_injection_in_the_sign_up_address_sends_nothing(
    client: FlaskClient, db: object, library: None, mail, contact: str
) -> None:
    make_unit()
    data = {
        "csrf_token": csrf_token(client, unit_path()),
        "gtin": GTIN,
        "serial": "SN0001",
        "contact": contact,
        "consent": "reminders-v1",
    }
    response = client.post("/remind", data=data)
    assert response.status_code == 303 and response.location.endswith("#register")
    assert mail.messages == []
    assert count(Owner) == 0


# Unicode look-alikes and control characters in serials ------------------------------------------


@pytest.mark.parametrize(
    "serial",
    [
        "SN\u00ad1",  # soft hyphen, invisible
        "SN\u200b1",  # zero-width space
        "\u0405N1",  # Cyrillic DZE looks like S
        "SN\uff11",  # fullwidth digit one
        "SN\x001",
        "SN\x1b[31m",
        "SN\r\n1",
        "SN 1",
        "SN\u202e1",  # right-to-left override
    ],
)
def test_lookalike_and_control_characters_in_serials_are_422(
    client: FlaskClient, shop: dict[str, str], serial: str
) -> None:
    response = client.post("/api/v1/units", json={"gtin": GTIN, "serial": serial}, headers=shop)
    assert response.status_code == 422
    assert response.json["details"][0]["path"] == "serial"
    assert count(Unit) == 0


@pytest.mark.parametrize("gtin", ["\uff10" + GTIN[1:], GTIN[:-1] + "\u0661", GTIN + "\x00"])
def test_lookalike_digits_in_gtins_are_422(
    client: FlaskClient, shop: dict[str, str], gtin: str
) -> None:
    response = client.post("/api/v1/units", json={"gtin": gtin, "serial": "SN1"}, headers=shop)
    assert response.status_code == 422
    assert response.json["details"][0]["path"] == "gtin"


# Phone numbers from countries not allowed -------------------------------------------------------


@pytest.mark.parametrize("number", ["+1 202 555 0143", "+44 7911 123456", "+49 151 23456789"])
def test_numbers_from_countries_not_allowed_get_no_text(
    client: FlaskClient, db: object, library: None, sms, number: str
) -> None:
    make_unit()
    data = {
        "csrf_token": csrf_token(client, unit_path()),
        "gtin": GTIN,
        "serial": "SN0001",
        "contact": number,
        "consent": "reminders-v1",
    }
    response = client.post("/remind", data=data, headers={"Accept-Language": "en"})
    assert response.status_code == 303 and response.location.endswith("#register")
    page = client.get(response.location, headers={"Accept-Language": "en"})
    assert "only to numbers from: NL, BE" in page.get_data(as_text=True)
    assert sms.messages == []
    assert count(Owner) == 0


# Open redirects ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example/",
        "/\\/evil.example",
        "https://evil.example/",
        "/\t/evil",
    ],
)
def test_language_switch_and_login_never_redirect_off_site(
    client: FlaskClient, make_user: object, target: str
) -> None:
    switched = client.get("/language/en", query_string={"next": target})
    assert switched.status_code == 302
    assert "evil" not in switched.location
    user = make_user(role="manufacturer")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert "evil" not in response.location


# Ids beyond any database integer -----------------------------------------------------------------


def test_huge_ids_in_any_path_are_404_not_500(
    app, client: FlaskClient, make_user: object, login: object
) -> None:
    login(make_user(role="admin", organisation="Coordinator"))
    huge = 2**64
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and "int:" in rule.rule:
            with app.test_request_context():
                paths.append(url_for(rule.endpoint, **dict.fromkeys(rule.arguments, huge)))
    assert len(paths) >= 4
    for path in paths:
        assert client.get(path).status_code == 404, path
