"""A heat pump's yearly service through a partner, end to end in headless Chromium.

The owner (on SMS) follows the reminder, finds a partner by postcode and asks for a visit; the
partner (by email) accepts in its inbox and later marks the service done; the owner's page shows
it done by the partner with the next service a year on.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from babel.dates import format_date
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from maintenance.extensions import db as _db
from maintenance.models import MaintenanceLog, ServiceRequest, TaskSchedule
from maintenance.services.partners.profiles import approve_partner, register_partner
from maintenance.services.reminders.dispatch import dispatch_once
from maintenance.services.reminders.materialise import materialise_due
from maintenance.services.schedules.plan import ensure_schedules
from tests.browser.fixtures import staff_login
from tests.builders import gtin, make_model, make_owner, make_unit, own, set_due
from tests.conftest import PASSWORD
from tests.fakes import code_in

HEAT_PUMP = gtin("871234577777")
PARTNER = "Warmte Service Utrecht"
PARTNER_EMAIL = "planning@warmteservice.nl"
OWNER_PHONE = "+31612345678"
APPROVED = datetime(2025, 1, 1, tzinfo=UTC)
# The scheduler's pass on the morning the service fell due (12:00 in Amsterdam).
REMINDED_AT = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)


def heat_pump_with_due_service(owner_phone: str) -> int:
    """A heat pump sold in 2024 whose yearly service is due; its owner is on SMS."""
    make_model(gtin=HEAT_PUMP, category="heat-pump", brand="Warmtemerk", name="WP 8")
    unit = make_unit(gtin=HEAT_PUMP, sold_on=date(2024, 5, 1))
    ensure_schedules(unit, date(2024, 5, 1))
    set_due(unit, professional_service=date(2025, 5, 1))
    owner = make_owner(channel="sms", phone=owner_phone, language="nl")
    own(owner, unit)
    return unit.id


def partners_around_utrecht() -> None:
    """The heat-pump partner covering Utrecht, and one elsewhere that must not be offered."""
    for name, area, email in (
        (PARTNER, "3500-3599", PARTNER_EMAIL),
        ("Warmte Noord", "9700-9799", "planning@warmtenoord.nl"),
    ):
        profile = register_partner(
            name,
            areas=[area],
            categories=["heat-pump"],
            task_ids=["professional-service"],
            brands=["Warmtemerk"],
            email=email,
        )
        approve_partner(profile, APPROVED)


def reminder_arrives(app, sms) -> str:
    """The scheduler's pass on the day the service is due: the owner's SMS and its link."""
    with app.app_context():
        materialise_due(REMINDED_AT)
        dispatch_once(REMINDED_AT)
    [reminder] = sms.messages
    assert reminder["to"] == OWNER_PHONE
    return re.search(r"https?://\S+", reminder["body"]).group(0)


def owner_follows_the_reminder(page, link: str, sms) -> None:
    """From the SMS to the find-a-partner page, signing in with a code on the way."""
    page.goto(link)
    assert "Onderhoud door een installateur" in page.locator("main").inner_text()
    page.get_by_role("link", name="Zoek een servicepartner").click()
    page.wait_for_url("**/me/login**")
    page.fill("#contact", "06 12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/me/check")
    page.fill("#code", code_in(sms.messages[-1]["body"]))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/tasks/professional-service/partners")


def owner_asks_for_a_visit(page, unit_id: int) -> None:
    """Postcode, pick the partner, consent, send; back on the appliance's page."""
    page.fill("#postcode", "3511 ab")
    page.locator("main form.stack button[type=submit]").first.click()
    offered = page.locator("ul.partners").inner_text()
    assert PARTNER in offered and "Warmte Noord" not in offered
    assert "erkend voor Warmtemerk" in offered  # authorised for the brand
    partner = page.locator("ul.partners li", has_text=PARTNER)
    partner.locator('input[name="partner"]').check()
    page.fill("#preferred_days", "dinsdag of donderdag")
    page.fill("#note", "De buitenunit maakt sinds kort meer lawaai.")
    send = page.locator("main form[method=post] button[type=submit]").last
    send.click()
    # Nothing is shared without the tick, and nothing the owner typed is lost.
    assert page.locator("#error-consent").is_visible()
    assert page.locator("#note").input_value() == "De buitenunit maakt sinds kort meer lawaai."
    assert partner.locator('input[name="partner"]').is_checked()
    page.check('input[name="consent"]')
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_url(f"**/me/units/{unit_id}")
    assert PARTNER in page.locator(".flash").inner_text()
    task = page.locator("#task-professional-service")
    assert "Te laat sinds 1 mei 2025" in task.inner_text()


