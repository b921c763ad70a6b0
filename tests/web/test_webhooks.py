"""Twilio webhooks: signed status callbacks and inbound STOP / START / HELP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from maintenance.models import DeliveryEvent, Owner, Reminder
from maintenance.notify import Channel
from maintenance.services.reminders.dispatch import dispatch_once
from maintenance.services.reminders.materialise import materialise_due
from tests.builders import make_owner, make_planned_unit, own, reminders, set_due

TODAY = date(2025, 3, 10)
TOKEN = "test-auth-token"


@pytest.fixture
def signed_app(app: Flask) -> Iterator[Flask]:
    """The app with a Twilio auth token to verify webhook signatures with."""
    app.config["TWILIO_AUTH_TOKEN"] = TOKEN
    yield app
    app.config["TWILIO_AUTH_TOKEN"] = ""


def post_signed(client: FlaskClient, path: str, form: dict[str, str], **options: object) -> object:
    """POST as Twilio does: form data signed over BASE_URL + path."""
    signature = RequestValidator(TOKEN).compute_signature("http://localhost" + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature}, **options)


@pytest.fixture
def sent_sms(signed_app: Flask, db: object, channels: dict[str, Channel]) -> tuple[Owner, Reminder]:
    """An SMS reminder really sent through the twilio client to the double."""
    owner = make_owner(channel="sms")
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY)
    materialise_due(datetime(2025, 3, 10, 6, tzinfo=UTC))
    dispatch_once(datetime(2025, 3, 10, 8, tzinfo=UTC), channels=channels)
    [reminder] = reminders()
    return owner, reminder


def _status(client: FlaskClient, sid: str, status: str, code: str = "") -> int:
    form = {"MessageSid": sid, "MessageStatus": status}
    if code:
        form["ErrorCode"] = code
    return post_signed(client, "/webhooks/twilio/status", form).status_code  # type: ignore[attr-defined]


def test_status_callback_records_delivery_and_never_moves_backwards(
    client: FlaskClient, db: object, sent_sms: tuple[Owner, Reminder]
) -> None:
    _, reminder = sent_sms

    codes = [_status(client, reminder.provider_id, s) for s in ("delivered", "sent", "undelivered")]

    [after] = reminders()
    events = db.session.scalars(select(DeliveryEvent)).all()  # type: ignore[attr-defined]
    assert codes == [204, 204, 204]
    assert after.status == "delivered"
    assert [event.status for event in events] == ["delivered", "sent", "undelivered"]


def test_undelivered_with_21610_marks_the_number_opted_out(
    client: FlaskClient, db: object, sent_sms: tuple[Owner, Reminder]
) -> None:
    owner, reminder = sent_sms

    _status(client, reminder.provider_id, "undelivered", "21610")

    db.session.refresh(owner)  # type: ignore[attr-defined]
    assert reminders()[0].status == "undelivered"
    assert owner.phone_suppressed_at is not None


def test_unsigned_or_wrongly_signed_webhooks_get_403_and_change_nothing(
    signed_app: Flask, client: FlaskClient, db: object
) -> None:
    owner = make_owner(channel="sms")
    form = {"From": owner.phone, "Body": "STOP"}

    unsigned = client.post("/webhooks/twilio/inbound", data=form)
    wrong = client.post(
        "/webhooks/twilio/inbound", data=form, headers={"X-Twilio-Signature": "bm9wZQ=="}
    )
    # Signed for another body: the signature covers the parameters too.
    signature = RequestValidator(TOKEN).compute_signature(
        "http://localhost/webhooks/twilio/inbound", {"From": owner.phone, "Body": "HELLO"}
    )
    tampered = client.post(
        "/webhooks/twilio/inbound", data=form, headers={"X-Twilio-Signature": signature}
    )

    db.session.refresh(owner)  # type: ignore[attr-defined]
    assert unsigned.status_code == wrong.status_code == tampered.status_code == 403
    assert owner.phone_suppressed_at is None


@pytest.mark.parametrize("word", ["STOP", "stopall", "Unsubscribe", "CANCEL", "END", "QUIT"])
def test_stop_words_suppress_sms_and_start_resumes(
    signed_app: Flask, client: FlaskClient, db: object, word: str
) -> None:
    owner = make_owner(channel="sms")

    stopped = post_signed(client, "/webhooks/twilio/inbound", {"From": owner.phone, "Body": word})
    db.session.refresh(owner)  # type: ignore[attr-defined]
    suppressed = owner.phone_suppressed_at
    post_signed(client, "/webhooks/twilio/inbound", {"From": owner.phone, "Body": "START"})
    db.session.refresh(owner)  # type: ignore[attr-defined]

    assert stopped.status_code == 200  # type: ignore[attr-defined]
    assert suppressed is not None
    assert owner.phone_suppressed_at is None


def test_stop_cancels_queued_sms_reminders(
    signed_app: Flask, client: FlaskClient, db: object
) -> None:
    owner = make_owner(channel="sms")
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY)
    materialise_due(datetime(2025, 3, 10, 6, tzinfo=UTC))

    post_signed(client, "/webhooks/twilio/inbound", {"From": owner.phone, "Body": "STOP"})

    assert reminders()[0].status == "cancelled"


def test_help_answers_with_twiml(signed_app: Flask, client: FlaskClient, db: object) -> None:
    owner = make_owner(channel="sms", language="en")

    response = post_signed(
        client, "/webhooks/twilio/inbound", {"From": owner.phone, "Body": "HELP"}
    )

    body = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.mimetype == "application/xml"  # type: ignore[attr-defined]
    assert "<Response><Message>" in body and "STOP" in body


def test_signature_verifies_behind_a_proxy_that_changes_host_and_scheme(
    signed_app: Flask, client: FlaskClient, db: object
) -> None:
    owner = make_owner(channel="sms")
    form = {"From": owner.phone, "Body": "STOP"}

    # Twilio signed the public https address; the app is reached on an internal one.
    response = post_signed(
        client, "/webhooks/twilio/inbound", form, base_url="http://10.0.0.5:8000"
    )

    assert response.status_code == 200  # type: ignore[attr-defined]


def test_proxy_fix_setting_trusts_forwarded_scheme() -> None:
    from maintenance import create_app
    from maintenance.config import TestConfig

    proxied = create_app(TestConfig, PROXY_FIX_HOPS=1, SQLALCHEMY_DATABASE_URI="sqlite://")
    seen: list[str] = []
    proxied.before_request(lambda: seen.append(request.scheme))

    proxied.test_client().get("/", headers={"X-Forwarded-Proto": "https"})

    assert seen == ["https"]
