"""The till in headless Chromium: EAN + Enter, serial + Enter, and a label whose QR code scans."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

from tests.builders import GTIN, make_model
from tests.conftest import PASSWORD

SERIAL = "WM-2025-0042"


def log_in(page: object, email: str) -> None:
    page.goto("/login?next=/retailer/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/retailer/")


def wait_for_focus(page: object, element_id: str) -> None:
    """Wait until the element has the keyboard focus (autofocus applies after the first frame)."""
    page.wait_for_function(
        f"document.activeElement && document.activeElement.id === '{element_id}'"
    )


def scanned_codes(page: object) -> list[str]:
    """The QR codes zxing-cpp finds in a screenshot of the label as the browser drew it."""
    image = Image.open(io.BytesIO(page.locator(".label").screenshot())).convert("L")
    return [code.text for code in zxingcpp.read_barcodes(image)]


def till_flow(page: object, live_server: str) -> None:
    """Scanner types the EAN and Enter, then the serial and Enter; the label must be there."""
    wait_for_focus(page, "gtin")
    page.keyboard.type(GTIN[1:])  # the EAN-13 on the box
    page.keyboard.press("Enter")
    wait_for_focus(page, "serial")
    page.keyboard.type(SERIAL)
    page.keyboard.press("Enter")
    page.wait_for_url("**/label")
    uri = f"{live_server}/01/{GTIN}/21/{SERIAL}"
    assert page.locator(".label").get_attribute("data-uri") == uri
    assert "Scan voor onderhoudstips en herinneringen" in page.locator(".label").inner_text()
    assert scanned_codes(page) == [uri]


def test_ean_enter_serial_enter_shows_a_label_that_scans(
    page: object, live_server: str, make_user: object
) -> None:
    make_model()
    user = make_user(role="retailer", organisation="Elektro Centrum")
    log_in(page, user.email)
    till_flow(page, live_server)
    # With JavaScript the EAN's Enter only moved the focus, so the page was sent once.
    assert page.locator(".print-button").is_visible()


def test_the_same_keystrokes_work_without_javascript(
    browser: object, live_server: str, make_user: object
) -> None:
    make_model()
    user = make_user(role="retailer", organisation="Elektro Centrum")
    context = browser.new_context(
        java_script_enabled=False, base_url=live_server, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    try:
        log_in(page, user.email)
        till_flow(page, live_server)
        assert not page.locator(".print-button").is_visible()
    finally:
        context.close()
