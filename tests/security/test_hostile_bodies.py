"""Hostile bodies through the real pages and API: too large, malformed, bombs; nothing stored."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from maintenance.models import Owner, Protocol, ProtocolVersion, Unit
from tests.builders import GTIN, count, make_model
from tests.conftest import csrf_token

EN = {"Accept-Language": "en"}
BROKEN = Path(__file__).parents[1] / "services" / "protocols" / "broken"
TWO_MEGABYTES = 2 * 1024 * 1024


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
