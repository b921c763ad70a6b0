"""mime_bytes (the fast path the SMTP channel sends) reads back exactly like build_mime."""

from __future__ import annotations

import time
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from typing import Any

import pytest

from maintenance.notify import EmailMessage
from maintenance.notify.mime import build_mime, mime_bytes

SENDER = "Onderhoud <noreply@maintenance.test>"
LONG_URL = "https://maintenance.test/a/unsubscribe/" + "eyJvIjoxMDAwMDAwMCwiYyI6ImVtYWlsIn0" * 3


def message(**overrides: Any) -> EmailMessage:
    fields: dict[str, Any] = {
        "to": "anne@example.nl",
        "subject": "Onderhoud: filter reinigen",
        "text": "Beste Anne,\n\nHet filter is aan de beurt.\n",
        "html": "<p>Beste Anne,</p>\n<p>Het filter is aan de beurt.</p>\n",
        "message_id": "<reminder.1.abc@maintenance.test>",
        "headers": {
            "List-Id": "Onderhoudsherinneringen <reminders.maintenance.test>",
            "List-Unsubscribe": f"<{LONG_URL}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "Content-Language": "nl",
        },
    }
    return EmailMessage(**{**fields, **overrides})


CASES = {
    "plain": {},
    "dutch subject and bodies": {
        "subject": "Tijd voor onderhoud: filter reinigen (café-model, ëën keer)",
        "text": "Ideeën? Zie é.\nTwee  spaties en een tab\t\n.begint met een punt\n",
        "html": "<p>Ideeën? Zie é.</p>",
    },
    "long ascii subject": {"subject": " ".join(["onderhoud"] * 30)},
    "long subject with double spaces": {"subject": "a  b " + "x" * 90 + "  c" * 40},
    "encoded-word look-alike": {"subject": "Let op =?utf-8?q?nep?= tekst"},
    "long text lines and equals signs": {
        "text": "a=b " * 60 + "\r\nwindows line\r\n" + "é" * 100,
        "html": '<p style="x">' + "lang " * 50 + "</p>",
    },
    "no final line break": {"text": "zonder einde", "html": "<p>zonder einde</p>"},
    "text only": {"html": None},
    "non-ascii list name": {
        "headers": {"List-Id": "Onderhoudsherinneringen café <reminders.maintenance.test>"}
    },
}


def parsed(content: bytes) -> MimeMessage:
    return message_from_bytes(content, policy=policy.default)  # type: ignore[return-value]


@pytest.mark.parametrize("overrides", CASES.values(), ids=CASES.keys())
def test_recipient_reads_the_same_headers_and_parts(overrides: dict[str, Any]) -> None:
    email = message(**overrides)
    fast = parsed(mime_bytes(email, SENDER))
    reference = parsed(build_mime(email, SENDER).as_bytes(policy=policy.SMTP))

    names = {name for name in reference if name not in {"Date", "Content-Type"}}
    assert {name for name in fast if name not in {"Date", "Content-Type"}} == names
    for name in names:
        assert str(fast[name]) == str(reference[name]), name
    assert fast.get_content_type() == reference.get_content_type()
    fast_parts = list(fast.walk()) if fast.is_multipart() else [fast]
    reference_parts = list(reference.walk()) if reference.is_multipart() else [reference]
    assert [p.get_content_type() for p in fast_parts] == [
        p.get_content_type() for p in reference_parts
    ]
    for fast_part, reference_part in zip(fast_parts, reference_parts, strict=True):
        if fast_part.is_multipart():
            continue
        assert fast_part.get_content_charset() == "utf-8"
        assert fast_part["Content-Transfer-Encoding"] == "quoted-printable"
        assert fast_part.get_content() == reference_part.get_content()


def test_lines_stay_within_smtp_limits_and_use_crlf() -> None:
    content = mime_bytes(message(**CASES["long text lines and equals signs"]), SENDER)

    lines = content.split(b"\r\n")
    assert b"\n" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 998
    # Headers fold at spaces only; a long URL stays whole, readable by mail clients.
    assert f"List-Unsubscribe: <{LONG_URL}>".encode() in lines


def test_header_injection_is_refused() -> None:
    with pytest.raises(ValueError, match="header"):
        mime_bytes(message(subject="Hallo\r\nBcc: everyone@example.nl"), SENDER)


def test_the_date_header_is_the_current_second_in_gmt(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([1_741_597_200.25, 1_741_597_201.5])
    monkeypatch.setattr(time, "time", lambda: next(clock))

    dates = [message_from_bytes(mime_bytes(message(), SENDER))["Date"] for _ in range(2)]

    assert dates == ["Mon, 10 Mar 2025 09:00:00 GMT", "Mon, 10 Mar 2025 09:00:01 GMT"]


def test_a_word_too_long_for_one_line_is_folded_as_the_email_package_does() -> None:
    email = message(subject="Onderhoud: " + "x" * 1200 + " nu")
    content = mime_bytes(email, SENDER)

    assert max(len(line) for line in content.split(b"\r\n")) <= 998
    reference = parsed(build_mime(email, SENDER).as_bytes(policy=policy.SMTP))
    assert str(parsed(content)["Subject"]) == str(reference["Subject"]) == email.subject
