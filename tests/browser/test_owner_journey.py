"""The owner's journey end to end in headless Chromium on a 390x844 phone screen."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import select

from maintenance.extensions import db as _db
from maintenance.models import MaintenanceLog, Owner
from tests.builders import make_unit, unit_path
from tests.fakes import code_in, link_in


def open_unit_and_read_tasks(page, live_server: str) -> None:
    """Open the unit's URI as a QR scan would, and unfold the first task."""
    page.goto(live_server + unit_path())
    assert page.locator("h1").inner_text() == "VW 100"
    first = page.locator("li.task").first
    assert first.locator(".task-title").inner_text() == "Filter reinigen"
    steps = first.locator("ol.steps")
    assert not steps.is_visible()
    first.locator("summary").click()
    assert steps.is_visible()
    assert steps.locator("li").count() >= 2


def fill_sign_up(page, contact: str) -> None:
    """Tap "Remind me", fill the form and send it."""
    page.locator('a[href="#register"]').click()
    page.fill("#contact", contact)
    page.check('input[name="consent"]')
    page.locator("#register form button[type=submit]").click()
    page.wait_for_url("**/me/check")


def mark_done_download_and_delete(page, unit_id: int, contact: str) -> None:
    """In my appliances: mark a task done, download my data, delete me."""
    assert "Testmerk VW 100" in page.locator("main").inner_text()
    page.locator(f'a[href="/me/units/{unit_id}"]').click()
    page.wait_for_url(f"**/me/units/{unit_id}")
    page.locator("li.task").first.locator("input[name=note]").fill("Was vies")
    page.locator("li.task").first.locator("form.stack button[type=submit]").click()
    page.wait_for_url(f"**/me/units/{unit_id}")
    assert "Was vies" in page.locator("table").inner_text()
    log = _db.session.scalar(select(MaintenanceLog))
    assert log.note == "Was vies" and log.owner_id is not None
    _db.session.remove()

    page.goto(page.url.split("/me/")[0] + "/me")
    with page.expect_download() as download_info:
        page.locator('a[href="/me/export"]').first.click()
    exported = json.loads(Path(download_info.value.path()).read_text(encoding="utf-8"))
    assert contact in (exported["owner"]["email"], exported["owner"]["phone"])
    assert exported["units"][0]["my_log"][0]["note"] == "Was vies"

    page.locator('a[href="/me/delete"]').click()
    page.locator("button.danger").click()
    page.wait_for_url(lambda url: url.rstrip("/").count("/") == 2)
    assert _db.session.scalars(select(Owner)).all() == []
    log = _db.session.scalar(select(MaintenanceLog))
    assert log.owner_id is None and log.note is None  # anonymous history stays with the unit


def test_journey_with_email(page, live_server: str, library, mail) -> None:
    unit = make_unit(sold_on=date(2024, 1, 10))
    open_unit_and_read_tasks(page, live_server)
    fill_sign_up(page, "anna@example.nl")
    [message] = mail.messages
    assert message["To"] == "anna@example.nl"

    page.goto(live_server + link_in(message))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/me")
    mark_done_download_and_delete(page, unit.id, "anna@example.nl")


def test_journey_with_an_sms_code(page, live_server: str, library, sms) -> None:
    unit = make_unit(sold_on=date(2024, 1, 10))
    open_unit_and_read_tasks(page, live_server)
    fill_sign_up(page, "06 12345678")
    [message] = sms.messages
    assert message["to"] == "+31612345678"

    page.fill("#code", code_in(message["body"]))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/me")
    mark_done_download_and_delete(page, unit.id, "+31612345678")
