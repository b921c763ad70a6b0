"""Printable label PDFs: A4 sheets and thermal labels, each with a vector QR code and its text."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from reportlab import rl_config
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from maintenance.services.labels.qr import CACHE_SIZE, cached_matrix, dark_rectangles

# Compressed streams stay binary instead of ASCII85 text, which would add a quarter to the size.
rl_config.useA85 = 0

ELLIPSIS = "\u2026"
MIN_CODE_FONT_SIZE = 4.5  # pt; below this a serial is hard to read, so it gets truncated instead


@dataclass(frozen=True)
class LabelData:
    """What one label shows: the QR code's URI and the lines of text beside it."""

    uri: str
    brand: str
    model: str
    code_text: str  # e.g. "S/N ABC123" or "Code K7HQ3MXR4P"
    hint: str  # e.g. "Scan for maintenance tips and reminders", in the shop's language


@dataclass(frozen=True)
class Layout:
    """A page format and where its labels sit on it; every length is in millimetres."""

    name: str
    # Worded when shown, in the page's language; not compared, as its text depends on that.
    description: LazyString = field(compare=False)
    page_width_mm: float
    page_height_mm: float
    label_width_mm: float
    label_height_mm: float
    columns: int = 1
    rows: int = 1
    left_mm: float = 0.0  # page edge to the first column
    top_mm: float = 0.0  # page edge to the first row
    column_pitch_mm: float = 0.0  # left edge to left edge of neighbouring columns
    row_pitch_mm: float = 0.0  # top edge to top edge of neighbouring rows
    padding_mm: float = 1.5  # kept clear inside each label edge, for printer misalignment
    font_size: float = 8.0  # pt, for brand and model; the other lines scale from it

    @property
    def per_page(self) -> int:
        """How many labels fit on one page."""
        return self.columns * self.rows

    def label_top_left_mm(self, position: int) -> tuple[float, float]:
        """Top-left corner of the label at 0-based position, measured from the page's top left."""
        row, column = divmod(position, self.columns)
        return self.left_mm + column * self.column_pitch_mm, self.top_mm + row * self.row_pitch_mm


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout(
            name="a4-3x8",
            # 24 labels of 63.5 x 33.9 mm (Avery L7159 geometry): eight rows of the L7160's
            # 38.1 mm labels would be 305 mm, taller than A4's 297 mm.
            description=_l("A4 sheet of 24 labels, 63.5 x 33.9 mm (Avery L7159 and compatibles)"),
            page_width_mm=210.0,
            page_height_mm=297.0,
            label_width_mm=63.5,
            label_height_mm=33.9,
            columns=3,
            rows=8,
            left_mm=7.2,
            top_mm=12.9,
            column_pitch_mm=66.04,
            row_pitch_mm=33.9,
        ),
        Layout(
            name="62mm",
            description=_l("62 mm continuous thermal roll, one 62 x 40 mm label per page"),
            page_width_mm=62.0,
            page_height_mm=40.0,
            label_width_mm=62.0,
            label_height_mm=40.0,
        ),
        Layout(
            name="29x90mm",
            description=_l("Die-cut thermal label 90 mm wide and 29 mm high, one per page"),
            page_width_mm=90.0,
            page_height_mm=29.0,
            label_width_mm=90.0,
            label_height_mm=29.0,
            font_size=9.0,
        ),
    )
}


def get_layout(name: str) -> Layout:
    """The layout with this name, or a ValueError naming the ones there are."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(
            f"unknown label layout {name!r}; choose one of {', '.join(LAYOUTS)}"
        ) from None


def _printable_char(char: str) -> str:
    """The character, or the closest the built-in PDF fonts can show (their encoding is cp1252)."""
    if not char.isprintable():
        return ""
    try:
        char.encode("cp1252")
        return char
    except UnicodeEncodeError:
        pass
    # 'ł' has no decomposition, but 'ő' becomes 'o' plus a combining mark we can drop.
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    try:
        base.encode("cp1252")
    except UnicodeEncodeError:
        return "?"
    return base or "?"


def printable(text: str) -> str:
    """Text the built-in fonts can draw: whitespace collapsed, unknown characters replaced."""
    return "".join(_printable_char(c) for c in " ".join(text.split()))


def fit(text: str, font: str, size: float, width: float) -> str:
    """The text, cut short with an ellipsis if it is wider than width points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + ELLIPSIS, font, size) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS if text else ""


def shrink(text: str, font: str, size: float, width: float, smallest: float) -> float:
    """The largest font size, down to smallest in quarter points, at which text fits width."""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.25
    return size


def wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Break text into at most max_lines lines of width points; the last one is cut if needed."""
    if max_lines <= 0 or not text:
        return []
    lines: list[str] = []
    words = text.split(" ")
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and stringWidth(f"{line} {words[0]}", font, size) <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words:
        lines[-1] = lines[-1] + " " + " ".join(words)
    return [fit(line, font, size, width) for line in lines]


@lru_cache(maxsize=CACHE_SIZE)
def _qr_operators(data: str) -> tuple[int, str]:
    """The QR code as PDF path operators in module units, and its size in modules."""
    matrix = cached_matrix(data, "M")
    rects = " ".join(f"{x} {y} {w} {h} re" for x, y, w, h in dark_rectangles(matrix))
    return len(matrix), rects


def _draw_qr(canvas: Canvas, data: str, left: float, top: float, side: float) -> None:
    """Draw the code as one filled vector path in a square of side points hanging from left, top."""
    size, rects = _qr_operators(data)
    module = side / size
    # Flip the y axis so the matrix's row 0 is at the top; one "f" fills all runs at once, so
    # renderers show no hairline seams between neighbouring modules.
    canvas.addLiteral(f"q {module:.5f} 0 0 {-module:.5f} {left:.3f} {top:.3f} cm 0 g {rects} f Q")


def _draw_label(canvas: Canvas, layout: Layout, label: LabelData, left: float, top: float) -> None:
    """Draw one label whose top-left corner is at (left, top) in PDF points (y up)."""
    pad = layout.padding_mm * mm
    width = layout.label_width_mm * mm
    height = layout.label_height_mm * mm
    side = min(height - 2 * pad, width * 0.55)
    _draw_qr(canvas, label.uri, left + pad, top - (height - side) / 2, side)

    # The QR code's own quiet zone separates it from the text, so the text starts right after it.
    text_left = left + pad + side
    text_width = width - 2 * pad - side
    text_top = top - pad - 1 * mm
    text_bottom = top - height + pad + 1 * mm

    size = layout.font_size
    hint_size = size - 1.5
    y = text_top
    lines: list[tuple[str, str, float]] = []
    brand = printable(label.brand)
    if brand:
        lines.append(("Helvetica-Bold", fit(brand, "Helvetica-Bold", size, text_width), size))
    for line in wrap(printable(label.model), "Helvetica", size, text_width, 2):
        lines.append(("Helvetica", line, size))
    code = printable(label.code_text)
    if code:
        # The code is how a person types in the unit, so shrink it before cutting it short.
        code_size = shrink(code, "Courier-Bold", size, text_width, MIN_CODE_FONT_SIZE)
        lines.append(("Courier-Bold", fit(code, "Courier-Bold", code_size, text_width), code_size))

    for font, text, font_size in lines:
        y -= font_size
        if y < text_bottom:
            break
        canvas.setFont(font, font_size)
        canvas.drawString(text_left, y, text)
        y -= font_size * 0.2

    # The hint sits at the bottom of the text column, in as many lines as the space left allows.
    leading = hint_size * 1.2
    room = int((y - text_bottom - 1 * mm) // leading)
    hint = wrap(printable(label.hint), "Helvetica-Oblique", hint_size, text_width, min(room, 4))
    canvas.setFont("Helvetica-Oblique", hint_size)
    for index, line in enumerate(reversed(hint)):
        canvas.drawString(text_left, text_bottom + index * leading + hint_size * 0.2, line)


def render_labels(labels: Sequence[LabelData], layout: str, start_at: int = 1) -> bytes:
    """A PDF of the labels in the named layout; start_at skips used positions on the first sheet."""
    spec = get_layout(layout)
    if not labels:
        raise ValueError("there are no labels to print")
    if not 1 <= start_at <= spec.per_page:
        allowed = "1" if spec.per_page == 1 else f"between 1 and {spec.per_page}"
        raise ValueError(f"start_at must be {allowed} for layout {spec.name!r}, not {start_at}")

    out = io.BytesIO()
    page_height = spec.page_height_mm * mm
    canvas = Canvas(
        out,
        pagesize=(spec.page_width_mm * mm, page_height),
        pageCompression=1,
        invariant=1,  # the same labels give the same bytes: no timestamps or random ids
    )
    canvas.setTitle("Maintenance labels")
    position = start_at - 1
    for label in labels:
        if position == spec.per_page:
            canvas.showPage()
            position = 0
        left_mm, top_mm = spec.label_top_left_mm(position)
        _draw_label(canvas, spec, label, left_mm * mm, page_height - top_mm * mm)
        position += 1
    canvas.showPage()
    canvas.save()
    return out.getvalue()
