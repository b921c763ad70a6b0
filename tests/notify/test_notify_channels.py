"""channels_from_settings: the right channel per configuration, and no real sends in tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from maintenance.notify import (
    EmailMessage,
    FileOutboxChannel,
    RealSendRefused,
    SmsMessage,
    SmtpEmailChannel,
    TwilioSmsChannel,
    channels_from_settings,
)
from tests.fakes import FakeSmtpServer, TwilioDouble

NOTHING_CONFIGURED: dict[str, Any] = {
    "MAIL_SERVER": "",
    "MAIL_DEFAULT_SENDER": "Onderhoud <noreply@maintenance.test>",
    "TWILIO_ACCOUNT_SID": "",
    "TWILIO_AUTH_TOKEN": "",
    "FAIL_ON_REAL_SENDS": True,
}

REAL_TWILIO: dict[str, Any] = {
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_FROM_NUMBER": "+3197010000000",
}


def test_nothing_configured_means_the_file_outbox(tmp_path: Path) -> None:
    channels = channels_from_settings({**NOTHING_CONFIGURED, "OUTBOX_DIR": str(tmp_path)})

    assert isinstance(channels["email"], FileOutboxChannel)
    assert isinstance(channels["sms"], FileOutboxChannel)
    channels["email"].send(
        EmailMessage("a@example.nl", "Onderwerp", "Tekst", None, "<m@maintenance.test>", {})
    )
    channels["sms"].send(SmsMessage("+31612345678", "Tekst", None))
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".eml", ".txt"]


def test_configured_providers_are_used(
    smtp_server: FakeSmtpServer, twilio_double: TwilioDouble
) -> None:
    settings = {**NOTHING_CONFIGURED, **smtp_server.settings(), **twilio_double.settings()}

    channels = channels_from_settings(settings)

    assert isinstance(channels["email"], SmtpEmailChannel)
    assert isinstance(channels["sms"], TwilioSmsChannel)
    channels["email"].send(
        EmailMessage("a@example.nl", "Onderwerp", "Tekst", None, "<m@maintenance.test>", {})
    )
    channels["sms"].send(SmsMessage("+31612345678", "Tekst", None))
    assert len(smtp_server.messages) == 1
    assert len(twilio_double.messages) == 1


@pytest.mark.parametrize(
    "provider",
    [
        {"MAIL_SERVER": "smtp.example.nl", "MAIL_PORT": 587},
        REAL_TWILIO,
        {**REAL_TWILIO, "TWILIO_API_BASE_URL": "https://gateway.example.nl"},
    ],
    ids=["real-smtp", "real-twilio", "remote-twilio-gateway"],
)
def test_a_real_provider_is_refused_when_tests_forbid_it(provider: dict[str, Any]) -> None:
    with pytest.raises(RealSendRefused):
        channels_from_settings({**NOTHING_CONFIGURED, **provider})


def test_testing_without_an_explicit_switch_also_refuses_real_providers() -> None:
    settings = {"TESTING": True, "MAIL_SERVER": "smtp.example.nl"}

    with pytest.raises(RealSendRefused):
        channels_from_settings(settings)


def test_production_settings_may_name_real_providers() -> None:
    settings = {
        **NOTHING_CONFIGURED,
        **REAL_TWILIO,
        "FAIL_ON_REAL_SENDS": False,
        "MAIL_SERVER": "smtp.example.nl",
    }

    channels = channels_from_settings(settings)  # builds clients only; nothing is sent

    assert isinstance(channels["email"], SmtpEmailChannel)
    assert isinstance(channels["sms"], TwilioSmsChannel)
