"""Label PDFs: printed with poppler, every code decodes (zxing-cpp), text fits, positions skip."""

import math
import re
import subprocess
import zlib
from pathlib import Path

import biip
import pytest
import zxingcpp
from PIL import Image

from maintenance.services.identifiers import new_unit_code, unit_uri
from maintenance.services.labels import LAYOUTS, LabelData, render_labels

BASE = "https://onderhoud.example.nl"
GTIN = "08712345678906"
DPI = 150
AWKWARD = "%&?\"'<>!()*+,-./:;=_"
HINT = "Scan voor onderhoudstips en herinneringen"


def make_labels(count: int) -> list[LabelData]:
    """Labels with distinct URIs: unit codes, long serials and serials with reserved characters."""
    labels = []
    for i in range(count):
        if i % 3 == 0:
            code = new_unit_code()
            uri, text = unit_uri(BASE, GTIN, unit_code=code), f"Code {code}"
        elif i % 3 == 1:
            serial = f"{AWKWARD[i % len(AWKWARD)]}{i:03d}{AWKWARD[(i + 5) % len(AWKWARD)]}aZ"
            uri, text = unit_uri(BASE, GTIN, serial=serial), f"S/N {serial}"
        else:
            serial = f"WAU{i:017d}"  # the longest serial GS1 allows: 20 characters
            uri, text = unit_uri(BASE, GTIN, serial=serial), f"S/N {serial}"
        labels.append(LabelData(uri, "Bosch", "Serie 6 WAU28T40NL", text, HINT))
    return labels


def rasterise(pdf: bytes, tmp_path: Path, dpi: int = DPI) -> list[Image.Image]:
    """Render every page with poppler's pdftoppm, as a printer driver would."""
    (tmp_path / "labels.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(tmp_path / "labels.pdf"), str(tmp_path / "page")],
        check=True,
    )
    return [Image.open(path) for path in sorted(tmp_path.glob("page-*.png"))]


def decode(page: Image.Image) -> list[zxingcpp.Barcode]:
    """All QR codes zxing-cpp finds on a page."""
    return zxingcpp.read_barcodes(page.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)


def cell_of(code: zxingcpp.Barcode, layout: str) -> int:
    """The 0-based label position on the page where the code's centre lies."""
    spec = LAYOUTS[layout]
    corners = [
        code.position.top_left,
        code.position.top_right,
        code.position.bottom_left,
        code.position.bottom_right,
    ]
    x_mm = sum(p.x for p in corners) / 4 * 25.4 / DPI
    y_mm = sum(p.y for p in corners) / 4 * 25.4 / DPI
    column = math.floor((x_mm - spec.left_mm) / (spec.column_pitch_mm or spec.label_width_mm))
    row = math.floor((y_mm - spec.top_mm) / (spec.row_pitch_mm or spec.label_height_mm))
    assert 0 <= column < spec.columns and 0 <= row < spec.rows
    return row * spec.columns + column


def content_streams(pdf: bytes) -> list[bytes]:
    """The decompressed streams of the PDF (page contents), found by their /Length."""
    streams = []
    for match in re.finditer(rb"/Length (\d+)\s*>>\s*stream\r?\n", pdf):
        data = pdf[match.end() : match.end() + int(match.group(1))]
        streams.append(zlib.decompress(data))
    return streams


def pdftotext(pdf: bytes, tmp_path: Path, *args: str) -> str:
    """The text poppler extracts from the PDF."""
    (tmp_path / "text.pdf").write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", *args, str(tmp_path / "text.pdf"), "-"], check=True, capture_output=True
    )
    return result.stdout.decode("utf-8")


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_printed_code_scans_back_to_its_uri(layout: str, tmp_path: Path) -> None:
    labels = make_labels(100)
    pages = rasterise(render_labels(labels, layout), tmp_path)
    assert len(pages) == math.ceil(100 / LAYOUTS[layout].per_page)
    decoded = [code.text for page in pages for code in decode(page)]
    assert len({label.uri for label in labels}) == 100
    assert sorted(decoded) == sorted(label.uri for label in labels)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_codes_are_vector_paths_not_images(layout: str) -> None:
    pdf = render_labels(make_labels(30), layout)
    assert b"/Subtype /Image" not in pdf
    assert b"/XObject" not in pdf
    streams = content_streams(pdf)
    assert streams
    assert not any(re.search(rb"(^|\s)BI\s", s) for s in streams), "no inline images either"
    # Each code is one filled path of rectangles.
    assert sum(len(re.findall(rb" re f Q", s)) for s in streams) == 30


def test_codes_on_a4_are_at_least_20_mm_wide(tmp_path: Path) -> None:
    pages = rasterise(render_labels(make_labels(3), "a4-3x8"), tmp_path)
    codes = decode(pages[0])
    assert len(codes) == 3
    for code in codes:
        width_mm = (code.position.top_right.x - code.position.top_left.x) * 25.4 / DPI
        assert width_mm >= 20


def test_start_at_skips_used_positions_on_the_first_sheet(tmp_path: Path) -> None:
    labels = make_labels(4)
    pages = rasterise(render_labels(labels, "a4-3x8", start_at=5), tmp_path)
    assert len(pages) == 1
    cells = {cell_of(code, "a4-3x8"): code.text for code in decode(pages[0])}
    assert cells == {4: labels[0].uri, 5: labels[1].uri, 6: labels[2].uri, 7: labels[3].uri}


