"""Every dashboard in headless Chromium on a phone: fits the width, charts drawn, no script.

With SCREENSHOTS_DIR set (e.g. docs/screenshots) each page is saved there as a PNG.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from maintenance.demo.activity import generate_activity
from maintenance.demo.data import DEMO_PASSWORD, load_demo
from tests.conftest import LIBRARY

# The activity ends on this day, and the pages show the twelve months up to it (?from=&to=).
UNTIL = date(2025, 6, 30)
PERIOD = "from=2024-07&to=2025-06"

PAGES = (
    ("manufacturer", "fabrikant@example.com"),
    ("retailer", "winkel@example.com"),
    ("sector", "admin@example.com"),
)


@pytest.fixture
def activity(ctx) -> None:
    list(load_demo(LIBRARY))
    generate_activity(UNTIL, units=1500, seed=7)


@pytest.mark.parametrize(("kind", "email"), PAGES)
def test_dashboard_reads_on_a_phone(activity, page, kind: str, email: str) -> None:
    page.goto("/login?lang=en")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/dashboards/{kind}?lang=en&{PERIOD}")
    assert page.locator("h1").count() == 1
    assert page.locator("svg.chart").count() >= 2
    assert page.locator("table.figures").count() >= 2
    assert page.locator("script").count() == 0
    # Nothing sticks out sideways: wide tables scroll inside their own box.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"dashboard-{kind}.png"), full_page=True)
