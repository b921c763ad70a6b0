"""Email as MIME: built by the email package (build_mime) or written directly (mime_bytes).

Also the checks and rewrites of the addresses a message goes from and to.
"""

from __future__ import annotations

import binascii
import re
import secrets
from dataclasses import replace
from email import policy
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, parseaddr
from functools import lru_cache

import idna

from maintenance.notify.base import EmailMessage

_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # printable ASCII except ':' (RFC 5322 ftext)
# RFC 5322 asks for lines of at most 78 characters; longer words are left whole up to the hard
# limit of 998 (RFC 5322 2.1.1): a relay refuses a longer line ("Line too long").
MAX_HEADER_LINE = 78
MAX_LINE_OCTETS = 998


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
    exactly what build_mime gives (tests/notify/test_notify_mime.py); why it stays:
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
    address = envelope_address(sender)
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


@lru_cache(maxsize=16)
def envelope_address(sender: str) -> str:
    """The address part of a sender; parsed once, as every message of a batch has the same."""
    return parseaddr(sender)[1]
