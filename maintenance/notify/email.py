"""Email over SMTP: one connection per batch, multipart text + HTML, stable Message-IDs."""

from __future__ import annotations

import binascii
import re
import secrets
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import replace
from email import policy
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, parseaddr
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import idna

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

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12 on

# Long enough for a slow relay, short enough that a hung server does not stall a dispatch pass.
SMTP_TIMEOUT_SECONDS = 30

# Replies to RCPT that mean the mailbox does not exist or is not accepted: never retry it.
BAD_MAILBOX_CODES = {550, 551, 553}

_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # printable ASCII except ':' (RFC 5322 ftext)
# RFC 5322 asks for lines of at most 78 characters; longer words are left whole up to the hard
# limit of 998 (RFC 5322 2.1.1): a relay refuses a longer line ("Line too long").
MAX_HEADER_LINE = 78
MAX_LINE_OCTETS = 998
# A bare address (dot-atom local part and host name): email.utils.parseaddr gives it unchanged.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
BARE_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*")
# A line opening with a dot: one literal the regular expression engine looks for as a whole,
# where smtplib's "(?m)^\." tries a match at every byte.
_LF_DOT = re.compile(rb"\n\.")


def build_mime(message: EmailMessage, sender: str) -> MimeMessage:
    """Build the MIME message (multipart/alternative when there is HTML) for an EmailMessage."""
    _check_headers(message, sender)
    mime = MimeMessage(policy=policy.default)
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(usegmt=True)
    mime["Message-ID"] = message.message_id
    # Quoted-printable keeps the body 7-bit clean, so relays without 8BITMIME pass it unchanged.
    mime.set_content(message.text, charset="utf-8", cte="quoted-printable")
    if message.html is not None:
        mime.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # After set_content, which drops every Content-* header (Content-Language among them).
    for name, value in message.headers.items():
        mime[name] = value
    return mime


