"""How fast label PDFs render and how large they are: `python bench/labels.py [--count N]`.

Every label gets a distinct URI and the QR caches are emptied before each run, so the figures
include encoding every code, as a batch print of new units does.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# Run from a checkout without installing the package first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from maintenance.services.identifiers import new_unit_code, unit_uri
from maintenance.services.labels import LAYOUTS, LabelData, qr, render_labels, sheets

BASE_URL = "https://onderhoud.example.nl"
GTIN = "08712345678906"


def make_labels(count: int) -> list[LabelData]:
    """Realistic labels: half with a serial number, half with a service-issued unit code."""
    labels = []
    for i in range(count):
        if i % 2:
            code = new_unit_code()
            uri, text = unit_uri(BASE_URL, GTIN, unit_code=code), f"Code {code}"
        else:
            serial = f"WAU28T{i:08d}"
            uri, text = unit_uri(BASE_URL, GTIN, serial=serial), f"S/N {serial}"
        labels.append(
            LabelData(uri, "Bosch", "Serie 6 WAU28T40NL", text, "Scan voor onderhoudstips")
        )
    return labels


def clear_caches() -> None:
    """Forget every encoded code, so the next run encodes them all again."""
    qr.cached_matrix.cache_clear()
    sheets._qr_operators.cache_clear()


def main() -> None:
    """Print labels per second and PDF size for each layout."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000, help="labels per run (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per layout; the best counts")
    args = parser.parse_args()

    labels = make_labels(args.count)
    print(f"{args.count} labels with distinct URIs, best of {args.repeat} runs, one process")
    print(f"{'layout':10} {'labels/s':>9} {'cached':>9} {'pages':>6} {'PDF size':>10}")
    for name, layout in LAYOUTS.items():
        best = float("inf")
        for _ in range(args.repeat):
            clear_caches()
            start = time.perf_counter()
            pdf = render_labels(labels, name)
            best = min(best, time.perf_counter() - start)
        # The same labels again: what a reprint costs once the codes are encoded.
        start = time.perf_counter()
        render_labels(labels, name)
        cached = time.perf_counter() - start
        pages = -(-args.count // layout.per_page)
        print(
            f"{name:10} {args.count / best:9.0f} {args.count / cached:9.0f} {pages:6d}"
            f" {len(pdf) / 1024:7.0f} KiB"
        )


if __name__ == "__main__":
    main()
