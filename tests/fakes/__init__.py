"""Real stand-ins for outside services: an SMTP server and a Twilio API double.

Their fixtures live in tests/fakes/fixtures.py, registered once for the whole suite.
"""

from .smtp import FakeSmtpServer, Received, link_in, make_self_signed_certificate
from .twilio_double import RecordedRequest, TwilioDouble, code_in

__all__ = [
    "FakeSmtpServer",
    "Received",
    "RecordedRequest",
    "TwilioDouble",
    "code_in",
    "link_in",
    "make_self_signed_certificate",
]