def mime_bytes(message: EmailMessage, sender: str) -> bytes:
    """The message as build_mime makes it, ready for SMTP (CRLF), built directly as bytes.

    The email package parses and refolds every header; this writes the same headers and parts
    itself and only hands non-ASCII header values to the email package. A recipient parses
    exactly what build_mime gives (tests/notify/test_notify_mime_bytes.py); why it stays:
    docs/benchmarks.md. Non-ASCII addresses need SMTPUTF8: use build_mime and send_message for
    those (see is_plain_ascii).
    """
    _check_headers(message, sender)
    headers = [
        ("From", sender),
        ("To", message.to),
        ("Subject", message.subject),
        ("Date", formatdate(usegmt=True)),
        ("Message-ID", message.message_id),
        *message.headers.items(),
        ("MIME-Version", "1.0"),
    ]
    lines = [_fold(name, value) for name, value in headers]
    text = _text_part("plain", message.text)
    if message.html is None:
        return "".join(lines).encode("ascii") + text
    # "=_" never occurs in quoted-printable output, so no body can contain the boundary.
    boundary = "=_" + secrets.token_hex(16)
    lines.append(f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n\r\n')
    delimiter = f"--{boundary}\r\n".encode("ascii")
    return b"".join(
        [
            "".join(lines).encode("ascii"),
            delimiter,
            text,
            b"\r\n",
            delimiter,
            _text_part("html", message.html),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        ]
    )


def is_plain_ascii(message: EmailMessage, sender: str) -> bool:
    """Whether both addresses are ASCII, so the message goes without SMTPUTF8 (mime_bytes)."""
    return message.to.isascii() and sender.isascii()


def sender_problem(sender: str) -> str | None:
    """Why a From value (MAIL_DEFAULT_SENDER) is not exactly one usable address, or None.

    A display name with an unquoted comma ("Onderhoud, Service <noreply@...>") is two
    addresses to every mail client: quote it ("\"Onderhoud, Service\" <noreply@...>").
    """
    if not sender.strip():
        return "is empty"
    if "\r" in sender or "\n" in sender:
        return "holds a line break"
    header = policy.default.header_factory("From", sender)
    addresses = header.addresses
    if len(addresses) != 1:
        return (
            f"holds {len(addresses)} addresses; a display name with a comma needs quotes: "
            '"Onderhoud, Service" <noreply@example.nl>'
        )
    if header.defects or not addresses[0].username or not addresses[0].domain:
        return "is not one address like Onderhoud <noreply@example.nl>"
    return None


def ascii_domain(address: str) -> str:
    """The address with an internationalised domain as IDNA (punycode) when the local part is
    ASCII, so it needs no SMTPUTF8 (jan@bücher.nl -> jan@xn--bcher-kva.nl); else unchanged."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii() or not local.isascii():
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError:
        return address  # not a valid domain name: the server refuses it with a clear reply


def ascii_addresses(message: EmailMessage, sender: str) -> tuple[EmailMessage, str]:
    """The message and sender with every internationalised domain written as IDNA."""
    to = ascii_domain(message.to)
    address = _address(sender)
    ascii_address = ascii_domain(address)
    if ascii_address != address:
        sender = sender.replace(address, ascii_address)
    return (message if to == message.to else replace(message, to=to)), sender


def _fold(name: str, value: str) -> str:
    """One header line (CRLF), folded at spaces; RFC 2047 words only where non-ASCII needs them."""
    if not value.isascii() or "=?" in value or _has_unfoldable_word(name, value):
        # Encoded words are subtle (which words, which charset, lengths): the email package's.
        # It also splits a word too long for any line into encoded words, as a relay needs.
        return policy.SMTP.header_factory(name, value).fold(policy=policy.SMTP)
    line = f"{name}: {value}"
    if len(line) <= MAX_HEADER_LINE:
        return line + "\r\n"
    # Fold before a space; unfolding (removing the CRLF) gives the value back unchanged.
    folded, current, has_word = [], f"{name}:", False
    for word in value.split(" "):
        if word and has_word and len(current) + 1 + len(word) > MAX_HEADER_LINE:
            folded.append(current)
            current = ""
        current += " " + word
        has_word = has_word or bool(word)
    folded.append(current)
    return "\r\n".join(folded) + "\r\n"


def _has_unfoldable_word(name: str, value: str) -> bool:
    """Whether folding at spaces would leave a line over 998 octets (one very long word)."""
    if len(name) + 2 + len(value) <= MAX_LINE_OCTETS:
        return False
    # A word goes on a line of its own after a space, or after "Name: " when it is the first.
    return len(name) + 2 + max(len(word) for word in value.split(" ")) > MAX_LINE_OCTETS


def _text_part(subtype: str, content: str) -> bytes:
    """A text part's headers and quoted-printable UTF-8 body, as set_content writes them."""
    # Like set_content: line breaks normalised and a final one added.
    body = b"\n".join(content.encode("utf-8").splitlines()) + b"\n"
    encoded = binascii.b2a_qp(body, istext=True).replace(b"\n", b"\r\n")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode("ascii") + encoded


def _check_headers(message: EmailMessage, sender: str) -> None:
    _refuse_line_breaks("To", message.to)
    _refuse_line_breaks("From", sender)
    _refuse_line_breaks("Subject", message.subject)
    _refuse_line_breaks("Message-ID", message.message_id)
    for name, value in message.headers.items():
        if not _HEADER_NAME.match(name):
            raise ValueError(f"invalid header name {name!r}")
        _refuse_line_breaks(name, value)


def _refuse_line_breaks(name: str, value: str) -> None:
    # A CR or LF would let a recipient or subject inject headers of its own.
    if "\r" in value or "\n" in value:
        raise ValueError(f"line break in {name} header refused")


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
        envelope_from = _address(sender)
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


@lru_cache(maxsize=16)
def _address(sender: str) -> str:
    """The address part of a sender; parsed once, as every message of a batch has the same."""
    return parseaddr(sender)[1]


def _is_bad_mailbox(code: int, reply: bytes | str) -> bool:
    """Whether an RCPT reply says the address itself is bad (not a policy or capacity issue)."""
    if code not in BAD_MAILBOX_CODES:
        return False
    # Enhanced status 5.7.x is a policy rejection (spam, reputation): the address may be fine.
    return not _text(reply).startswith("5.7.")


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
