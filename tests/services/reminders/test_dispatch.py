"""Dispatching reminders to a real SMTP server, and through the twilio client to its double."""

from __future__ import annotations

import logging
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from maintenance.models import DeliveryEvent, Event, Owner
from maintenance.notify import Channel
from maintenance.services.reminders.dispatch import dispatch_once
from maintenance.services.reminders.materialise import materialise_due
from tests.builders import make_owner, make_planned_unit, own, reminders, set_due
from tests.fakes import FakeSmtpServer, TwilioDouble

TODAY = date(2025, 3, 10)
MATERIALISE_AT = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)  # 07:00 in Amsterdam
SEND_AT = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam, the send hour


def _due_owner(**options: object) -> Owner:
    owner = make_owner(**options)
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY)
    materialise_due(MATERIALISE_AT)
    return owner


def test_reminder_email_arrives_with_list_headers_links_and_owner_language(
    db: object, channels: dict[str, Channel], smtp_server: FakeSmtpServer
) -> None:
    owner = _due_owner(language="nl")

    result = dispatch_once(SEND_AT, channels=channels)

    assert result.sent == 1
    [message] = smtp_server.messages
    [reminder] = reminders()
    assert message["To"] == owner.email
    assert message["Message-ID"] == reminder.message_id
    assert message["List-Id"].endswith("<reminders.localhost>")
    assert message["List-Unsubscribe"].startswith("<http://localhost/a/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Filter reinigen" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Filter reinigen" in body
        assert "http://localhost/a/done/" in body
        assert "http://localhost/a/snooze/" in body
        assert "http://localhost/a/steps/" in body
    assert reminder.status == "sent"
    assert reminder.provider_id == reminder.message_id


def test_nothing_goes_before_the_send_hour_and_nothing_goes_twice(
    db: object, channels: dict[str, Channel], smtp_server: FakeSmtpServer
) -> None:
    _due_owner()

    early = dispatch_once(SEND_AT - timedelta(hours=1), channels=channels)
    dispatch_once(SEND_AT, channels=channels)
    dispatch_once(SEND_AT, channels=channels)
    materialise_due(SEND_AT + timedelta(days=1))
    dispatch_once(SEND_AT + timedelta(days=1), channels=channels)

    assert early.claimed == 0
    assert len(smtp_server.messages) == 1


def test_one_smtp_connection_carries_a_whole_batch(
    db: object, channels: dict[str, Channel], smtp_server: FakeSmtpServer
) -> None:
    for _ in range(5):
        _due_owner()

    result = dispatch_once(SEND_AT, channels=channels)

    assert result.sent == 5
    assert len(smtp_server.messages) == 5
    assert smtp_server.connections == 1


def test_a_reminder_found_late_at_night_waits_for_the_morning(
    db: object, channels: dict[str, Channel], smtp_server: FakeSmtpServer
) -> None:
    _due_owner()
    # The scheduler was down all day and comes back at 23:30 in Amsterdam.
    late = datetime(2025, 3, 10, 22, 30, tzinfo=UTC)

    at_night = dispatch_once(late, channels=channels)
    morning = dispatch_once(datetime(2025, 3, 11, 8, 0, tzinfo=UTC), channels=channels)

    assert at_night.deferred == 1 and at_night.sent == 0
    assert morning.sent == 1
    assert len(smtp_server.messages) == 1


def test_materialised_during_quiet_hours_it_goes_next_morning(db: object) -> None:
    owner = make_owner(preferred_hour=7)  # before 08:00: clamped out of the quiet hours
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY)

    materialise_due(datetime(2025, 3, 10, 21, 0, tzinfo=UTC))  # 22:00 local

    [reminder] = reminders()
    assert reminder.next_attempt_at == datetime(2025, 3, 11, 7, 0, tzinfo=UTC)  # 08:00 local


