"""Hostile input through the real web pages and API: refused plainly, escaped, nothing changed."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import url_for
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import func, select

from maintenance.extensions import db as _db
from maintenance.models import Owner, Protocol, ProtocolVersion, Unit
from tests.builders import GTIN, make_model, make_unit, protocol_yaml, unit_path
from tests.conftest import PASSWORD, csrf_token

EN = {"Accept-Language": "en"}
BROKEN = Path(__file__).parents[1] / "services" / "protocols" / "broken"
TWO_MEGABYTES = 2 * 1024 * 1024


def count(model: type) -> int:
    """Rows of a table, read fresh."""
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def shop(db: object, make_user: object, token_for: object) -> dict[str, str]:
    """A retailer's API token headers, with one known model."""
    make_model()
    return token_for(make_user(role="retailer", organisation="Shop A"))


@pytest.fixture
def maker(db: object, make_user: object, token_for: object) -> dict[str, str]:
    """A manufacturer's API token headers."""
    return token_for(make_user(role="manufacturer", organisation="Maker A"))


# Oversized bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/units", "/api/v1/labels", "/api/v1/protocols"])
def test_json_endpoints_refuse_two_megabytes_with_413_json(
    client: FlaskClient, shop: dict[str, str], maker: dict[str, str], path: str
) -> None:
    body = json.dumps({"gtin": GTIN, "retailer_ref": "x" * TWO_MEGABYTES})
    headers = maker if path.endswith("protocols") else shop
    headers = {**headers, "Accept-Language": "en"}
    response = client.post(path, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 413
    assert response.json["error"].startswith("The upload is too large")
    assert count(Unit) == 0


@pytest.mark.parametrize("path", ["/remind", "/me/login", "/login"])
def test_forms_refuse_two_megabytes_with_413(client: FlaskClient, db: object, path: str) -> None:
    token = csrf_token(client, "/login")
    response = client.post(
        path, data={"csrf_token": token, "contact": "x" * TWO_MEGABYTES}, headers=EN
    )
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert count(Owner) == 0


def test_a_two_megabyte_csv_batch_is_413_and_creates_nothing(
    client: FlaskClient, db: object, make_user: object, login: object
) -> None:
    make_model()
    login(make_user(role="retailer", organisation="Shop A"))
    rows = "".join(f"{GTIN},SN{n},2025-01-01\n" for n in range(80_000))
    data = {
        "csrf_token": csrf_token(client, "/retailer/batch"),
        "layout": "a4-3x8",
        "file": (io.BytesIO(f"gtin,serial,sold_on\n{rows}".encode()), "big.csv"),
    }
    response = client.post("/retailer/batch", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert count(Unit) == 0


# Malformed JSON, YAML and CSV ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"gtin": ',
        b"\xff\xfe not json",
        b"[1, 2, 3]",
        b'"just a string"',
        b"null",
        b'{"gtin": "' + GTIN.encode() + b'", "gtin": 5}',
        b"NaN",
    ],
)
def test_malformed_json_on_the_units_api_is_422(
    client: FlaskClient, shop: dict[str, str], body: bytes
) -> None:
    response = client.post(
        "/api/v1/units", data=body, content_type="application/json", headers=shop
    )
    assert response.status_code == 422
    assert set(response.json) == {"error", "details"}
    assert count(Unit) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"format: [unclosed",
        b"\xff\xfe\x00binary",
        b"- just\n- a list\n",
        b"",
        b"!!python/object/apply:os.system ['echo pwned']",
        b'{"format": "maintenance-protocol/1", ',
    ],
)
def test_malformed_protocols_on_the_api_are_422_and_store_nothing(
    client: FlaskClient, maker: dict[str, str], body: bytes
) -> None:
    response = client.post(
        "/api/v1/protocols", data=body, content_type="application/yaml", headers=maker
    )
    assert response.status_code == 422
    assert response.json["details"] and all("message" in d for d in response.json["details"])
    assert count(ProtocolVersion) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"gtin,serial,sold_on\n\xff\xfe,SN1,2025-01-01\n", "not UTF-8"),
        (b'gtin,serial,sold_on\n"' + GTIN.encode() + b",SN1,2025-01-01\n", "not valid CSV"),
        (b"\x00\x01\x02\x03", "header"),
        (b"gtin;serial\n1;2\n", "sold_on"),
    ],
)
def test_malformed_csv_batches_list_the_problem_and_create_nothing(
    client: FlaskClient,
    db: object,
    make_user: object,
    login: object,
    content: bytes,
    message: str,
) -> None:
    make_model()
    login(make_user(role="retailer", organisation="Shop A"))
    data = {
        "csrf_token": csrf_token(client, "/retailer/batch"),
        "layout": "a4-3x8",
        "file": (io.BytesIO(content), "units.csv"),
    }
    response = client.post(
        "/retailer/batch",
        data=data,
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Unit) == 0


# YAML bombs -------------------------------------------------------------------------------------


def test_billion_laughs_is_refused_at_its_first_anchor(
    client: FlaskClient, maker: dict[str, str]
) -> None:
    bomb = (BROKEN / "billion-laughs.yaml").read_bytes()
    response = client.post("/api/v1/protocols", data=bomb, headers=maker)
    assert response.status_code == 422
    [detail] = response.json["details"]
    assert detail["line"] == 1 and "anchors and aliases" in detail["message"]
    assert count(Protocol) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"x: " + b"[" * 100_000,
        b"".join(b"  " * level + b"k%d:\n" % level for level in range(500)),
        b'{"a": ' * 50_000 + b"1" + b"}" * 50_000,
    ],
    ids=["flow-brackets", "block-indent", "json-objects"],
)
def test_deep_nesting_is_refused_without_a_crash(
    client: FlaskClient, maker: dict[str, str], body: bytes
) -> None:
    response = client.post("/api/v1/protocols", data=body, headers=maker)
    assert response.status_code == 422
    assert any("nested more than 20 deep" in d["message"] for d in response.json["details"])
    assert count(Protocol) == 0


def test_deeply_nested_json_on_the_units_api_is_422(
    client: FlaskClient, shop: dict[str, str]
) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    response = client.post(
        "/api/v1/units", data=body, content_type="application/json", headers=shop
    )
    assert response.status_code == 422
    assert response.json["error"] == "the body must be a JSON object"


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
