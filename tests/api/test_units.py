"""The units and labels API: shapes, strict input, role rules, and labels that scan from the PDF."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import biip
import pytest
import zxingcpp
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from maintenance.models import Unit
from tests.builders import GTIN, UNKNOWN_GTIN, count, make_model

AWKWARD = "%&?\"'<>!()*+,-./:;=_"


@pytest.fixture
def shop(db: object, make_user: object, token_for: object) -> dict[str, str]:
    """A retailer's token headers, with one known model in the catalogue."""
    make_model()
    return token_for(make_user(role="retailer", organisation="Shop A"))


def test_creating_a_unit_returns_its_uri_and_qr_urls(
    client: FlaskClient, db: object, shop: dict[str, str]
) -> None:
    body = {"gtin": GTIN[1:], "serial": "SN-1", "sold_on": "2025-02-03", "retailer_ref": "T-7"}
    response = client.post("/api/v1/units", json=body, headers=shop)
    assert response.status_code == 201, response.json
    unit = response.json
    assert unit["uri"] == f"http://localhost/01/{GTIN}/21/SN-1"
    assert (unit["gtin"], unit["serial"], unit["sold_on"]) == (GTIN, "SN-1", "2025-02-03")
    assert "unit_code" not in unit
    assert unit["qr_svg"] == f"http://localhost/qr/01/{GTIN}/21/SN-1.svg"
    assert unit["qr_png"] == f"http://localhost/qr/01/{GTIN}/21/SN-1.png"
    png = client.get(unit["qr_png"].removeprefix("http://localhost"))
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [code.text for code in decoded] == [unit["uri"]]
    assert client.get(f"/api/v1/units/{unit['id']}", headers=shop).json == unit
    # The till scanning the same appliance again gets the same unit back, to reprint.
    again = client.post("/api/v1/units", json={"gtin": GTIN, "serial": "SN-1"}, headers=shop)
    assert again.status_code == 200 and again.json["id"] == unit["id"]


def test_a_serial_with_a_slash_is_registered_and_resolves(
    client: FlaskClient, shop: dict[str, str], tmp_path: Path
) -> None:
    response = client.post("/api/v1/units", json={"gtin": GTIN, "serial": "SN/0001"}, headers=shop)
    assert response.status_code == 201, response.json
    unit = response.json
    assert unit["serial"] == "SN/0001"
    assert unit["uri"] == f"http://localhost/01/{GTIN}/21/SN%2F0001"
    assert unit["qr_png"] == f"http://localhost/qr/01/{GTIN}/21/SN%2F0001.png"
    parsed = biip.parse(unit["uri"]).gs1_digital_link_uri
    assert parsed is not None
    assert {e.ai.ai: e.value for e in parsed.element_strings} == {"01": GTIN, "21": "SN/0001"}
    png = client.get(unit["qr_png"].removeprefix("http://localhost"))
    assert [c.text for c in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))] == [
        unit["uri"]
    ]
    labels = client.post(
        "/api/v1/labels", json={"units": [unit["id"]], "layout": "62mm"}, headers=shop
    )
    assert decode_pdf(labels.data, tmp_path) == [unit["uri"]]
    page = client.get(unit["uri"].removeprefix("http://localhost"), headers=shop)
    assert page.status_code == 200 and "SN/0001" in page.get_data(as_text=True)


def test_without_a_serial_the_unit_gets_a_code(client: FlaskClient, shop: dict[str, str]) -> None:
    response = client.post("/api/v1/units", json={"gtin": GTIN}, headers=shop)
    assert response.status_code == 201
    code = response.json["unit_code"]
    assert "serial" not in response.json
    assert response.json["uri"] == f"http://localhost/01/{GTIN}/235/{code}"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"gtin": GTIN, "colour": "red"}, "colour"),
        ({"gtin": int(GTIN)}, "gtin"),
        ({"serial": "SN1"}, "gtin"),
        ({"gtin": GTIN, "serial": 5}, "serial"),
        ({"gtin": GTIN, "sold_on": "31-01-2025"}, "sold_on"),
        ({"gtin": GTIN, "sold_on": "2999-01-01"}, "sold_on"),
        ({"gtin": GTIN, "serial": "two words"}, "serial"),
        ({"gtin": GTIN, "serial": "SN#1"}, "serial"),
        ({"gtin": GTIN[:-1] + "0" if GTIN[-1] != "0" else GTIN[:-1] + "1"}, "gtin"),
        ({"gtin": UNKNOWN_GTIN}, "gtin"),
        ({"gtin": GTIN, "retailer_ref": "x" * 101}, "retailer_ref"),
        ([GTIN], ""),
        ("not json", ""),
    ],
)
def test_invalid_requests_are_422_naming_the_field(
    client: FlaskClient, db: object, shop: dict[str, str], body: object, path: str
) -> None:
    if isinstance(body, str):
        response = client.post("/api/v1/units", data=body, headers=shop)
    else:
        response = client.post("/api/v1/units", json=body, headers=shop)
    assert response.status_code == 422, response.json
    assert path in [detail["path"] for detail in response.json["details"]]
    assert all(detail["message"] for detail in response.json["details"])
    assert count(Unit) == 0


