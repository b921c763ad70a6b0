"""Notices through the reminder outbox: to a real SMTP server and the Twilio double."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from maintenance.extensions import db
from maintenance.models import NoticeDelivery, Reminder
from maintenance.services.notices.acts import confirm_acted, resolve
from maintenance.services.notices.authoring import (
    add_version,
    create_notice,
    read_notice,
    send_notice,
)
from maintenance.services.notices.figures import notice_figures, serials_csv
from maintenance.services.reminders.dispatch import dispatch_once
from maintenance.services.reminders.materialise import materialise_due
from tests import builders as shared
from tests.fakes import FakeSmtpServer, TwilioDouble
from tests.services.notices.builders import (
    NOW,
    make_maker,
    make_owner,
    make_units,
    recall_body,
    version_body,
)

NIGHT = datetime(2025, 3, 3, 22, 30, tzinfo=UTC)  # 23:30 in Amsterdam: quiet hours


def _send(body: dict | None = None, now: datetime = NOW):
    user, _model = make_maker()
    notice = create_notice(read_notice(body or recall_body(), user), user, now)
    send_notice(notice, user, now)
    return notice


def token_in(text: str) -> str:
    match = re.search(r"http://localhost/n/([^/\s\"<]+)/done", text)
    assert match, text
    return match.group(1)


def test_one_message_per_reachable_owner_paused_included_none_to_a_stop_number(
    ctx, channels, smtp_server: FakeSmtpServer, twilio_double: TwilioDouble
) -> None:
    _user, model = make_maker()
    a, b, c, d = make_units(model, "SN0100", "SN0101", "SN0102", "SN0103")
    two_units = make_owner(a, b, channel="email", language="en")
    paused = make_owner(c, channel="email", paused=True)
    texting = make_owner(d, channel="sms")
    make_owner(d, channel="sms", suppressed=True)  # replied STOP earlier
    notice = _send()

    result = dispatch_once(NOW, channels=channels)

    assert result.sent == 3
    assert sorted(m["To"] for m in smtp_server.messages) == sorted([two_units.email, paused.email])
    [sms] = twilio_double.messages
    assert sms["to"] == texting.phone
    assert sms["body"].startswith("Terugroepactie productveiligheid Voorbeeld WM 8000 Eco")
    assert "http://localhost/n/" in sms["body"] and "+31 20 123 4567" in sms["body"]
    english = next(m for m in smtp_server.messages if m["To"] == two_units.email)
    assert english["Subject"] == "Product safety recall: Voorbeeld WM 8000 Eco"
    assert english["List-Unsubscribe"].startswith("<http://localhost/n/")
    text = english.get_body(("plain",)).get_content()
    for part in (
        "PRODUCT SAFETY RECALL",
        "S/N SN0100",
        "S/N SN0101",
        "fingers can be trapped",
        "Stop using the product now.",
        "Repair: free of charge",
        "+31 20 123 4567",
        "I have done this: http://localhost/n/",
        "SN0100 \u2013 SN0199",
    ):
        assert part in text
    figures = notice_figures(notice)
    assert (figures.owners, figures.reached, figures.bounced, figures.waiting) == (4, 3, 1, 0)
    # A second pass sends nothing again.
    assert dispatch_once(NOW + timedelta(minutes=5), channels=channels).sent == 0


def test_sms_waits_for_the_morning_unless_urgent(ctx, channels, twilio_double) -> None:
    _user, model = make_maker()
    [unit] = make_units(model, "SN0150")
    make_owner(unit, channel="sms")
    _send(now=NIGHT)
    assert dispatch_once(NIGHT, channels=channels).deferred == 1
    assert twilio_double.messages == []
    [row] = db.session.scalars(select(Reminder)).all()
    assert row.next_attempt_at == datetime(2025, 3, 4, 7, 0, tzinfo=UTC)  # 08:00 local

    [other] = make_units(model, "SN0160")
    make_owner(other, channel="sms")
    _send(body=recall_body(urgent=True, serials={"list": ["SN0160"]}), now=NIGHT)
    assert dispatch_once(NIGHT, channels=channels).sent == 1
    assert len(twilio_double.messages) == 1


def test_email_goes_at_night_and_outside_the_send_hour(ctx, channels, smtp_server) -> None:
    _user, model = make_maker()
    [unit] = make_units(model, "SN0170")
    make_owner(unit, channel="email")
    _send(now=NIGHT)
    assert dispatch_once(NIGHT, channels=channels).sent == 1
    assert len(smtp_server.messages) == 1


def test_an_update_goes_to_the_same_owner_as_an_update(ctx, channels, smtp_server) -> None:
    user, model = make_maker()
    [unit] = make_units(model, "SN0180")
    owner = make_owner(unit, language="en")
    notice = _send()
    dispatch_once(NOW, channels=channels)
    body = version_body(update="Replacement locks are now in stock.")
    add_version(notice, body, user, NOW + timedelta(days=1))
    dispatch_once(NOW + timedelta(days=1), channels=channels)
    first, update = smtp_server.messages
    assert update["To"] == owner.email
    assert update["Subject"] == "Update: Product safety recall: Voorbeeld WM 8000 Eco"
    assert "Replacement locks are now in stock." in update.get_body(("plain",)).get_content()
    assert first["Message-ID"] != update["Message-ID"]
    assert len(list(db.session.scalars(select(NoticeDelivery)))) == 1


def test_i_have_done_this_shows_in_figures_and_the_serials_export(
    ctx, channels, smtp_server
) -> None:
    _user, model = make_maker()
    units = make_units(model, *(f"SN01{n:02d}" for n in range(6)), sold_on=date(2024, 2, 1))
    for unit in units:
        make_owner(unit)
    notice = _send()
    dispatch_once(NOW, channels=channels)
    token = token_in(smtp_server.messages[0].get_body(("plain",)).get_content())
    opened = resolve(token)
    assert confirm_acted(opened, "remedy", NOW + timedelta(days=2)) is True
    assert confirm_acted(resolve(token), "remedy", NOW + timedelta(days=3)) is False
    figures = notice_figures(notice)
    assert (figures.units, figures.acted, figures.units_acted, figures.opened) == (6, 1, 1, 1)
    exported = serials_csv(notice).splitlines()
    assert exported[0] == "gtin,serial,unit_code,sold_on,status,acted_on"
    acted = [line for line in exported if "acted:remedy" in line]
    assert len(acted) == 1 and acted[0].endswith("2025-03-05")
    assert "@" not in "".join(exported)  # no address, no person


def test_a_big_notice_holds_maintenance_reminders_back_at_most_one_batch(
    ctx, channels, smtp_server
) -> None:
    _user, model = make_maker()
    units = make_units(model, *(f"SN01{n:02d}" for n in range(40)))
    for unit in units:
        make_owner(unit)
    _send()
    owner = shared.make_owner()
    unit = shared.make_planned_unit(date(2025, 3, 3))
    shared.own(owner, unit)
    shared.set_due(unit, clean_filter=date(2025, 3, 3))
    materialise_due(NOW)
    dispatch_once(NOW + timedelta(hours=1), batch_size=8, channels=channels, max_batches=1)
    sent = {
        row.kind for row in db.session.scalars(select(Reminder).where(Reminder.status == "sent"))
    }
    # The first batch of 8 carries 6 notices and the reminder that was due.
    assert sent == {"notice", "due"}
    assert any(m["To"] == owner.email for m in smtp_server.messages)
