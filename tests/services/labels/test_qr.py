"""QR images: every SVG and PNG decodes back to its URI with an independent decoder (zxing-cpp)."""

import io
import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from maintenance.services.identifiers import unit_uri
from maintenance.services.labels.qr import QUIET_ZONE, cached_matrix, qr_matrix, qr_png, qr_svg

BASE = "https://onderhoud.example.nl"
GTIN = "08712345678906"
URIS = [
    f"{BASE}/01/{GTIN}",
    unit_uri(BASE, GTIN, unit_code="K7HQ3MXR4P"),
    unit_uri(BASE, GTIN, serial="SN123456"),
    unit_uri(BASE, GTIN, serial="A%B&C?D\"E'F<G>H"),
    unit_uri(BASE, GTIN, serial="!()*+,-.:;=_zZ09"),
    unit_uri(BASE, GTIN, serial="x" * 20),
]
SVG = "{http://www.w3.org/2000/svg}"


def decode(image: Image.Image) -> list[str]:
    """The texts of all QR codes zxing-cpp finds in the image."""
    return [
        code.text for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    ]


def rasterise_svg(svg: str, scale: int = 6) -> tuple[Image.Image, int]:
    """Draw the SVG's rect and path (absolute M, relative h/v, z) onto a Pillow image."""
    root = ET.fromstring(svg)
    width = int(root.attrib["viewBox"].split()[2])
    image = Image.new("L", (width * scale, width * scale), 128)  # grey: unpainted shows up
    draw = ImageDraw.Draw(image)
    rect = root.find(f"{SVG}rect")
    assert rect is not None and rect.attrib["fill"] == "#fff"
    draw.rectangle(
        (0, 0, int(rect.attrib["width"]) * scale - 1, int(rect.attrib["height"]) * scale - 1),
        fill=255,
    )
    paths = root.findall(f"{SVG}path")
    assert len(paths) == 1, "the dark modules are one path"
    for command in re.findall(r"M\d+ \d+h\d+v\d+h-\d+z", paths[0].attrib["d"]):
        x, y, w, h, w2 = map(int, re.findall(r"\d+", command))
        assert w == w2
        draw.rectangle((x * scale, y * scale, (x + w) * scale - 1, (y + h) * scale - 1), fill=0)
    assert re.fullmatch(r"(M\d+ \d+h\d+v\d+h-\d+z)+", paths[0].attrib["d"])
    return image, width


@pytest.mark.parametrize("uri", URIS)
def test_png_decodes_to_the_uri(uri: str) -> None:
    image = Image.open(io.BytesIO(qr_png(uri)))
    assert image.mode == "1"
    assert image.size[0] == len(qr_matrix(uri)) * 8
    assert decode(image) == [uri]


@pytest.mark.parametrize("uri", URIS)
def test_svg_decodes_to_the_uri_and_draws_exactly_the_matrix(uri: str) -> None:
    image, width = rasterise_svg(qr_svg(uri), scale=6)
    assert decode(image) == [uri]
    matrix = qr_matrix(uri)
    assert width == len(matrix)
    drawn = [
        [image.getpixel((x * 6 + 3, y * 6 + 3)) == 0 for x in range(width)] for y in range(width)
    ]
    assert drawn == matrix
    assert 'shape-rendering="crispEdges"' in qr_svg(uri)


def test_matrix_has_a_four_module_quiet_zone() -> None:
    matrix = qr_matrix(URIS[1])
    size = len(matrix)
    assert all(len(row) == size for row in matrix)
    for i in range(QUIET_ZONE):
        assert not any(matrix[i]) and not any(matrix[size - 1 - i])
        assert not any(row[i] or row[size - 1 - i] for row in matrix)
    # The finder pattern's dark corner starts right after the quiet zone.
    assert matrix[QUIET_ZONE][QUIET_ZONE]


def test_higher_error_correction_needs_more_modules() -> None:
    assert len(qr_matrix(URIS[1], "H")) > len(qr_matrix(URIS[1], "L"))
    image = Image.open(io.BytesIO(qr_png(URIS[1], scale=4, error_correction="H")))
    assert decode(image) == [URIS[1]]


def test_unknown_error_correction_is_refused() -> None:
    with pytest.raises(ValueError, match="L, M, Q, H"):
        qr_matrix(URIS[0], "X")


def test_changing_a_returned_matrix_does_not_change_later_codes() -> None:
    matrix = qr_matrix(URIS[0])
    matrix[QUIET_ZONE][QUIET_ZONE] = False
    assert qr_matrix(URIS[0])[QUIET_ZONE][QUIET_ZONE]


def test_codes_are_encoded_once_and_served_from_the_cache() -> None:
    uri = unit_uri(BASE, GTIN, serial="CACHED-1")
    qr_svg(uri)
    before = cached_matrix.cache_info()
    qr_svg(uri)
    qr_png(uri)
    qr_png(uri)
    qr_matrix(uri)
    after = cached_matrix.cache_info()
    assert after.misses == before.misses
