"""The links in a reminder: GET shows a page, POST acts once; forged links get 403."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from maintenance.models import MaintenanceLog, Owner, Reminder, TaskSchedule
from maintenance.notify import Channel
from maintenance.services.reminders.dispatch import dispatch_once
from maintenance.services.reminders.materialise import materialise_due
from tests.builders import make_owner, make_planned_unit, own, set_due
from tests.conftest import EN, csrf_token
from tests.fakes import FakeSmtpServer, link_in

TODAY = date(2025, 3, 10)


@pytest.fixture
def sent_mail(db: object, channels: dict[str, Channel], mail: FakeSmtpServer) -> tuple[Owner, str]:
    """A reminder email really sent for one due task: (owner, its plain text)."""
    owner = make_owner(language="en")
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY)
    materialise_due(datetime(2025, 3, 10, 6, tzinfo=UTC))
    dispatch_once(datetime(2025, 3, 10, 8, tzinfo=UTC), channels=channels)
    [message] = mail.messages
    return owner, message.get_body(("plain",)).get_content()


def _link(text: str, action: str) -> str:
    match = re.search(rf"http://localhost(/a/{action}/\S+)", text)
    assert match, f"no {action} link in {text}"
    return match.group(1)


def _logs(db: object) -> list[MaintenanceLog]:
    db.session.expire_all()  # type: ignore[attr-defined]
    return list(db.session.scalars(select(MaintenanceLog)))  # type: ignore[attr-defined]


def test_done_link_get_changes_nothing_and_post_logs_the_task_once(
    client: FlaskClient, db: object, sent_mail: tuple[Owner, str]
) -> None:
    owner, text = sent_mail
    path = _link(text, "done")

    page = client.get(path)
    assert page.status_code == 200 and "Clean the filter" in page.get_data(as_text=True)
    assert _logs(db) == []

    token = csrf_token(client, path)
    first = client.post(path, data={"csrf_token": token})
    second = client.post(path, data={"csrf_token": token})

    [log] = _logs(db)
    assert log.owner_id == owner.id and log.source == "reminder" and log.reminder_id is not None
    assert "Marked as done" in first.get_data(as_text=True)
    assert "already marked as done" in second.get_data(as_text=True)
    assert "already marked this task as done" in client.get(path).get_data(as_text=True)


def test_snooze_link_moves_only_the_reminder_a_week_once(
    client: FlaskClient, db: object, sent_mail: tuple[Owner, str]
) -> None:
    path = _link(sent_mail[1], "snooze")
    assert client.get(path).status_code == 200
    token = csrf_token(client, path)

    first = client.post(path, data={"csrf_token": token}).get_data(as_text=True)
    second = client.post(path, data={"csrf_token": token}).get_data(as_text=True)

    db.session.expire_all()  # type: ignore[attr-defined]
    schedule = db.session.scalar(  # type: ignore[attr-defined]
        select(TaskSchedule).where(TaskSchedule.task_key == "clean-filter")
    )
    assert schedule.next_due == TODAY
    assert schedule.snoozed_until is not None and schedule.snoozed_until > TODAY
    assert "Snoozed" in first
    assert "already snoozed" in second


def test_steps_link_shows_the_steps_without_login(
    client: FlaskClient, sent_mail: tuple[Owner, str]
) -> None:
    page = client.get(_link(sent_mail[1], "steps")).get_data(as_text=True)

    assert "Step one." in page


def test_forged_or_tampered_links_get_403_and_change_nothing(
    client: FlaskClient, db: object, sent_mail: tuple[Owner, str]
) -> None:
    done = _link(sent_mail[1], "done")
    snooze_token = _link(sent_mail[1], "snooze").rsplit("/", 1)[1]
    token = csrf_token(client, done)

    # A forged link names no owner, so the page follows the browser's language: English here.
    english = {"Accept-Language": "en"}
    tampered = client.post(done[:-3] + "xyz", data={"csrf_token": token}, headers=english)
    wrong_action = client.post(f"/a/done/{snooze_token}", data={"csrf_token": token})
    garbage = client.get("/a/unsubscribe/not-a-token")

    assert tampered.status_code == wrong_action.status_code == garbage.status_code == 403
    assert "not valid" in tampered.get_data(as_text=True)
    assert _logs(db) == []


def test_expired_links_get_403(
    app: Flask, client: FlaskClient, db: object, sent_mail: tuple[Owner, str]
) -> None:
    path = _link(sent_mail[1], "steps")
    app.config["LINK_MAX_AGE_DAYS"] = -1
    try:
        # An expired link is not trusted to name its owner: the browser's language, English.
        response = client.get(path, headers={"Accept-Language": "en"})
    finally:
        app.config["LINK_MAX_AGE_DAYS"] = 60

    assert response.status_code == 403
    assert "expired" in response.get_data(as_text=True)


def test_one_click_unsubscribe_post_needs_no_login_or_csrf_token(
    client: FlaskClient, db: object, sent_mail: tuple[Owner, str], mail: FakeSmtpServer
) -> None:
    owner, _ = sent_mail
    header = mail.messages[0]["List-Unsubscribe"]
    path = header.strip("<>").removeprefix("http://localhost")

    confirm = client.get(path)
    db.session.refresh(owner)  # type: ignore[attr-defined]
    assert confirm.status_code == 200 and owner.paused is False

    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    again = client.post(path, data={"List-Unsubscribe": "One-Click"})

    db.session.refresh(owner)  # type: ignore[attr-defined]
    assert response.status_code == 200 and owner.paused is True
    assert "already unsubscribed" in again.get_data(as_text=True)
    assert materialise_due(datetime(2025, 3, 20, 6, tzinfo=UTC)).reminders == 0


def test_sms_short_link_page_lists_the_tasks_with_buttons(
    app: Flask, client: FlaskClient, db: object
) -> None:
    from maintenance.services.reminders.links import short_url

    owner = make_owner(channel="sms", language="en")
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY, refill_salt=TODAY)
    materialise_due(datetime(2025, 3, 10, 6, tzinfo=UTC))
    reminder = db.session.scalar(select(Reminder))  # type: ignore[attr-defined]

    page = client.get(short_url(reminder.id).removeprefix("http://localhost"))
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "Clean the filter" in html and "Refill the salt" in html
    assert html.count('action="http://localhost/a/done/') == 2
    assert client.get("/r/1.forged.sig").status_code == 403


def test_a_professional_tasks_partner_link_leads_to_the_partner_page_via_login(
    client: FlaskClient, db: object, channels: dict[str, Channel], mail: FakeSmtpServer
) -> None:
    owner = make_owner(language="en", email="anna@example.nl")
    unit = make_planned_unit(TODAY, professional=("check-hoses",))
    own(owner, unit)
    set_due(unit, clean_filter=TODAY, check_hoses=TODAY)
    materialise_due(datetime(2025, 3, 10, 6, tzinfo=UTC))
    dispatch_once(datetime(2025, 3, 10, 8, tzinfo=UTC), channels=channels)
    [message] = mail.messages
    text = message.get_body(("plain",)).get_content()
    assert text.count("Find a service partner") == 1
    link = _link(text, "partners")
    find = f"/me/units/{unit.id}/tasks/check-hoses/partners"

    # Not signed in: the link is no key to the page that shares contact details; log in first.
    first = client.get(link, headers=EN)
    assert first.status_code == 302 and first.location.endswith("/me/login")
    token = csrf_token(client, "/me/login")
    client.post("/me/login", data={"csrf_token": token, "contact": "anna@example.nl"})
    confirm = link_in(mail.messages[-1])
    confirmed = client.post(confirm, data={"csrf_token": csrf_token(client, confirm)})
    assert confirmed.status_code == 303 and confirmed.location.endswith(find)
    page = client.get(find, headers=EN)
    assert page.status_code == 200 and "Find a service partner" in page.get_data(as_text=True)

    # Signed in: straight there.
    again = client.get(link, headers=EN)
    assert again.status_code == 302 and again.location.endswith(find)


def test_the_steps_page_offers_a_partner_only_for_a_professional_task(
    client: FlaskClient, db: object, channels: dict[str, Channel], mail: FakeSmtpServer
) -> None:
    owner = make_owner(language="en")
    unit = make_planned_unit(TODAY, professional=("check-hoses",))
    own(owner, unit)
    set_due(unit, clean_filter=TODAY, check_hoses=TODAY)
    materialise_due(datetime(2025, 3, 10, 6, tzinfo=UTC))
    dispatch_once(datetime(2025, 3, 10, 8, tzinfo=UTC), channels=channels)
    text = mail.messages[0].get_body(("plain",)).get_content()
    steps = re.findall(r"http://localhost(/a/steps/\S+)", text)
    pages = [client.get(path, headers=EN).get_data(as_text=True) for path in steps]

    offers = {("Check the hoses" in page, "/a/partners/" in page) for page in pages}
    assert offers == {(True, True), (False, False)}


def test_the_sms_page_offers_a_partner_for_the_professional_task_only(
    client: FlaskClient, db: object
) -> None:
    from maintenance.services.reminders.links import short_url

    owner = make_owner(channel="sms", language="en")
    unit = make_planned_unit(TODAY, professional=("check-hoses",))
    own(owner, unit)
    set_due(unit, clean_filter=TODAY, check_hoses=TODAY)
    materialise_due(datetime(2025, 3, 10, 6, tzinfo=UTC))
    reminder = db.session.scalar(select(Reminder))  # type: ignore[attr-defined]

    html = client.get(short_url(reminder.id).removeprefix("http://localhost"), headers=EN)
    sections = html.get_data(as_text=True).split('<section class="appliance">')[1:]

    offers = {("Check the hoses" in s, "Find a service partner" in s) for s in sections}
    assert offers == {(True, True), (False, False)}