def test_a_failing_smtp_server_is_retried_with_the_same_message_id(
    db: object, channels: dict[str, Channel], smtp_server: FakeSmtpServer
) -> None:
    owner = _due_owner()
    smtp_server.reject(owner.email, 451, times=1)

    first = dispatch_once(SEND_AT, channels=channels, rng=random.Random(1))
    [waiting] = reminders()
    status, reason = waiting.status, waiting.last_error
    retry_at = waiting.next_attempt_at
    stored_id = waiting.message_id
    too_soon = dispatch_once(SEND_AT + timedelta(seconds=60), channels=channels)
    later = dispatch_once(retry_at, channels=channels)

    assert first.retried == 1 and status == "pending" and "451" in reason
    assert retry_at > SEND_AT
    assert too_soon.claimed == 0
    assert later.sent == 1
    [message] = smtp_server.messages
    assert message["Message-ID"] == stored_id
    assert reminders()[0].status == "sent"


def test_after_the_last_attempt_the_reminder_fails_with_its_reason(
    app: object, db: object, channels: dict[str, Channel], smtp_server: FakeSmtpServer
) -> None:
    owner = _due_owner()
    smtp_server.reject(owner.email, 451)
    app.config["REMINDER_MAX_ATTEMPTS"] = 2  # type: ignore[attr-defined]
    try:
        dispatch_once(SEND_AT, channels=channels)
        result = dispatch_once(SEND_AT + timedelta(days=1), channels=channels)
    finally:
        app.config["REMINDER_MAX_ATTEMPTS"] = 8  # type: ignore[attr-defined]

    [reminder] = reminders()
    assert result.failed == 1
    assert reminder.status == "failed" and "451" in reminder.last_error
    assert smtp_server.messages == []


def test_a_hard_bounce_suppresses_the_address_and_cancels_its_other_reminders(
    db: object, channels: dict[str, Channel], smtp_server: FakeSmtpServer
) -> None:
    owner = make_owner(digest=False)
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY, refill_salt=TODAY)
    materialise_due(MATERIALISE_AT)
    smtp_server.reject(owner.email, 550)

    result = dispatch_once(SEND_AT, channels=channels, batch_size=1)

    statuses = sorted(reminder.status for reminder in reminders())
    assert result.failed == 1
    assert statuses == ["cancelled", "failed"]
    db.session.refresh(owner)  # type: ignore[attr-defined]
    assert owner.email_suppressed_at is not None
    assert materialise_due(SEND_AT + timedelta(days=1)).reminders == 0


def test_admin_sees_failed_reminders_with_reasons(
    db: object,
    channels: dict[str, Channel],
    smtp_server: FakeSmtpServer,
    make_user: object,
    login: object,
) -> None:
    owner = _due_owner()
    smtp_server.reject(owner.email, 550)
    dispatch_once(SEND_AT, channels=channels)
    client: FlaskClient = login(make_user(role="admin"))  # type: ignore[operator]

    page = client.get("/admin/reminders").get_data(as_text=True)

    assert owner.email in page
    assert "recipient refused" in page


def test_staff_who_are_not_admins_cannot_see_failed_reminders(
    make_user: object, login: object
) -> None:
    client: FlaskClient = login(make_user(role="retailer"))  # type: ignore[operator]

    assert client.get("/admin/reminders").status_code == 403


def test_sms_reminder_goes_through_twilio_with_a_short_link_and_status_callback(
    db: object, channels: dict[str, Channel], twilio_double: TwilioDouble
) -> None:
    owner = _due_owner(channel="sms", language="en")

    result = dispatch_once(SEND_AT, channels=channels)

    assert result.sent == 1
    [message] = twilio_double.messages
    [reminder] = reminders()
    assert message["to"] == owner.phone
    assert "Clean the filter" in message["body"]
    assert "http://localhost/r/" in message["body"]
    assert len(message["body"]) <= 160
    assert message["status_callback"] == "http://localhost/webhooks/twilio/status"
    assert reminder.provider_id == message["sid"]


