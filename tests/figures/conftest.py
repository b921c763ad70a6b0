"""The browser fixtures of tests/browser, for the dashboard screenshots."""

from tests.browser.conftest import browser, live_server, page, served_app

__all__ = ["browser", "live_server", "page", "served_app"]
