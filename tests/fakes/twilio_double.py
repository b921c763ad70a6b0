"""A local stand-in for Twilio's Messages API, spoken to by the real twilio client over HTTP."""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
MESSAGE_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>SM\w+)\.json$"
)

# Twilio's texts for the errors it returns when creating a message.
ERROR_MESSAGES = {
    21211: "The 'To' number is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
}


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request as the double received it."""

    method: str
    path: str
    form: dict[str, str]
    auth: tuple[str, str] | None
    headers: dict[str, str]


@dataclass
class TwilioDouble:
    """Twilio's Messages API on 127.0.0.1: records requests, answers like Twilio, fails on cue."""

    account_sid: str = "AC" + "0123456789abcdef" * 2
    auth_token: str = "test-auth-token"
    from_number: str = "+3197010000000"
    requests: list[RecordedRequest] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._failures_left = 0
        self._failure_status = 500
        self._errors: dict[str, tuple[int, int, str]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The URL to use as TWILIO_API_BASE_URL."""
        assert self._server is not None, "the Twilio double is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def settings(self) -> dict[str, Any]:
        """TWILIO_* settings that point the application at this double."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_FROM_NUMBER": self.from_number,
            "TWILIO_MESSAGING_SERVICE_SID": "",
            "TWILIO_API_BASE_URL": self.base_url,
        }

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next count requests with an HTTP error (500: Twilio having a bad day)."""
        with self._lock:
            self._failures_left = count
            self._failure_status = status

    def error_for(
        self, number: str, code: int = 21610, status: int = 400, message: str = ""
    ) -> None:
        """Refuse every message to number with a Twilio error (21610: the recipient sent STOP)."""
        with self._lock:
            self._errors[number] = (status, code, message or ERROR_MESSAGES.get(code, "Error"))

    def start(self) -> None:
        """Listen on a free port of 127.0.0.1 in a background thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll interval keeps stop() (which waits for the loop to notice) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def handle(self, request: RecordedRequest) -> tuple[int, dict[str, Any]]:
        """Record request and decide Twilio's answer: (HTTP status, JSON body)."""
        with self._lock:
            self.requests.append(request)
            if self._failures_left > 0:
                self._failures_left -= 1
                status = self._failure_status
                return status, _error(status, 20500, "Internal Server Error")
            if request.auth != (self.account_sid, self.auth_token):
                return 401, _error(401, 20003, "Authenticate")
            if request.method == "POST" and (match := MESSAGES_PATH.match(request.path)):
                if match["account"] != self.account_sid:
                    return 403, _error(403, 20003, "Account does not match credentials")
                return self._create_message(request.form)
            if request.method == "GET" and (match := MESSAGE_PATH.match(request.path)):
                for message in self.messages:
                    if message["sid"] == match["sid"]:
                        return 200, message
            return 404, _error(404, 20404, f"The requested resource {request.path} was not found")

    def _create_message(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        to, body = form.get("To"), form.get("Body")
        sender, service = form.get("From"), form.get("MessagingServiceSid")
        if not to:
            return 400, _error(400, 21604, "A 'To' phone number is required.")
        if not body:
            return 400, _error(400, 21602, "Message body is required.")
        if not sender and not service:
            return 400, _error(400, 21603, "A 'From' phone number is required.")
        if to in self._errors:
            status, code, text = self._errors[to]
            return status, _error(status, code, text)
        sid = "SM" + uuid.uuid4().hex
        now = format_datetime(datetime.now(UTC), usegmt=True)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        message = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            # Twilio reports "accepted" while a messaging service still picks the sender.
            "status": "queued" if sender else "accepted",
            "status_callback": form.get("StatusCallback"),
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
        }
        self.messages.append(message)
        return 201, message


def _error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _handler_for(double: TwilioDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; without this, Nagle's algorithm holds the body
        # back until the client's delayed ACK, adding 40 ms to every request.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            path, _, _query = self.path.partition("?")
            request = RecordedRequest(
                method=self.command,
                path=path,
                form=dict(parse_qsl(raw, keep_blank_values=True)),
                auth=_basic_auth(self.headers.get("Authorization", "")),
                headers=dict(self.headers.items()),
            )
            status, payload = double.handle(request)
            content = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet; requests are recorded on the double instead."""

    return Handler


def _basic_auth(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    user, _, password = base64.b64decode(encoded).decode().partition(":")
    return user, password


def code_in(body: str) -> str:
    """The 6-digit confirmation code in an SMS text."""
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)