def test_a_500_from_twilio_is_retried_and_succeeds_when_it_recovers(
    db: object, channels: dict[str, Channel], twilio_double: TwilioDouble
) -> None:
    _due_owner(channel="sms")
    twilio_double.fail_next(1, 500)

    first = dispatch_once(SEND_AT, channels=channels)
    second = dispatch_once(SEND_AT + timedelta(days=1), channels=channels)

    assert first.retried == 1 and first.sent == 0
    assert second.sent == 1
    assert len(twilio_double.messages) == 1
    events = db.session.scalars(select(DeliveryEvent)).all()  # type: ignore[attr-defined]
    assert [event.status for event in events] == ["retry"]


def test_twilio_21610_marks_the_number_opted_out(
    db: object, channels: dict[str, Channel], twilio_double: TwilioDouble
) -> None:
    owner = _due_owner(channel="sms")
    twilio_double.error_for(owner.phone, 21610)

    result = dispatch_once(SEND_AT, channels=channels)

    assert result.failed == 1
    db.session.refresh(owner)  # type: ignore[attr-defined]
    assert owner.phone_suppressed_at is not None


def test_a_task_done_before_the_reminder_goes_is_left_out(
    db: object, channels: dict[str, Channel], smtp_server: FakeSmtpServer
) -> None:
    from maintenance.services.schedules.records import record_done

    owner = _due_owner()
    unit = owner.ownerships[0].unit
    record_done(unit, "clean-filter", TODAY, owner=owner)

    result = dispatch_once(SEND_AT, channels=channels)

    assert result.cancelled == 1
    assert smtp_server.messages == []


def test_a_batch_logs_one_info_line_and_each_failure_its_own_warning(
    db: object,
    channels: dict[str, Channel],
    smtp_server: FakeSmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    owners = [_due_owner() for _ in range(3)]
    smtp_server.reject(owners[1].email, 451, times=1)

    with caplog.at_level(logging.INFO):
        result = dispatch_once(SEND_AT, channels=channels)

    assert result.sent == 2 and result.retried == 1
    sends = [r for r in caplog.records if r.name == "maintenance.notify"]
    [warning] = sends  # successful sends inside a batch log at DEBUG only
    assert warning.levelno == logging.WARNING and "451" in warning.getMessage()
    [batch] = [r for r in caplog.records if "batch of" in r.getMessage()]
    assert batch.levelno == logging.INFO
    ids = [reminder.id for reminder in reminders()]
    line = batch.getMessage()
    assert f"batch of 3 (reminders {min(ids)}-{max(ids)})" in line
    assert "2 sent, 1 failed, 0 cancelled, 0 handed back" in line


def test_every_sent_reminder_of_a_batch_gets_its_events_with_the_unit_facts(
    db: object, channels: dict[str, Channel], smtp_server: FakeSmtpServer
) -> None:
    units = []
    for _ in range(3):
        owner = make_owner()
        unit = make_planned_unit(TODAY)
        own(owner, unit)
        set_due(unit, clean_filter=TODAY, refill_salt=TODAY - timedelta(days=2))
        units.append(unit)
    materialise_due(MATERIALISE_AT)

    result = dispatch_once(SEND_AT, channels=channels)

    events = db.session.scalars(  # type: ignore[attr-defined]
        select(Event).where(Event.kind == "reminder_sent")
    ).all()
    assert result.sent == len(smtp_server.messages) == 3
    expected = {
        (unit.id, task, due, (TODAY - due).days)
        for unit in units
        for task, due in (("clean-filter", TODAY), ("refill-salt", TODAY - timedelta(days=2)))
    }
    assert {(e.unit_id, e.task_key, e.due_on, e.days_late) for e in events} == expected
    assert len(events) == len(expected)
    for event in events:
        unit = next(unit for unit in units if unit.id == event.unit_id)
        model = unit.product_model
        assert (event.product_model_id, event.manufacturer_id) == (model.id, model.organisation_id)
        assert (event.retailer_id, event.category) == (unit.retailer_id, model.category)
        assert (event.channel, event.day, event.month) == ("email", TODAY, TODAY.replace(day=1))
        assert event.at.tzinfo is not None and event.from_reminder is False
