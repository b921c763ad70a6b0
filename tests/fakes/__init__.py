"""Real stand-ins for outside services: an SMTP server and a Twilio API double, with fixtures.

A conftest exposes the fixtures with `from tests.fakes import smtp_server, twilio_double`.
"""

from .smtp import FakeSmtpServer, Received, make_self_signed_certificate, smtp_server
from .twilio_double import RecordedRequest, TwilioDouble, twilio_double

__all__ = [
    "FakeSmtpServer",
    "Received",
    "RecordedRequest",
    "TwilioDouble",
    "make_self_signed_certificate",
    "smtp_server",
    "twilio_double",
]
