"""Messages, results, errors and the channel base class that logs and times every send."""

from __future__ import annotations

import ipaddress
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

logger = logging.getLogger("maintenance.notify")


@dataclass(frozen=True)
class EmailMessage:
    """One email to one recipient; message_id stays the same across retries."""

    to: str
    subject: str
    text: str
    html: str | None
    message_id: str
    headers: dict[str, str] = field(default_factory=dict)
    sender: str | None = None


@dataclass(frozen=True)
class SmsMessage:
    """One SMS to one E.164 number, with an optional status callback URL."""

    to: str
    body: str
    status_callback: str | None = None


Message = EmailMessage | SmsMessage


@dataclass(frozen=True)
class SendResult:
    """What the provider accepted: its id for the message (SMTP Message-ID, Twilio SID, file)."""

    provider_id: str


class SendError(Exception):
    """A send that failed; permanent means this address must never be tried again."""

    def __init__(self, reason: str, *, permanent: bool, code: str | None = None) -> None:
        super().__init__(f"{reason} (code {code})" if code else reason)
        self.reason = reason
        self.permanent = permanent
        self.code = code


class RealSendRefused(RuntimeError):
    """Raised under FAIL_ON_REAL_SENDS when a channel would reach a real provider."""


def setting_flag(settings: Mapping[str, Any], key: str, default: bool = False) -> bool:
    """Read a boolean setting that may still be an environment string."""
    value = settings.get(key, default)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def fail_on_real_sends(settings: Mapping[str, Any]) -> bool:
    """Whether these settings forbid talking to a real provider (test configurations)."""
    if "FAIL_ON_REAL_SENDS" in settings:
        return setting_flag(settings, "FAIL_ON_REAL_SENDS")
    return setting_flag(settings, "TESTING")


def is_loopback_host(host: str | None) -> bool:
    """Whether host names this machine (localhost or a loopback address)."""
    if not host:
        return False
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str | None) -> bool:
    """Whether url points at this machine."""
    if not url:
        return False
    return is_loopback_host(urlsplit(url).hostname)


class Channel(ABC):
    """A way to deliver messages; use `with channel:` to reuse one connection for a batch.

    Each send is logged with its duration (never its content): a failure at WARNING, a success
    at INFO on its own and at DEBUG inside a batch, whose caller logs the batch.
    Instances are not thread-safe: give each worker thread its own channel.
    """

    name: str = "channel"

    def __init__(self) -> None:
        self._is_open = False

    def open(self) -> None:
        """Start a batch: sends until close() share one connection (opened on first use)."""
        self._is_open = True

    def close(self) -> None:
        """End the batch; subclasses extend this to release their connection."""
        self._is_open = False

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, message: Message) -> SendResult:
        """Send one message, logging its outcome and duration but never its content."""
        one_off = not self._is_open
        started = time.perf_counter()
        try:
            if one_off:
                self.open()
            result = self._send(message)
        except SendError as error:
            logger.warning(
                "%s send failed in %.1f ms: permanent=%s code=%s reason=%s%s",
                self.name,
                _elapsed_ms(started),
                error.permanent,
                error.code,
                error.reason,
                _reference(message),
            )
            raise
        finally:
            if one_off:
                self.close()
        # Inside a batch the batch's owner logs one line for all its sends (the dispatcher does),
        # so each send is a DEBUG line there, not a line formatted per message. A send on its
        # own keeps its INFO line.
        level = logging.INFO if one_off else logging.DEBUG
        if logger.isEnabledFor(level):
            logger.log(
                level,
                "%s sent in %.1f ms: provider_id=%s%s",
                self.name,
                _elapsed_ms(started),
                result.provider_id,
                _reference(message),
            )
        return result

    @abstractmethod
    def _send(self, message: Message) -> SendResult:
        """Deliver one message or raise SendError."""


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _reference(message: Message) -> str:
    # The Message-ID ties a log line to a reminder without writing personal data into the log.
    if isinstance(message, EmailMessage):
        return f" message_id={message.message_id}"
    return ""
