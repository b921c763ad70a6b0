"""A safety recall end to end in headless Chromium: drafted, dry-run, sent, acted on, counted."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select

from maintenance.extensions import db as _db
from maintenance.models import NoticeUnit
from maintenance.services.reminders.dispatch import dispatch_once
from tests.browser.fixtures import staff_login
from tests.conftest import PASSWORD
from tests.services.notices.builders import GTIN, RECALL, make_maker, make_owner, make_units

# Any daytime moment after the notice is sent: the dispatcher is handed its time.
DISPATCH_AT = datetime(2031, 6, 2, 10, 0, tzinfo=UTC)  # 12:00 in Amsterdam


def draft_recall(page, live_server: str) -> None:
    """The safety officer fills the notice form for serials SN0100 to SN0199."""
    page.goto(live_server + "/manufacturer/notices/new")
    page.check(f'input[name="gtins"][value="{GTIN}"]')
    page.fill("#reference", RECALL["reference"])
    page.fill("#serial_ranges", "SN0100 SN0199")
    for language, texts in RECALL["texts"].items():
        for name, text in texts.items():
            page.fill(f"#{language}_{name}", text)
    page.fill("#contact_name", RECALL["contact"]["name"])
    page.fill("#contact_phone", RECALL["contact"]["phone"])
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/manufacturer/notices/\d+$"))


def count(page, name: str) -> str:
    return page.locator(f'#dry-run [data-count="{name}"]').inner_text()


def figure(page, label: str) -> str:
    row = page.locator('table[data-table="summary"] tr', has_text=label)
    return row.locator("td").last.inner_text()


def test_recall_reaches_each_reachable_owner_once_and_shows_who_acted(
    ctx, page, live_server: str, app: Flask, mail, sms
) -> None:
    user, model = make_maker()
    first, paused_unit, texting_unit, _no_owner, _outside = make_units(
        model, "SN0100", "SN0101", "SN0102", "SN0103", "SN0300"
    )
    owner = make_owner(first, channel="email")
    paused = make_owner(paused_unit, channel="email", paused=True)
    texting = make_owner(texting_unit, channel="sms")
    stopped = make_owner(texting_unit, channel="sms", suppressed=True)  # replied STOP
    email, emails = user.email, sorted([owner.email, paused.email])
    phone, stop_phone, owner_email = texting.phone, stopped.phone, owner.email
    _db.session.remove()

    staff_login(page, email, PASSWORD)

    draft_recall(page, live_server)
    assert (count(page, "units"), count(page, "units_reachable")) == ("4", "3")
    assert (count(page, "email"), count(page, "sms")) == ("2", "1")
    assert count(page, "owners_unreachable") == "1"
    assert mail.messages == [] and sms.messages == []
    notice_url = page.url
    page.locator("#send").click()
    page.wait_for_url(notice_url)
    assert figure(page, "Eigenaren die actie bevestigden") == "0"

    with app.app_context():
        dispatch_once(DISPATCH_AT)
    assert sorted(m["To"] for m in mail.messages) == emails
    assert [m["to"] for m in sms.messages] == [phone]
    assert stop_phone not in {m["to"] for m in sms.messages}

    page.goto(f"{live_server}/01/{GTIN}/21/SN0100")
    banner = page.locator("#recall")
    assert "Terugroepactie productveiligheid" in banner.inner_text()
    assert "Gebruik het product niet meer." in banner.inner_text()

    message = next(m for m in mail.messages if m["To"] == owner_email)
    text = message.get_body(("plain",)).get_content()
    done = re.search(r"Ik heb dit gedaan: (\S+)", text)
    assert done, text
    page.goto(done.group(1))
    page.locator('button[value="remedy"]').click()
    assert "Dank u" in page.locator("main").inner_text()
    with app.app_context():
        acted = _db.session.scalar(
            select(NoticeUnit.acted_how).where(NoticeUnit.acted_at.isnot(None))
        )
        _db.session.remove()
    assert acted == "remedy"

    page.goto(notice_url)
    assert figure(page, "Eigenaren die actie bevestigden") == "<5"  # 1, shown as the rule says
    assert figure(page, "Getroffen apparaten") == "<5"
