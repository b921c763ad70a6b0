"""The fakes as fixtures (registered in tests/conftest.py): bare servers, and the app aimed at them.

`smtp_server` and `twilio_double` only run; `mail` and `sms` also point the app's settings at
them for one test, which is the one way a test makes the app send to them; `channels` are the
app's channels while it is.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from maintenance.notify import Channel, channels_from_settings

from .smtp import FakeSmtpServer
from .twilio_double import TwilioDouble


@pytest.fixture
def smtp_server() -> Iterator[FakeSmtpServer]:
    """A plain SMTP server on 127.0.0.1 for one test."""
    with FakeSmtpServer() as server:
        yield server


@pytest.fixture
def twilio_double() -> Iterator[TwilioDouble]:
    """A Twilio Messages API double on 127.0.0.1 for one test."""
    with TwilioDouble() as double:
        yield double


@pytest.fixture
def mail(
    app: Flask, smtp_server: FakeSmtpServer, monkeypatch: pytest.MonkeyPatch
) -> FakeSmtpServer:
    """The app sends email to the local SMTP server during this test."""
    for key, value in smtp_server.settings().items():
        monkeypatch.setitem(app.config, key, value)
    return smtp_server


@pytest.fixture
def sms(app: Flask, twilio_double: TwilioDouble, monkeypatch: pytest.MonkeyPatch) -> TwilioDouble:
    """The app sends SMS through the real twilio client to the local double during this test."""
    for key, value in twilio_double.settings().items():
        monkeypatch.setitem(app.config, key, value)
    return twilio_double


@pytest.fixture
def channels(app: Flask, mail: FakeSmtpServer, sms: TwilioDouble) -> dict[str, Channel]:
    """The app's channels while it is aimed at the fakes: email to `mail`, SMS to `sms`."""
    return channels_from_settings(app.config)