def test_another_shops_unit_is_404_everywhere(
    client: FlaskClient, db: object, shop: dict[str, str], make_user: object, token_for: object
) -> None:
    unit = client.post("/api/v1/units", json={"gtin": GTIN, "serial": "A1"}, headers=shop).json
    other = token_for(make_user(role="retailer", organisation="Shop B"))
    assert client.get(f"/api/v1/units/{unit['id']}", headers=other).status_code == 404
    assert client.post(f"/api/v1/units/{unit['id']}/void", headers=other).status_code == 404
    labels = {"units": [unit["id"]], "layout": "62mm"}
    assert client.post("/api/v1/labels", json=labels, headers=other).status_code == 404
    # Registering the same serial is a conflict, not a way to take the unit over.
    taken = client.post("/api/v1/units", json={"gtin": GTIN, "serial": "A1"}, headers=other)
    assert taken.status_code == 409
    # And the owning shop still sees an unchanged unit; an admin sees it too.
    assert client.get(f"/api/v1/units/{unit['id']}", headers=shop).json == unit
    admin = token_for(make_user(role="admin"))
    assert client.get(f"/api/v1/units/{unit['id']}", headers=admin).status_code == 200


def test_manufacturers_and_strangers_cannot_create_units(
    client: FlaskClient, db: object, shop: dict[str, str], make_user: object, token_for: object
) -> None:
    maker = token_for(make_user(role="manufacturer"))
    assert client.post("/api/v1/units", json={"gtin": GTIN}, headers=maker).status_code == 403
    assert client.post("/api/v1/units", json={"gtin": GTIN}).status_code == 401
    labels = {"units": [1], "layout": "62mm"}
    assert client.post("/api/v1/labels", json=labels, headers=maker).status_code == 403
    assert count(Unit) == 0


def test_voiding_makes_the_uri_answer_410(client: FlaskClient, shop: dict[str, str]) -> None:
    unit = client.post("/api/v1/units", json={"gtin": GTIN, "serial": "A1"}, headers=shop).json
    voided = client.post(f"/api/v1/units/{unit['id']}/void", headers=shop)
    assert voided.status_code == 200 and voided.json["voided"] is True
    assert client.get(unit["uri"].removeprefix("http://localhost")).status_code == 410
    labels = {"units": [unit["id"]], "layout": "62mm"}
    assert client.post("/api/v1/labels", json=labels, headers=shop).status_code == 422


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"units": [], "layout": "62mm"}, "units"),
        ({"units": ["1"], "layout": "62mm"}, "units[0]"),
        ({"units": [True], "layout": "62mm"}, "units[0]"),
        ({"units": 1, "layout": "62mm"}, "units"),
        ({"units": [1], "layout": "a5"}, "layout"),
        ({"units": [1], "layout": "a4-3x8", "start_at": 25}, "start_at"),
        ({"units": [1], "layout": "62mm", "start_at": 2}, "start_at"),
        ({"units": [1], "layout": "62mm", "start_at": 1.5}, "start_at"),
        ({"units": [1], "layout": "62mm", "copies": 2}, "copies"),
        ({"units": [1]}, "layout"),
    ],
)
def test_invalid_label_requests_are_422(
    client: FlaskClient, shop: dict[str, str], body: dict, path: str
) -> None:
    response = client.post("/api/v1/labels", json=body, headers=shop)
    assert response.status_code == 422
    assert [detail["path"] for detail in response.json["details"]] == [path]


def decode_pdf(pdf: bytes, tmp_path: Path) -> list[str]:
    """Every QR code in the PDF rendered at 150 dpi by poppler, decoded with zxing-cpp."""
    (tmp_path / "labels.pdf").write_bytes(pdf)
    for old in tmp_path.glob("page-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", str(tmp_path / "labels.pdf"), str(tmp_path / "page")],
        check=True,
    )
    texts = []
    for path in sorted(tmp_path.glob("page-*.png")):
        image = Image.open(path).convert("L")
        texts += [code.text for code in zxingcpp.read_barcodes(image)]
    return texts


def test_a_hundred_labels_in_every_layout_scan_from_the_printed_pdf(
    client: FlaskClient, db: object, shop: dict[str, str], tmp_path: Path
) -> None:
    uris, ids = [], []
    for i in range(100):
        body = {"gtin": GTIN}
        if i % 3:
            # Serials with characters that must be percent-encoded, up to the 20 allowed.
            body["serial"] = f"{AWKWARD[i % len(AWKWARD)]}{i:03d}" if i % 3 == 1 else f"{i:020d}"
        response = client.post("/api/v1/units", json=body, headers=shop)
        assert response.status_code == 201, response.json
        uris.append(response.json["uri"])
        ids.append(response.json["id"])
    for layout, start_at in (("a4-3x8", 5), ("62mm", 1), ("29x90mm", 1)):
        request = {"units": ids, "layout": layout, "start_at": start_at}
        response = client.post("/api/v1/labels", json=request, headers=shop)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert sorted(decode_pdf(response.data, tmp_path)) == sorted(uris), layout
    printed = db.session.scalars(select(Unit.labels_printed)).all()
    assert printed == [4] * 100  # one when registered, one per layout
