"""Notification channels behind one interface: SMTP email, Twilio SMS, a development file outbox."""

# channels = channels_from_settings(app.config)
# with channels["email"] as email:          # one SMTP connection for the whole batch
#     for message in batch:
#         email.send(message)               # SendResult, or SendError(permanent=...)

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from maintenance.notify.base import (
    Channel,
    EmailMessage,
    Message,
    RealSendRefused,
    SendError,
    SendResult,
    SmsMessage,
)
from maintenance.notify.email import SmtpEmailChannel
from maintenance.notify.outbox import FileOutboxChannel
from maintenance.notify.sms import TwilioSmsChannel

__all__ = [
    "Channel",
    "EmailMessage",
    "FileOutboxChannel",
    "Message",
    "RealSendRefused",
    "SendError",
    "SendResult",
    "SmsMessage",
    "SmtpEmailChannel",
    "TwilioSmsChannel",
    "channels_from_settings",
]


def channels_from_settings(settings: Mapping[str, Any]) -> dict[str, Channel]:
    """The "email" and "sms" channels the settings ask for; the file outbox when none is set.

    Raises RealSendRefused under FAIL_ON_REAL_SENDS when a channel would reach a real provider.
    """
    email: Channel = (
        SmtpEmailChannel(settings) if settings.get("MAIL_SERVER") else FileOutboxChannel(settings)
    )
    sms: Channel = (
        TwilioSmsChannel(settings)
        if settings.get("TWILIO_ACCOUNT_SID")
        else FileOutboxChannel(settings)
    )
    return {"email": email, "sms": sms}
