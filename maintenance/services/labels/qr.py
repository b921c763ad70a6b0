"""QR codes for Digital Link URIs: the module matrix, an SVG and a PNG, each cached."""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 requires
CACHE_SIZE = 4096  # encoded outputs (a few KB each) for recently viewed or printed units
MATRIX_CACHE_SIZE = 1024  # a matrix is about 20 KB of tuples, so keep fewer of those

ERROR_CORRECTION = {
    "L": ERROR_CORRECT_L,
    "M": ERROR_CORRECT_M,
    "Q": ERROR_CORRECT_Q,
    "H": ERROR_CORRECT_H,
}

Matrix = tuple[tuple[bool, ...], ...]


@lru_cache(maxsize=MATRIX_CACHE_SIZE)
def cached_matrix(data: str, error_correction: str = "M") -> Matrix:
    """The module matrix including the quiet zone, as an immutable (cacheable) tuple of rows."""
    if error_correction not in ERROR_CORRECTION:
        raise ValueError(f"error correction must be one of L, M, Q, H, not {error_correction!r}")
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION[error_correction], border=0)
    code.add_data(data)
    code.make(fit=True)
    modules = code.get_matrix()
    size = len(modules) + 2 * QUIET_ZONE
    blank = (False,) * size
    margin = (False,) * QUIET_ZONE
    rows = [tuple(row) for row in modules]
    return (
        (blank,) * QUIET_ZONE + tuple(margin + row + margin for row in rows) + (blank,) * QUIET_ZONE
    )


def qr_matrix(data: str, error_correction: str = "M") -> list[list[bool]]:
    """The QR module matrix for data, True for dark, with a 4-module quiet zone on every side."""
    return [list(row) for row in cached_matrix(data, error_correction)]


def dark_rectangles(matrix: Matrix) -> list[tuple[int, int, int, int]]:
    """The dark modules as (column, row, width, height) rectangles, row 0 at the top.

    Each horizontal run of dark modules is one rectangle, extended downwards while the rows
    below have exactly the same run; that keeps the drawing (and the PDF) small.
    """
    rectangles = []
    open_runs: dict[tuple[int, int], int] = {}  # (column, width) -> first row
    for y, row in enumerate((*matrix, ())):
        runs = set()
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.add((start, x - start))
            else:
                x += 1
        for run in sorted(open_runs.keys() - runs):
            top = open_runs.pop(run)
            rectangles.append((run[0], top, run[1], y - top))
        for run in runs - open_runs.keys():
            open_runs[run] = y
    return sorted(rectangles, key=lambda r: (r[1], r[0]))


@lru_cache(maxsize=CACHE_SIZE)
def qr_svg(data: str, error_correction: str = "M", module_px: int = 6) -> str:
    """An SVG of the code: a white square and one path of the dark modules, in module units."""
    matrix = cached_matrix(data, error_correction)
    size = len(matrix)
    path = "".join(f"M{x} {y}h{w}v{h}h-{w}z" for x, y, w, h in dark_rectangles(matrix))
    pixels = size * module_px
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}"'
        f' width="{pixels}" height="{pixels}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/>'
        "</svg>"
    )


@lru_cache(maxsize=CACHE_SIZE)
def qr_png(data: str, scale: int = 8, error_correction: str = "M") -> bytes:
    """A black-and-white PNG of the code, scale pixels per module."""
    if not 1 <= scale <= 64:
        raise ValueError(f"scale must be between 1 and 64 pixels per module, not {scale}")
    matrix = cached_matrix(data, error_correction)
    size = len(matrix)
    image = Image.new("1", (size, size))
    # In mode "1", 0 is black and 1 is white.
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    image = image.resize((size * scale, size * scale), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
