"""SMS through the Twilio REST API, optionally via another base URL (a gateway or a test double)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from maintenance.notify.base import (
    Channel,
    Message,
    RealSendRefused,
    SendError,
    SendResult,
    SmsMessage,
    fail_on_real_sends,
    is_loopback_url,
)

# Twilio answers within a second or two; a stuck request must not stall a dispatch pass.
TWILIO_TIMEOUT_SECONDS = 15

# Twilio error codes that are about the number itself: retrying can never succeed.
#   21610: the recipient replied STOP (unsubscribed); 21211: invalid 'To' number;
#   21614: 'To' is not a mobile number.
PERMANENT_ERROR_CODES = {21610, 21211, 21614}


class BaseUrlHttpClient(TwilioHttpClient):
    """Twilio's HTTP client with every request sent to another scheme and host."""

    def __init__(self, base_url: str, timeout: float = TWILIO_TIMEOUT_SECONDS) -> None:
        super().__init__(timeout=timeout)
        self.base = urlsplit(base_url)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        """Rewrite the URL's scheme and host (keeping its path and query), then send."""
        original = urlsplit(url)
        # A base URL with a path (a gateway mounted under /twilio) prefixes the API path.
        path = self.base.path.rstrip("/") + original.path
        rewritten = urlunsplit((self.base.scheme, self.base.netloc, path, original.query, ""))
        return super().request(method, rewritten, *args, **kwargs)


class TwilioSmsChannel(Channel):
    """Sends SmsMessages with the Twilio client, from a number or a messaging service."""

    name = "sms-twilio"

    def __init__(self, settings: Mapping[str, Any]) -> None:
        super().__init__()
        account_sid: str = settings.get("TWILIO_ACCOUNT_SID") or ""
        auth_token: str = settings.get("TWILIO_AUTH_TOKEN") or ""
        if not account_sid or not auth_token:
            raise ValueError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are both required")
        base_url: str = settings.get("TWILIO_API_BASE_URL") or ""
        if fail_on_real_sends(settings) and not is_loopback_url(base_url):
            raise RealSendRefused("TWILIO_API_BASE_URL does not point at a local test double")
        self.from_number: str = settings.get("TWILIO_FROM_NUMBER") or ""
        self.messaging_service_sid: str = settings.get("TWILIO_MESSAGING_SERVICE_SID") or ""
        if not self.from_number and not self.messaging_service_sid:
            raise ValueError("set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        http_client = (
            BaseUrlHttpClient(base_url)
            if base_url
            else TwilioHttpClient(timeout=TWILIO_TIMEOUT_SECONDS)
        )
        self.client = Client(account_sid, auth_token, http_client=http_client)

    def _send(self, message: Message) -> SendResult:
        if not isinstance(message, SmsMessage):
            raise TypeError(f"{self.name} sends SmsMessage, not {type(message).__name__}")
        options: dict[str, str] = {}
        if self.from_number:
            options["from_"] = self.from_number
        if self.messaging_service_sid:
            options["messaging_service_sid"] = self.messaging_service_sid
        if message.status_callback:
            options["status_callback"] = message.status_callback
        try:
            created = self.client.messages.create(to=message.to, body=message.body, **options)
        except TwilioException as error:
            raise _send_error(error) from error
        except requests.RequestException as error:
            raise SendError(f"Twilio unreachable: {error}", permanent=False) from error
        if not created.sid:
            raise SendError("Twilio answered without a message SID", permanent=False)
        return SendResult(provider_id=created.sid)


def _send_error(error: TwilioException) -> SendError:
    """Map a Twilio API error to a SendError; only number-specific codes are permanent."""
    code: int | None = getattr(error, "code", None)
    status: int | None = getattr(error, "status", None)
    reason = getattr(error, "msg", None) or getattr(error, "detail", None) or str(error)
    return SendError(
        f"Twilio refused (HTTP {status}): {reason}",
        permanent=code in PERMANENT_ERROR_CODES,
        code=str(code) if code is not None else None,
    )
