"""A real SMTP server (aiosmtpd) on 127.0.0.1: collects what it receives, fails on request."""

from __future__ import annotations

import re
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from ipaddress import IPv4Address
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

DEFAULT_REPLIES = {
    421: "4.3.2 Service not available, closing transmission channel",
    451: "4.3.0 Requested action aborted: try again later",
    550: "5.1.1 Mailbox unavailable: user unknown",
    551: "5.1.6 User not local",
    553: "5.1.3 Mailbox name not allowed",
}


@dataclass(frozen=True)
class Received:
    """One accepted message with its envelope and how the client connected."""

    mail_from: str
    rcpt_tos: list[str]
    message: MimeMessage
    login: str | None
    tls: bool


@dataclass
class _Rejection:
    reply: str
    times: int | None


class FakeSmtpServer:
    """An SMTP server in a background thread; use as a context manager or call start()/stop().

    tls_files=(cert, key) offers STARTTLS (and requires it), or implicit TLS with implicit_tls.
    users={"login": "password"} enables AUTH. smtputf8=False leaves SMTPUTF8 out of the EHLO
    answer, as many relays do.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        tls_files: tuple[Path, Path] | None = None,
        implicit_tls: bool = False,
        users: dict[str, str] | None = None,
        smtputf8: bool = True,
    ) -> None:
        self.received: list[Received] = []
        self.smtputf8 = smtputf8
        self.connections = 0
        self.users = users
        self.tls = tls_files is not None
        self.implicit_tls = implicit_tls and self.tls
        self._rejections: dict[str, _Rejection] = {}
        self._live: set[SMTP] = set()
        self._changed = threading.Condition()
        self._controller = self._make_controller(tls_files)

    @property
    def port(self) -> int:
        """The port the server listens on (chosen free by the system)."""
        return cast(int, self._controller.port)

    @property
    def messages(self) -> list[MimeMessage]:
        """The parsed messages received so far, oldest first."""
        return [received.message for received in self.received]

    def settings(self) -> dict[str, Any]:
        """MAIL_* settings that point the application at this server."""
        return {
            "MAIL_SERVER": self.host,
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": self.tls and not self.implicit_tls,
            "MAIL_USE_SSL": self.implicit_tls,
            "MAIL_USERNAME": next(iter(self.users), "") if self.users else "",
            "MAIL_PASSWORD": next(iter(self.users.values()), "") if self.users else "",
            "MAIL_DEFAULT_SENDER": "Onderhoud <noreply@maintenance.test>",
        }

    def reject(
        self, recipient: str, code: int = 550, text: str = "", times: int | None = None
    ) -> None:
        """Answer RCPT for recipient with code (421/451 temporary, 550 permanent), times or always.

        421 also closes the connection, as a server that is shutting down does.
        """
        reply = f"{code} {text or DEFAULT_REPLIES.get(code, 'Refused')}"
        with self._changed:
            self._rejections[recipient.lower()] = _Rejection(reply, times)

    def drop_connections(self) -> None:
        """Close every client connection from the server side and wait until they are gone."""
        with self._changed:
            live = list(self._live)
        for protocol in live:
            if protocol.transport is not None:
                self._controller.loop.call_soon_threadsafe(protocol.transport.close)
        with self._changed:
            # A safety net for a broken server, not a timing assumption: closing takes microseconds.
            if not self._changed.wait_for(lambda: not self._live.intersection(live), timeout=10):
                raise RuntimeError("SMTP connections did not close")

    def start(self) -> None:
        """Start listening."""
        self._controller.start()
        # Controller.start() connects once to check the server is up; that is not a client.
        with self._changed:
            self.connections = 0

    def stop(self) -> None:
        """Stop listening and close all connections; stopping twice is harmless."""
        if self._controller._thread is not None:
            self._controller.stop()

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

    def _make_controller(self, tls_files: tuple[Path, Path] | None) -> Controller:
        context = None
        if tls_files is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls_files)
        options: dict[str, Any] = {
            "hostname": self.host,
            "port": 0,
            "enable_SMTPUTF8": self.smtputf8,
        }
        if self.implicit_tls:
            options["ssl_context"] = context
        elif context is not None:
            options.update(tls_context=context, require_starttls=True)
        if self.users is not None:
            options["authenticator"] = self._authenticate
            # Without TLS there is nothing to require; real servers insist, tests may not.
            options["auth_require_tls"] = self.tls
        return _Controller(self, _Handler(self), **options)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword) or self.users is None:
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        if self.users.get(login) != password:
            # handled=False makes aiosmtpd answer "535 Authentication credentials invalid".
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=data)

    def _rejection_for(self, address: str) -> str | None:
        with self._changed:
            rejection = self._rejections.get(address.lower())
            if rejection is None:
                return None
            if rejection.times is not None:
                rejection.times -= 1
                if rejection.times <= 0:
                    del self._rejections[address.lower()]
            return rejection.reply

    def _connected(self, protocol: SMTP) -> None:
        with self._changed:
            self.connections += 1
            self._live.add(protocol)
            self._changed.notify_all()

    def _disconnected(self, protocol: SMTP) -> None:
        with self._changed:
            self._live.discard(protocol)
            self._changed.notify_all()


class _CountingSMTP(SMTP):
    """aiosmtpd's SMTP protocol, reporting each new connection and its end to the fake."""

    def __init__(self, fake: FakeSmtpServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fake = fake

    def connection_made(self, transport: Any) -> None:
        # After STARTTLS the same connection is "made" again over TLS; count it once.
        upgraded = self._original_transport is not None
        super().connection_made(transport)
        if not upgraded:
            self.fake._connected(self)

    def connection_lost(self, error: Exception | None) -> None:
        super().connection_lost(error)
        self.fake._disconnected(self)


class _Controller(Controller):
    """A controller on a system-chosen port whose connections are counted."""

    def __init__(self, fake: FakeSmtpServer, handler: _Handler, **options: Any) -> None:
        self.fake = fake
        super().__init__(handler, **options)

    def factory(self) -> SMTP:
        return _CountingSMTP(self.fake, self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        # Port 0 lets the system pick a free port; learn it before the start-up check connects.
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _Handler:
    """aiosmtpd hooks: refuse configured recipients, collect accepted messages."""

    def __init__(self, fake: FakeSmtpServer) -> None:
        self.fake = fake

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.fake._rejection_for(address)
        if reply is not None:
            if reply.startswith("421") and server.transport is not None:
                # Runs after the reply is written: the server hangs up, as 421 announces.
                server.loop.call_soon(server.transport.close)
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = cast(bytes, envelope.original_content)
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        received = Received(
            mail_from=cast(str, envelope.mail_from),
            rcpt_tos=list(envelope.rcpt_tos),
            message=cast(MimeMessage, message_from_bytes(content, policy=policy.default)),
            login=login,
            tls=self.fake.implicit_tls or session.ssl is not None,
        )
        with self.fake._changed:
            self.fake.received.append(received)
        return "250 2.0.0 Message accepted for delivery"


def make_self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a certificate and key for localhost/127.0.0.1; returns (cert path, key path).

    Trust it in a client by pointing SSL_CERT_FILE at the certificate.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "smtp-cert.pem"
    key_path = directory / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def link_in(message: MimeMessage) -> str:
    """The confirmation link's path in a received email."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://[^/\s]+(/me/confirm/\S+)", body)
    assert match, body
    return match.group(1)
