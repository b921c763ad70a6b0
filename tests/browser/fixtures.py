"""Browser fixtures for every folder: the app on a loopback port, headless Debian Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}


def staff_login(page: object, email: str, password: str) -> None:
    """Sign a staff member in through the login form, as they would at their desk."""
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture(scope="session")
def served_app(app: Flask) -> Iterator[str]:
    """Serve the session app on a free loopback port for the whole session; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def live_server(app: Flask, served_app: str) -> Iterator[str]:
    """The served app's base URL; links in pages and messages point at it during this test."""
    # Only during the test: later tests in the same process expect the configured BASE_URL.
    previous = app.config["BASE_URL"]
    app.config["BASE_URL"] = served_app
    yield served_app
    app.config["BASE_URL"] = previous


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the session."""
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is missing: apt-get install -y chromium (.ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, live_server: str) -> Iterator[object]:
    """A fresh phone-sized page (390x844) with its own cookies."""
    context = browser.new_context(viewport=PHONE, base_url=live_server, locale="nl-NL")
    page = context.new_page()
    yield page
    context.close()
