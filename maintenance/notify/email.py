"""Email over SMTP: one connection per batch, the message as MIME (notify/mime.py)."""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage as MimeMessage
from typing import TYPE_CHECKING, Any

from maintenance.notify.base import (
    Channel,
    EmailMessage,
    Message,
    RealSendRefused,
    SendError,
    SendResult,
    fail_on_real_sends,
    is_loopback_host,
    setting_flag,
)
from maintenance.notify.mime import (
    ascii_addresses,
    build_mime,
    envelope_address,
    is_plain_ascii,
    mime_bytes,
)

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12 on

# Long enough for a slow relay, short enough that a hung server does not stall a dispatch pass.
SMTP_TIMEOUT_SECONDS = 30

# Replies to RCPT that mean the mailbox does not exist or is not accepted: never retry it.
BAD_MAILBOX_CODES = {550, 551, 553}

# A bare address (dot-atom local part and host name): email.utils.parseaddr gives it unchanged.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
BARE_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*")
# A line opening with a dot: one literal the regular expression engine looks for as a whole,
# where smtplib's "(?m)^\." tries a match at every byte.
_LF_DOT = re.compile(rb"\n\.")


class SmtpClient(smtplib.SMTP):
    """smtplib.SMTP with cheaper envelope commands and dot-stuffing; the same bytes on the wire.

    smtplib runs both envelope addresses of every message through email.utils.parseaddr; this
    sends a bare address as <address> directly. And it doubles the dots that open a line with
    one literal search instead of a regular expression tried at every byte. Anything else goes
    to smtplib's own commands. Why it stays: docs/benchmarks.md; tests/notify/
    test_notify_email.py compares the envelope and the data with smtplib's.
    """

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        """MAIL FROM, as smtplib's."""
        if not BARE_ADDRESS.fullmatch(sender) or any(o.lower() == "smtputf8" for o in options):
            return super().mail(sender, options)
        self.putcmd("mail", f"FROM:<{sender}>{self._options(options)}")
        return self.getreply()

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        """RCPT TO, as smtplib's."""
        if not BARE_ADDRESS.fullmatch(recip):
            return super().rcpt(recip, options)
        self.putcmd("rcpt", f"TO:<{recip}>{self._options(options)}")
        return self.getreply()

    def data(self, msg: Buffer | str) -> tuple[int, bytes]:
        """DATA, as smtplib's; bytes are dot-stuffed without a regular expression."""
        if not isinstance(msg, bytes) or self.debuglevel > 0:
            return super().data(msg)
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        self.send(data_payload(msg))
        return self.getreply()

    def _options(self, options: Sequence[str]) -> str:
        return " " + " ".join(options) if options and self.does_esmtp else ""


def data_payload(message: bytes) -> bytes:
    """What smtplib sends after DATA for bytes: each dot opening a line doubled, then CRLF.CRLF."""
    # smtplib's re.sub(rb"(?m)^\.", b"..") matches at the start and after every LF, as this does.
    if message.startswith(b"."):
        message = b"." + message
    message = _LF_DOT.sub(b"\n..", message)
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    return message + b".\r\n"


class _SmtpSsl(SmtpClient, smtplib.SMTP_SSL):
    """smtplib.SMTP_SSL with SmtpClient's commands."""