def test_start_at_last_position_continues_on_a_new_sheet(tmp_path: Path) -> None:
    labels = make_labels(2)
    pages = rasterise(render_labels(labels, "a4-3x8", start_at=24), tmp_path)
    assert len(pages) == 2
    assert {cell_of(c, "a4-3x8"): c.text for c in decode(pages[0])} == {23: labels[0].uri}
    assert {cell_of(c, "a4-3x8"): c.text for c in decode(pages[1])} == {0: labels[1].uri}


@pytest.mark.parametrize(
    ("layout", "start_at"), [("a4-3x8", 0), ("a4-3x8", 25), ("62mm", 2), ("29x90mm", 0)]
)
def test_start_at_out_of_range_is_refused(layout: str, start_at: int) -> None:
    with pytest.raises(ValueError, match="start_at must be"):
        render_labels(make_labels(1), layout, start_at=start_at)


def test_unknown_layout_names_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="a4-3x8, 62mm, 29x90mm"):
        render_labels(make_labels(1), "a5")


def test_no_labels_is_refused() -> None:
    with pytest.raises(ValueError, match="no labels"):
        render_labels([], "62mm")


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_label_shows_brand_model_code_and_hint(layout: str, tmp_path: Path) -> None:
    label = LabelData(
        unit_uri(BASE, GTIN, serial="SN12345"), "Miele", "WWD 320", "S/N SN12345", HINT
    )
    text = " ".join(pdftotext(render_labels([label], layout), tmp_path).split())
    for part in ("Miele", "WWD 320", "S/N SN12345", HINT):
        assert part in text


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_serial_with_a_slash_prints_as_is_and_scans_back_to_it(
    layout: str, tmp_path: Path
) -> None:
    uri = unit_uri(BASE, GTIN, serial="SN/0001")
    assert uri == f"{BASE}/01/{GTIN}/21/SN%2F0001"
    pdf = render_labels([LabelData(uri, "Miele", "WWD 320", "S/N SN/0001", HINT)], layout)
    assert "S/N SN/0001" in pdftotext(pdf, tmp_path)
    [code] = decode(rasterise(pdf, tmp_path)[0])
    assert code.text == uri
    parsed = biip.parse(code.text).gs1_digital_link_uri
    assert parsed is not None
    assert {e.ai.ai: e.value for e in parsed.element_strings} == {"01": GTIN, "21": "SN/0001"}


def test_accents_print_and_other_scripts_degrade_without_failing(tmp_path: Path) -> None:
    label = LabelData(
        unit_uri(BASE, GTIN, serial="X1"),
        "Électrolux Ærø",
        "Łódź 中文 €99",
        "S/N X1",
        "Scannez pour l'entretien",
    )
    pdf = render_labels([label], "29x90mm")
    text = pdftotext(pdf, tmp_path)
    assert "Électrolux Ærø" in text
    assert "?ódz ?? €99" in text
    assert [c.text for c in decode(rasterise(pdf, tmp_path)[0])] == [label.uri]


def words_with_boxes(pdf: bytes, tmp_path: Path) -> list[tuple[str, float, float, float, float]]:
    """Every word pdftotext finds, with its box in points from the page's top left."""
    html = pdftotext(pdf, tmp_path, "-bbox")
    pattern = (
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    )
    return [
        (w, float(a), float(b), float(c), float(d)) for a, b, c, d, w in re.findall(pattern, html)
    ]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_long_text_is_cut_short_inside_the_label(layout: str, tmp_path: Path) -> None:
    spec = LAYOUTS[layout]
    count = spec.per_page
    labels = [
        LabelData(
            unit_uri(BASE, GTIN, serial=f"WWWWWWWWWWWWWWWWWW{i:02d}"),
            "Allerlangstemerknaamvanallemerkenterwereld Huishoudapparaten",
            "Wasmachine Serie 8 Extra Stil Met Heel Veel Programma's En Een Lange Naam",
            f"S/N WWWWWWWWWWWWWWWWWW{i:02d}",
            "Scan deze code voor onderhoudstips en herinneringen, zodat uw apparaat veel langer"
            " meegaat en minder energie verbruikt dan u ooit had gedacht",
        )
        for i in range(count)
    ]
    pdf = render_labels(labels, layout)
    words = words_with_boxes(pdf, tmp_path)
    assert any("\u2026" in word for word, *_ in words), "long text ends in an ellipsis"
    pt = 72 / 25.4
    tolerance = 0.5  # pt; font bounding boxes are a little generous
    qr_side = min(spec.label_height_mm - 2 * spec.padding_mm, spec.label_width_mm * 0.55)
    for word, x_min, y_min, x_max, y_max in words:
        column = math.floor((x_min / pt - spec.left_mm) / (spec.column_pitch_mm or 1e9))
        row = math.floor((y_min / pt - spec.top_mm) / (spec.row_pitch_mm or 1e9))
        left = spec.left_mm + column * spec.column_pitch_mm
        top = spec.top_mm + row * spec.row_pitch_mm
        assert x_min >= (left + spec.padding_mm + qr_side) * pt - tolerance, f"{word} over the QR"
        assert x_max <= (left + spec.label_width_mm) * pt + tolerance, f"{word} past the edge"
        assert y_min >= top * pt - tolerance, f"{word} above the label"
        assert y_max <= (top + spec.label_height_mm) * pt + tolerance, f"{word} below the label"
    assert len([w for w, *_ in words if w.startswith("WWWW")]) == count, "every code is printed"
