"""Fixtures for reminder tests: the real SMTP server and the Twilio double."""

from tests.fakes import smtp_server, twilio_double

__all__ = ["smtp_server", "twilio_double"]
