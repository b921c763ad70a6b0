"""Development outbox: messages become files under OUTBOX_DIR instead of leaving the machine."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from maintenance.notify.base import Channel, EmailMessage, Message, SendResult, SmsMessage
from maintenance.notify.mime import build_mime

logger = logging.getLogger("maintenance.notify")

DEFAULT_OUTBOX_DIR = "instance/outbox"
DEVELOPMENT_SENDER = "Onderhoud <noreply@localhost>"

_UNSAFE = re.compile(r"[^A-Za-z0-9@.+_-]+")


class FileOutboxChannel(Channel):
    """Writes each email as a .eml file and each SMS as a .txt file; never overwrites one."""

    name = "outbox"

    def __init__(self, settings: Mapping[str, Any]) -> None:
        super().__init__()
        self.directory = Path(settings.get("OUTBOX_DIR") or DEFAULT_OUTBOX_DIR)
        self.sender: str = settings.get("MAIL_DEFAULT_SENDER") or DEVELOPMENT_SENDER
        self.sms_sender: str = (
            settings.get("TWILIO_FROM_NUMBER")
            or settings.get("TWILIO_MESSAGING_SERVICE_SID")
            or "outbox"
        )

    def _send(self, message: Message) -> SendResult:
        if isinstance(message, EmailMessage):
            content = build_mime(message, message.sender or self.sender).as_bytes()
            path = self._write("email", message.to, "eml", content)
        elif isinstance(message, SmsMessage):
            path = self._write("sms", message.to, "txt", self._sms_text(message).encode())
        else:
            raise TypeError(f"{self.name} cannot send {type(message).__name__}")
        logger.info("outbox: wrote %s", path)
        return SendResult(provider_id=path.name)

    def _sms_text(self, message: SmsMessage) -> str:
        """The SMS as header lines, a blank line and the body, so an email parser reads it."""
        lines = [
            f"To: {message.to}",
            f"From: {self.sms_sender}",
            f"Date: {format_datetime(datetime.now(UTC))}",
        ]
        if message.status_callback:
            lines.append(f"Status-Callback: {message.status_callback}")
        return "\n".join(lines) + "\n\n" + message.body + "\n"

    def _write(self, channel: str, recipient: str, suffix: str, content: bytes) -> Path:
        """Write content to a new file named by time, channel, recipient and a random id."""
        self.directory.mkdir(parents=True, exist_ok=True)
        safe_recipient = _UNSAFE.sub("_", recipient)[:64] or "unknown"
        while True:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
            name = f"{stamp}-{channel}-{safe_recipient}-{secrets.token_hex(4)}.{suffix}"
            path = self.directory / name
            try:
                # Mode "x" fails instead of replacing a file that already has this name.
                with path.open("xb") as file:
                    file.write(content)
                return path
            except FileExistsError:
                continue
