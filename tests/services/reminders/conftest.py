"""Fixtures for reminder tests: the real SMTP server, the Twilio double, and channels to them."""

from __future__ import annotations

import pytest
from flask import Flask

from maintenance.notify import Channel, channels_from_settings
from tests.fakes import FakeSmtpServer, TwilioDouble, smtp_server, twilio_double

__all__ = ["channels", "smtp_server", "twilio_double"]


@pytest.fixture
def channels(
    app: Flask, smtp_server: FakeSmtpServer, twilio_double: TwilioDouble
) -> dict[str, Channel]:
    """Email to the local SMTP server, SMS through the real twilio client to the double."""
    return channels_from_settings(
        {**app.config, **smtp_server.settings(), **twilio_double.settings()}
    )
