"""Point the app at the real local SMTP server or the Twilio double for one test, then restore."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from maintenance.extensions import limiter
from tests.fakes import FakeSmtpServer, TwilioDouble, smtp_server, twilio_double

# Imported by test modules under the *_fixture names, so test parameters can be `mail` and `sms`.
__all__ = ["fresh_limits", "mail_fixture", "sms_fixture", "smtp_server", "twilio_double"]


def _swap(app: Flask, settings: dict[str, Any]) -> dict[str, Any]:
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    return saved


@pytest.fixture(name="mail")
def mail_fixture(app: Flask, smtp_server: FakeSmtpServer) -> Iterator[FakeSmtpServer]:
    """The app sends email to the local aiosmtpd server for this test."""
    saved = _swap(app, smtp_server.settings())
    yield smtp_server
    app.config.update(saved)


@pytest.fixture(name="sms")
def sms_fixture(app: Flask, twilio_double: TwilioDouble) -> Iterator[TwilioDouble]:
    """The app sends SMS through the real Twilio client to the local double for this test."""
    saved = _swap(app, twilio_double.settings())
    yield twilio_double
    app.config.update(saved)


@pytest.fixture(autouse=True)
def fresh_limits(app: Flask) -> None:
    """Rate limits live in memory for the whole session; every test starts with none used."""
    limiter.reset()
