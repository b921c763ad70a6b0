"""Every dashboard in headless Chromium on a desk (1280 px) and a phone (390 px): fits the width,
uses it, charts drawn, no script, names in the page's language.

With SCREENSHOTS_DIR set (e.g. docs/screenshots) each page is saved there as a PNG per width.
"""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from maintenance.demo.activity import generate_activity
from maintenance.demo.data import DEMO_PASSWORD, load_demo
from tests.browser.fixtures import PHONE, staff_login
from tests.conftest import LIBRARY

# The activity ends on this day, and the pages show the twelve months up to it (?from=&to=).
UNTIL = date(2025, 6, 30)
PERIOD = "from=2024-07&to=2025-06"
DESK = {"width": 1280, "height": 800}

PAGES = (
    ("manufacturer", "fabrikant@example.com"),
    ("retailer", "winkel@example.com"),
    ("sector", "admin@example.com"),
)
# Task and category ids the demo data has figures for, what a Dutch page calls them, and
# whether the page's charts name them too (the manufacturer charts only the top ten tasks).
DUTCH_NAMES = {
    "manufacturer": ({"maintenance-wash": "Onderhoudswas draaien", "descale": "Ontkalken"}, False),
    "sector": ({"washing-machine": "Wasmachine", "coffee-machine": "Koffiemachine"}, True),
}


@pytest.fixture
def activity(ctx) -> None:
    list(load_demo(LIBRARY))
    generate_activity(UNTIL, units=1500, seed=7)


def overflow(page) -> int:
    """Pixels the page sticks out sideways (a table that scrolls inside its box does not count)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize(("kind", "email"), PAGES)
def test_dashboard_fits_a_desk_and_a_phone(activity, page, kind: str, email: str) -> None:
    staff_login(page, email, DEMO_PASSWORD)
    for name, viewport in (("1280", DESK), ("390", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"/dashboards/{kind}?lang=en&{PERIOD}")
        assert page.locator("h1").count() == 1
        assert page.locator("svg.chart").count() >= 2
        assert page.locator("table.figures").count() >= 2
        assert page.locator("script").count() == 0
        assert overflow(page) <= 0, name
        # Every table is whole on screen or scrolls inside its own box, never past the page.
        for box in page.locator(".table-scroll").all():
            right = box.evaluate("element => element.getBoundingClientRect().right")
            assert right <= viewport["width"], name
        if viewport is DESK:
            # The desk's width is used: the content is more than a phone column wide.
            main = page.locator("main").evaluate("element => element.clientWidth")
            assert main >= 1000
        folder = os.environ.get("SCREENSHOTS_DIR")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            shot = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB")
            # A palette of the page's own colours (the chart colours stay exact): a quarter of
            # the bytes, and these flat pages look the same.
            shot = shot.quantize(128, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
            shot.save(Path(folder) / f"dashboard-{kind}-{name}.png", optimize=True)


@pytest.mark.parametrize("kind", sorted(DUTCH_NAMES))
def test_a_dutch_dashboard_names_categories_and_tasks_in_dutch(activity, page, kind: str) -> None:
    staff_login(page, dict(PAGES)[kind], DEMO_PASSWORD)
    page.set_viewport_size(DESK)
    page.goto(f"/dashboards/{kind}?lang=nl&{PERIOD}")
    text = page.locator("main").inner_text()
    charts = " ".join(page.locator("svg.chart").all_text_contents())
    names, charted = DUTCH_NAMES[kind]
    for raw, dutch in names.items():
        assert dutch in text and (dutch in charts or not charted)
        assert raw not in text and raw not in charts
    if kind == "manufacturer":
        # The dishwasher's "clean-filter" is its own job, not the washing machine's pump filter.
        assert "Voorbeeld VW 600 Stil\tFilter reinigen" in text
        assert "Voorbeeld VW 600 Stil\tPompfilter reinigen" not in text
    assert overflow(page) <= 0