class SmtpEmailChannel(Channel):
    """Sends EmailMessages through the SMTP server in MAIL_* settings."""

    name = "email-smtp"

    def __init__(self, settings: Mapping[str, Any]) -> None:
        super().__init__()
        self.host: str = settings["MAIL_SERVER"]
        if fail_on_real_sends(settings) and not is_loopback_host(self.host):
            raise RealSendRefused(f"MAIL_SERVER {self.host!r} is not a local test server")
        self.use_ssl = setting_flag(settings, "MAIL_USE_SSL")
        # STARTTLS on top of implicit TLS makes no sense; SSL wins when both are set.
        self.use_tls = setting_flag(settings, "MAIL_USE_TLS") and not self.use_ssl
        default_port = 465 if self.use_ssl else 587 if self.use_tls else 25
        self.port = int(settings.get("MAIL_PORT") or default_port)
        self.username: str = settings.get("MAIL_USERNAME") or ""
        self.password: str = settings.get("MAIL_PASSWORD") or ""
        self.default_sender: str = settings.get("MAIL_DEFAULT_SENDER") or ""
        self._smtp: smtplib.SMTP | None = None

    def close(self) -> None:
        """End the batch and say goodbye to the SMTP server."""
        super().close()
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()  # the server is gone already; nothing left to say goodbye to

    def _send(self, message: Message) -> SendResult:
        if not isinstance(message, EmailMessage):
            raise TypeError(f"{self.name} sends EmailMessage, not {type(message).__name__}")
        sender = message.sender or self.default_sender
        if not sender:
            raise ValueError("no sender: set MAIL_DEFAULT_SENDER")
        # A relay without SMTPUTF8 takes an internationalised domain as punycode.
        message, sender = ascii_addresses(message, sender)
        envelope_from = envelope_address(sender)
        if is_plain_ascii(message, sender):
            content: bytes | MimeMessage = mime_bytes(message, sender)
        else:
            content = build_mime(message, sender)  # send_message negotiates SMTPUTF8
        while True:
            smtp, fresh = self._connection()
            try:
                if isinstance(content, bytes):
                    smtp.sendmail(envelope_from, [message.to], content)
                else:
                    smtp.send_message(content, from_addr=envelope_from, to_addrs=[message.to])
                return SendResult(provider_id=message.message_id)
            except smtplib.SMTPServerDisconnected as error:
                smtp.close()
                self._smtp = None
                # A server may drop a batch connection that sat idle: reconnect once and retry.
                # The Message-ID is unchanged, so a copy that did arrive can be recognised.
                if fresh:
                    reason = f"SMTP server disconnected: {error}"
                    raise SendError(reason, permanent=False) from error
            except smtplib.SMTPRecipientsRefused as error:
                code, reply = next(iter(error.recipients.values()))
                raise SendError(
                    f"recipient refused: {_text(reply)}",
                    permanent=_is_bad_mailbox(code, reply),
                    code=str(code),
                ) from error
            except smtplib.SMTPResponseException as error:
                # Sender refused or DATA rejected: about this message or our account, not the
                # address, so it is worth another attempt later.
                raise SendError(
                    f"SMTP error: {_text(error.smtp_error)}",
                    permanent=False,
                    code=str(error.smtp_code),
                ) from error
            except smtplib.SMTPNotSupportedError as error:
                # A non-ASCII local part (jürgen@...) needs SMTPUTF8, and this relay will not
                # offer it on any later attempt either. The reason names no address: it is logged.
                raise SendError(
                    "the SMTP server does not support SMTPUTF8, which this address needs "
                    "(non-ASCII before the @)",
                    permanent=True,
                ) from error
            except (smtplib.SMTPException, OSError) as error:
                raise SendError(f"SMTP failed: {error}", permanent=False) from error

    def _connection(self) -> tuple[smtplib.SMTP, bool]:
        """The batch's open connection, or a new one; True when it was just opened."""
        # smtplib closes its socket itself after a 421 reply, so check the socket too.
        if self._smtp is not None and self._smtp.sock is not None:
            return self._smtp, False
        self._smtp = None
        try:
            if self.use_ssl:
                smtp: smtplib.SMTP = _SmtpSsl(
                    self.host,
                    self.port,
                    timeout=SMTP_TIMEOUT_SECONDS,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = SmtpClient(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
        except smtplib.SMTPResponseException as error:
            raise SendError(
                f"SMTP greeting refused: {_text(error.smtp_error)}",
                permanent=False,
                code=str(error.smtp_code),
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise SendError(f"SMTP connect failed: {error}", permanent=False) from error
        try:
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
        except smtplib.SMTPResponseException as error:
            smtp.close()
            raise SendError(
                f"SMTP session refused: {_text(error.smtp_error)}",
                permanent=False,
                code=str(error.smtp_code),
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            smtp.close()
            raise SendError(f"SMTP session failed: {error}", permanent=False) from error
        self._smtp = smtp
        return smtp, True


def _is_bad_mailbox(code: int, reply: bytes | str) -> bool:
    """Whether an RCPT reply says the address itself is bad (not a policy or capacity issue)."""
    if code not in BAD_MAILBOX_CODES:
        return False
    # Enhanced status 5.7.x is a policy rejection (spam, reputation): the address may be fine.
    return not _text(reply).startswith("5.7.")


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