def partner_signs_in(browser, live_server: str, email: str):
    """The partner's planner, on a laptop, in its own browser context."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, base_url=live_server, locale="nl-NL"
    )
    desk = context.new_page()
    staff_login(desk, email, PASSWORD)
    desk.goto(live_server + "/partner/requests")
    return context, desk


def test_heat_pump_service_through_a_partner(
    ctx, app, page, browser, live_server: str, library, make_user, mail, sms
) -> None:
    unit_id = heat_pump_with_due_service(OWNER_PHONE)
    partners_around_utrecht()
    staff = make_user(role="partner", organisation=PARTNER).email
    _db.session.remove()

    owner_follows_the_reminder(page, reminder_arrives(app, sms), sms)
    owner_asks_for_a_visit(page, unit_id)

    [announcement] = [m for m in mail.messages if m["To"] == PARTNER_EMAIL]
    text = announcement.get_body(("plain",)).get_content()
    assert "WP 8" in text and "meer lawaai" in text and "/partner/requests" in text
    assert OWNER_PHONE not in text  # the contact is shown in the signed-in inbox only
    assert "WP 8" in announcement.get_body(("html",)).get_content()
    assert not [m for m in mail.messages if m["To"] == "planning@warmtenoord.nl"]
    request_id = _db.session.scalar(select(ServiceRequest.id))
    _db.session.remove()

    context, desk = partner_signs_in(browser, live_server, staff)
    try:
        row = desk.locator(f"#request-{request_id}")
        assert "dinsdag of donderdag" in row.inner_text() and OWNER_PHONE in row.inner_text()
        row.locator('input[name="proposed_time"]').fill("dinsdag 14 uur")
        row.locator("form", has=desk.locator('input[name="proposed_time"]')).locator(
            "button"
        ).click()
        desk.wait_for_url("**/partner/requests")
        assert "dinsdag 14 uur" in sms.messages[-1]["body"]
        assert sms.messages[-1]["to"] == OWNER_PHONE

        # After the visit: the date the form offers (the partner's today) and a note.
        row = desk.locator(f"#request-{request_id}")
        done_on = date.fromisoformat(row.locator('input[name="done_on"]').input_value())
        row.locator('input[name="note"]').fill("Filter gereinigd, druk op 1,5 bar gezet.")
        row.locator("form", has=desk.locator('input[name="done_on"]')).locator("button").click()
        desk.wait_for_url("**/partner/requests")
    finally:
        context.close()
    done_message = sms.messages[-1]
    assert done_message["to"] == OWNER_PHONE and PARTNER in done_message["body"]

    page.reload()
    history = page.locator("table").inner_text()
    assert f"door {PARTNER}" in history
    next_service = done_on + relativedelta(years=1)
    due = page.locator("#task-professional-service .task-due").inner_text()
    assert due == f"Volgende keer: {format_date(next_service, 'long', locale='nl')}"

    log = _db.session.scalar(select(MaintenanceLog))
    schedule = _db.session.scalar(
        select(TaskSchedule).where(TaskSchedule.task_key == "professional-service")
    )
    assert (log.action, log.done_on, log.partner.name) == ("done", done_on, PARTNER)
    assert schedule.next_due == next_service
    _db.session.remove()
    # Owner and partner each got exactly their messages: one email to the partner, and the
    # owner's reminder, code, "accepted" and "done" by SMS.
    assert [m["To"] for m in mail.messages] == [PARTNER_EMAIL]
    assert [m["to"] for m in sms.messages] == [OWNER_PHONE] * 4
