"""The GS1 conformant resolver: pages, link types, linksets, errors, QR images, and biip parsing."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from urllib.parse import quote

import pytest
import zxingcpp
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from maintenance.models import ScanEvent
from maintenance.services.protocols import load_protocol
from maintenance.services.protocols.publish import publish_protocol
from maintenance.services.units.create import create_unit, void_unit
from maintenance.services.units.printing import unit_link
from tests.builders import GTIN, OTHER_GTIN, UNKNOWN_GTIN, make_model, make_shop, protocol_yaml

LINKSET = "application/linkset+json"
AWKWARD_SERIAL = "A%B&C?D\"E'F<G>H"
WRONG_CHECK_DIGIT = GTIN[:-1] + str((int(GTIN[-1]) + 1) % 10)


@dataclass
class World:
    version_id: int
    unit_id: int
    unit_path: str
    code_path: str
    code_unit_id: int


@pytest.fixture
def world(db: object) -> World:
    """A washing machine model with a protocol, a unit with a serial and one with a unit code."""
    version = publish_protocol(
        load_protocol(protocol_yaml(category="washing-machine", title_en="Washer care").encode())
    ).version
    make_model(category="washing-machine", name="WM 8000 Eco")
    make_model(gtin=OTHER_GTIN, name="No protocol", category="e-bike")
    shop = make_shop()
    unit = create_unit(shop, GTIN, "SN-123").unit
    coded = create_unit(shop, GTIN).unit
    return World(
        version_id=version.id,
        unit_id=unit.id,
        unit_path=f"/01/{GTIN}/21/SN-123",
        code_path=f"/01/{GTIN}/235/{coded.unit_code}",
        code_unit_id=coded.id,
    )


def scans(db: object) -> list[tuple[str, int | None, str]]:
    return [(e.gtin, e.unit_id, e.source) for e in db.session.scalars(select(ScanEvent))]


def test_a_scanned_unit_shows_its_page_and_counts_one_scan(
    client: FlaskClient, db: object, world: World
) -> None:
    response = client.get(world.unit_path, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "WM 8000 Eco" in html and "SN-123" in html and "Clean the filter" in html
    assert "Accept" in response.vary
    assert 'rel="linkset"' in response.headers["Link"]
    assert scans(db) == [(GTIN, world.unit_id, "qr")]
    client.get(world.code_path, headers={"Referer": "http://localhost/"})
    assert scans(db)[1] == (GTIN, world.code_unit_id, "web")


def test_a_serial_no_shop_registered_still_shows_the_models_protocol(
    client: FlaskClient, db: object, world: World
) -> None:
    response = client.get(f"/01/{GTIN}/21/NEVER-SOLD", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Clean the filter" in html and 'id="register"' in html
    assert scans(db) == [(GTIN, None, "qr")]


@pytest.mark.parametrize("digits", [GTIN, GTIN[1:], GTIN.lstrip("0")])
def test_the_model_path_accepts_gtin_12_13_and_14(
    client: FlaskClient, world: World, digits: str
) -> None:
    response = client.get(f"/01/{digits}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "Washer care" in response.get_data(as_text=True)


def test_a_model_without_a_protocol_still_has_a_page(client: FlaskClient, world: World) -> None:
    response = client.get(f"/01/{OTHER_GTIN}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "no maintenance protocol for this appliance yet" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (f"/01/{WRONG_CHECK_DIGIT}", "wrong check digit"),
        (f"/01/{WRONG_CHECK_DIGIT}/21/SN1", "wrong check digit"),
        ("/01/12345", "has 5 digits"),
        ("/01/abcdefgh", "only digits"),
        (f"/01/{GTIN}/21", "without a value"),
        (f"/01/{GTIN}/235/K7HQ3MXR4P/21/SN1", "exactly one of 21"),
        (f"/01/{GTIN}/10/LOT1", "not supported"),
        (f"/01/{GTIN}/21/..", "'.' or '..'"),
        (f"/01/{GTIN}/21/%2E%2E", "'.' or '..'"),
        (f"/01/{GTIN}/21/a%00b", "NUL"),
        (f"/01/{GTIN}/21/a%zz", "malformed"),
        (f"/01/{GTIN}/21/%C3%A9", "outside ASCII"),
        (f"/01/{GTIN}//21/SN1", "empty segment"),
        (f"/01/{GTIN}/21/SN1/", "empty segment"),
        (f"/01/{GTIN}/21/SN/1", "written %2F"),
        (f"/01/{GTIN}/21/{'x' * 21}", "at most 20"),
        (f"/01/{GTIN}/235/OOOOOOOOOO", "unit codes use only"),
    ],
)
def test_bad_paths_get_400_with_a_readable_reason(
    client: FlaskClient, world: World, path: str, reason: str
) -> None:
    response = client.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert reason in html.unescape(response.get_data(as_text=True))
    linkset = client.get(path, headers={"Accept": LINKSET, "Accept-Language": "en"})
    assert linkset.status_code == 400 and reason in linkset.json["error"]


def test_unknown_gtins_and_codes_get_404_pages_a_person_understands(
    client: FlaskClient, world: World
) -> None:
    unknown = client.get(f"/01/{UNKNOWN_GTIN}/21/SN1", headers={"Accept-Language": "en"})
    assert unknown.status_code == 404
    assert "We do not know a product with the code" in unknown.get_data(as_text=True)
    code = client.get(f"/01/{GTIN}/235/K7HQ3MXR4P", headers={"Accept-Language": "en"})
    assert code.status_code == 404
    assert "typed it as printed on the label" in code.get_data(as_text=True)
    assert client.get(f"/01/{UNKNOWN_GTIN}", headers={"Accept": LINKSET}).status_code == 404


def test_a_voided_unit_no_longer_resolves_and_says_why(
    client: FlaskClient, db: object, world: World
) -> None:
    from maintenance.models import Unit

    void_unit(db.session.get(Unit, world.unit_id))
    response = client.get(world.unit_path, headers={"Accept-Language": "en"})
    assert response.status_code == 410
    assert "withdrawn by the shop" in response.get_data(as_text=True)
    assert client.get(world.unit_path + "?linkType=linkset").status_code == 410
    assert scans(db) == []


@pytest.mark.parametrize(
    ("link_type", "target"),
    [
        ("gs1:serviceInfo", "/protocols/v/{version}"),
        ("https://gs1.org/voc/serviceInfo", "/protocols/v/{version}"),
        ("gs1:instructions", "/protocols/v/{version}"),
        ("gs1:registerProduct", "{unit}"),
        ("gs1:support", "{unit}"),
        ("gs1:defaultLink", "{unit}"),
    ],
)
def test_link_types_redirect_keeping_the_query_string(
    client: FlaskClient, world: World, link_type: str, target: str
) -> None:
    query = f"linkType={quote(link_type, safe='')}&lang=en&campaign=till"
    response = client.get(f"{world.unit_path}?{query}")
    assert response.status_code == 307
    location = response.headers["Location"]
    expected = "http://localhost" + target.format(version=world.version_id, unit=world.unit_path)
    assert location.startswith(expected + "?lang=en&campaign=till")
    if link_type == "gs1:registerProduct":
        assert location.endswith("#register")
    assert "Accept" in response.vary


def test_unknown_or_unavailable_link_types_are_404(client: FlaskClient, world: World) -> None:
    assert client.get(f"{world.unit_path}?linkType=gs1:recipeInfo").status_code == 404
    assert client.get(f"{world.unit_path}?linkType=nonsense").status_code == 404
    # Registering needs a unit; a model without a protocol has no serviceInfo.
    assert client.get(f"/01/{GTIN}?linkType=gs1:registerProduct").status_code == 404
    assert client.get(f"/01/{OTHER_GTIN}?linkType=gs1:serviceInfo").status_code == 404


def test_the_linkset_lists_every_link_with_href_title_and_hreflang(
    client: FlaskClient, world: World
) -> None:
    response = client.get(f"{world.unit_path}?linkType=linkset")
    assert response.status_code == 200
    assert response.mimetype == LINKSET
    assert "Accept" in response.vary
    (context,) = response.json["linkset"]
    assert context["anchor"] == f"http://localhost{world.unit_path}"
    link_types = {key.removeprefix("https://gs1.org/voc/") for key in context if "://" in key}
    assert link_types == {
        "defaultLink",
        "serviceInfo",
        "instructions",
        "support",
        "registerProduct",
    }
    for key, targets in context.items():
        if "://" in key:
            for target in targets:
                assert target["href"].startswith("http://localhost/")
                assert target["title"] and target["hreflang"] == ["nl", "en"]


def test_links_on_the_gtin_apply_to_every_unit_of_it(client: FlaskClient, world: World) -> None:
    model = client.get(f"/01/{GTIN}", headers={"Accept": LINKSET}).json["linkset"][0]
    unit = client.get(world.code_path, headers={"Accept": LINKSET}).json["linkset"][0]
    for key in model:
        if "://" in key and not key.endswith("defaultLink") and not key.endswith("support"):
            assert unit[key] == model[key]
    assert set(model) - {"anchor"} <= set(unit)


def test_accept_headers_choose_between_page_and_linkset(client: FlaskClient, world: World) -> None:
    assert client.get(world.unit_path, headers={"Accept": LINKSET}).mimetype == LINKSET
    as_json = client.get(world.unit_path, headers={"Accept": "application/json"})
    assert as_json.mimetype == "application/json" and "linkset" in as_json.json
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert client.get(world.unit_path, headers={"Accept": browser}).mimetype == "text/html"


def test_the_well_known_document_describes_the_resolver(client: FlaskClient, app: object) -> None:
    response = client.get("/.well-known/gs1resolver")
    assert response.status_code == 200
    document = response.json
    assert document["resolverRoot"] == "http://localhost"
    assert document["supportedPrimaryKeys"] == ["01"]
    assert "gs1:serviceInfo" in document["supportedLinkTypes"]


def decode_png(data: bytes) -> list[str]:
    image = Image.open(io.BytesIO(data)).convert("L")
    return [c.text for c in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def test_qr_images_decode_to_the_uri_and_are_cacheable(client: FlaskClient, world: World) -> None:
    for path in (world.unit_path, world.code_path, f"/01/{GTIN}"):
        png = client.get(f"/qr{path}.png")
        assert png.status_code == 200 and png.mimetype == "image/png"
        assert decode_png(png.data) == [f"http://localhost{path}"]
        assert "public" in png.headers["Cache-Control"] and png.headers["ETag"]
        again = client.get(f"/qr{path}.png", headers={"If-None-Match": png.headers["ETag"]})
        assert again.status_code == 304
        svg = client.get(f"/qr{path}.svg")
        assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<svg")
        assert svg.headers["ETag"] != png.headers["ETag"]


def test_qr_images_of_awkward_serials_and_bad_paths(
    client: FlaskClient, db: object, world: World
) -> None:
    unit = create_unit(make_shop(), GTIN, AWKWARD_SERIAL).unit
    uri = unit_link(unit)
    png = client.get("/qr" + uri.removeprefix("http://localhost") + ".png?scale=4")
    assert decode_png(png.data) == [uri]
    assert client.get(f"/qr/01/{WRONG_CHECK_DIGIT}.png").status_code == 400
    assert client.get(f"/qr/01/{GTIN}.gif").status_code == 404
    assert client.get(f"/qr/01/{GTIN}.png?scale=500").status_code == 400


def test_every_uri_we_issue_parses_with_biip_to_the_same_gtin_and_serial(
    client: FlaskClient, db: object, world: World
) -> None:
    shop = make_shop()
    serials = ["SN-123", AWKWARD_SERIAL, "!()*+,-.:;=_zZ09", "x" * 20, "%25", "a.b", None, None]
    for serial in serials:
        unit = create_unit(shop, GTIN, serial).unit
        uri = unit_link(unit)
        parsed = GS1DigitalLinkURI.parse(uri)
        values = {element.ai.ai: element for element in parsed.element_strings}
        assert values["01"].value == GTIN and values["01"].gtin is not None
        if serial is None:
            assert values["235"].value == unit.unit_code
        else:
            assert values["21"].value == serial
        # And our resolver finds that very unit at that URI.
        assert client.get(uri.removeprefix("http://localhost")).status_code == 200
