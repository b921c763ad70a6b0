"""TwilioSmsChannel: the real twilio client talking HTTP to a local Twilio double."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from maintenance.notify import SendError, SmsMessage, TwilioSmsChannel
from maintenance.notify.sms import BaseUrlHttpClient
from tests.fakes import TwilioDouble

CALLBACK = "https://maintenance.test/webhooks/twilio/status"


def settings_for(double: TwilioDouble, **overrides: Any) -> dict[str, Any]:
    return {**double.settings(), "FAIL_ON_REAL_SENDS": True, **overrides}


def sms(to: str = "+31612345678") -> SmsMessage:
    return SmsMessage(
        to=to,
        body="Tijd om het filter van uw vaatwasser te reinigen. Klaar? Antwoord met KLAAR.",
        status_callback=CALLBACK,
    )


def test_sms_reaches_twilio_with_number_text_callback_and_credentials(
    twilio_double: TwilioDouble,
) -> None:
    result = TwilioSmsChannel(settings_for(twilio_double)).send(sms())

    [request] = twilio_double.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{twilio_double.account_sid}/Messages.json"
    assert request.auth == (twilio_double.account_sid, twilio_double.auth_token)
    assert request.form["To"] == "+31612345678"
    assert request.form["From"] == twilio_double.from_number
    assert request.form["Body"] == sms().body
    assert request.form["StatusCallback"] == CALLBACK
    assert re.fullmatch(r"SM[0-9a-f]{32}", result.provider_id)
    assert result.provider_id == twilio_double.messages[0]["sid"]


def test_messaging_service_is_used_when_there_is_no_from_number(
    twilio_double: TwilioDouble,
) -> None:
    settings = settings_for(
        twilio_double,
        TWILIO_FROM_NUMBER="",
        TWILIO_MESSAGING_SERVICE_SID="MG" + "a" * 32,
    )
    TwilioSmsChannel(settings).send(sms())

    [request] = twilio_double.requests
    assert request.form["MessagingServiceSid"] == "MG" + "a" * 32
    assert "From" not in request.form


def test_a_batch_sends_every_message(twilio_double: TwilioDouble) -> None:
    channel = TwilioSmsChannel(settings_for(twilio_double))
    numbers = [f"+3161234567{n}" for n in range(3)]
    with channel:
        sids = [channel.send(sms(number)).provider_id for number in numbers]

    assert [r.form["To"] for r in twilio_double.requests] == numbers
    assert len(set(sids)) == 3


def test_server_error_is_temporary_and_the_retry_succeeds(twilio_double: TwilioDouble) -> None:
    channel = TwilioSmsChannel(settings_for(twilio_double))
    twilio_double.fail_next(1, status=500)

    with pytest.raises(SendError) as raised:
        channel.send(sms())
    result = channel.send(sms())

    assert raised.value.permanent is False
    assert len(twilio_double.requests) == 2
    assert [m["sid"] for m in twilio_double.messages] == [result.provider_id]


def test_stop_reply_makes_the_number_permanently_unreachable(twilio_double: TwilioDouble) -> None:
    twilio_double.error_for("+31687654321", code=21610)

    with pytest.raises(SendError) as raised:
        TwilioSmsChannel(settings_for(twilio_double)).send(sms("+31687654321"))

    assert raised.value.permanent is True
    assert raised.value.code == "21610"
    assert twilio_double.messages == []


@pytest.mark.parametrize("code", [21211, 21614])
def test_invalid_or_landline_number_is_permanent(twilio_double: TwilioDouble, code: int) -> None:
    twilio_double.error_for("+31201234567", code=code)

    with pytest.raises(SendError) as raised:
        TwilioSmsChannel(settings_for(twilio_double)).send(sms("+31201234567"))

    assert raised.value.permanent is True
    assert raised.value.code == str(code)


def test_wrong_credentials_are_not_blamed_on_the_number(twilio_double: TwilioDouble) -> None:
    settings = settings_for(twilio_double, TWILIO_AUTH_TOKEN="wrong-token")

    with pytest.raises(SendError) as raised:
        TwilioSmsChannel(settings).send(sms())

    assert raised.value.permanent is False
    assert raised.value.code == "20003"


def test_unreachable_api_is_temporary(twilio_double: TwilioDouble) -> None:
    settings = settings_for(twilio_double)
    twilio_double.stop()

    with pytest.raises(SendError) as raised:
        TwilioSmsChannel(settings).send(sms())

    assert raised.value.permanent is False


def test_base_url_replaces_scheme_and_host_and_keeps_the_path(twilio_double: TwilioDouble) -> None:
    client = BaseUrlHttpClient(twilio_double.base_url + "/gateway")

    response = client.request(
        "GET",
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=1",
        auth=("AC1", "token"),
    )

    [request] = twilio_double.requests
    assert request.path == "/gateway/2010-04-01/Accounts/AC1/Messages.json"
    assert response.status_code == 401  # the double checked the credentials it was given


@pytest.mark.parametrize("missing", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"])
def test_account_and_token_are_both_required(twilio_double: TwilioDouble, missing: str) -> None:
    with pytest.raises(ValueError, match="TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"):
        TwilioSmsChannel(settings_for(twilio_double, **{missing: ""}))


def test_a_sender_is_required(twilio_double: TwilioDouble) -> None:
    with pytest.raises(ValueError, match="TWILIO_FROM_NUMBER"):
        TwilioSmsChannel(settings_for(twilio_double, TWILIO_FROM_NUMBER=""))


def test_each_send_is_logged_with_its_sid_but_never_its_text(
    twilio_double: TwilioDouble, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="maintenance.notify"):
        result = TwilioSmsChannel(settings_for(twilio_double)).send(sms())

    [record] = [r for r in caplog.records if r.name == "maintenance.notify"]
    assert result.provider_id in record.getMessage()
    assert " ms" in record.getMessage()
    assert "filter" not in caplog.text
