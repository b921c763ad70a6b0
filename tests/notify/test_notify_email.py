"""SmtpEmailChannel against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import smtplib
import ssl
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maintenance.notify import EmailMessage, SendError, SmtpEmailChannel
from maintenance.notify.email import BARE_ADDRESS, data_payload
from tests.fakes import FakeSmtpServer, make_self_signed_certificate


def settings_for(server: FakeSmtpServer, **overrides: Any) -> dict[str, Any]:
    return {**server.settings(), "FAIL_ON_REAL_SENDS": True, **overrides}


def reminder(to: str = "anne@example.nl", n: int = 1, **overrides: Any) -> EmailMessage:
    fields: dict[str, Any] = {
        "to": to,
        "subject": "Tijd voor onderhoud: filter reinigen (café-model, ëën keer)",
        "text": "Beste Anne,\n\nHet filter van uw vaatwasser is aan de beurt. Ideeën? Zie é.\n",
        "html": "<p>Beste Anne,</p><p>Het filter is aan de beurt. Ideeën? Zie é.</p>",
        "message_id": f"<reminder-{n}@maintenance.test>",
        "headers": {
            "List-Id": "Onderhoudsherinneringen <reminders.maintenance.test>",
            "List-Unsubscribe": "<https://maintenance.test/u/abc>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    }
    return EmailMessage(**{**fields, **overrides})


def test_multipart_email_arrives_with_headers_and_dutch_text(smtp_server: FakeSmtpServer) -> None:
    result = SmtpEmailChannel(settings_for(smtp_server)).send(reminder())

    assert result.provider_id == "<reminder-1@maintenance.test>"
    [received] = smtp_server.received
    assert received.mail_from == "noreply@maintenance.test"
    assert received.rcpt_tos == ["anne@example.nl"]
    message = received.message
    assert message["Subject"] == "Tijd voor onderhoud: filter reinigen (café-model, ëën keer)"
    assert message["From"] == "Onderhoud <noreply@maintenance.test>"
    assert message["To"] == "anne@example.nl"
    assert message["Message-ID"] == "<reminder-1@maintenance.test>"
    assert message["Date"] is not None
    assert message["List-Id"] == "Onderhoudsherinneringen <reminders.maintenance.test>"
    assert message["List-Unsubscribe"] == "<https://maintenance.test/u/abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert text.get_content().splitlines() == [
        "Beste Anne,",
        "",
        "Het filter van uw vaatwasser is aan de beurt. Ideeën? Zie é.",
    ]
    assert "Ideeën? Zie é." in html.get_content()


def test_text_only_email_is_a_single_part(smtp_server: FakeSmtpServer) -> None:
    SmtpEmailChannel(settings_for(smtp_server)).send(reminder(html=None))

    [message] = smtp_server.messages
    assert message.get_content_type() == "text/plain"
    assert "Ideeën" in message.get_content()


def test_sender_on_the_message_overrides_the_default(smtp_server: FakeSmtpServer) -> None:
    channel = SmtpEmailChannel(settings_for(smtp_server))
    channel.send(reminder(sender="Fabrikant <service@fabrikant.test>"))

    [received] = smtp_server.received
    assert received.mail_from == "service@fabrikant.test"
    assert received.message["From"] == "Fabrikant <service@fabrikant.test>"


def test_a_batch_of_five_uses_one_connection(smtp_server: FakeSmtpServer) -> None:
    channel = SmtpEmailChannel(settings_for(smtp_server))
    with channel:
        for n in range(5):
            channel.send(reminder(to=f"owner{n}@example.nl", n=n))

    assert smtp_server.connections == 1
    assert [m["To"] for m in smtp_server.messages] == [f"owner{n}@example.nl" for n in range(5)]


def test_single_sends_outside_a_batch_each_open_their_own_connection(
    smtp_server: FakeSmtpServer,
) -> None:
    channel = SmtpEmailChannel(settings_for(smtp_server))
    channel.send(reminder(n=1))
    channel.send(reminder(n=2))

    assert smtp_server.connections == 2
    assert len(smtp_server.messages) == 2


def test_unknown_user_is_a_permanent_failure(smtp_server: FakeSmtpServer) -> None:
    smtp_server.reject("gone@example.nl", 550)

    with pytest.raises(SendError) as raised:
        SmtpEmailChannel(settings_for(smtp_server)).send(reminder(to="gone@example.nl"))

    assert raised.value.permanent is True
    assert raised.value.code == "550"
    assert smtp_server.messages == []


def test_policy_rejection_with_550_is_not_blamed_on_the_address(
    smtp_server: FakeSmtpServer,
) -> None:
    smtp_server.reject("anne@example.nl", 550, "5.7.1 Message rejected as spam")

    with pytest.raises(SendError) as raised:
        SmtpEmailChannel(settings_for(smtp_server)).send(reminder())

    assert raised.value.permanent is False


def test_greylisting_451_is_temporary_and_the_batch_goes_on(smtp_server: FakeSmtpServer) -> None:
    smtp_server.reject("busy@example.nl", 451, times=1)
    channel = SmtpEmailChannel(settings_for(smtp_server))

    with channel:
        with pytest.raises(SendError) as raised:
            channel.send(reminder(to="busy@example.nl", n=1))
        channel.send(reminder(to="anne@example.nl", n=2))
        channel.send(reminder(to="busy@example.nl", n=1))  # the retry, same Message-ID

    assert raised.value.permanent is False
    assert raised.value.code == "451"
    assert [m["To"] for m in smtp_server.messages] == ["anne@example.nl", "busy@example.nl"]
    assert smtp_server.connections == 1


def test_421_closes_the_connection_and_the_next_send_reconnects(
    smtp_server: FakeSmtpServer,
) -> None:
    smtp_server.reject("anne@example.nl", 421, times=1)
    channel = SmtpEmailChannel(settings_for(smtp_server))

    with channel:
        with pytest.raises(SendError) as raised:
            channel.send(reminder(n=1))
        channel.send(reminder(n=2))

    assert raised.value.permanent is False
    assert raised.value.code == "421"
    assert len(smtp_server.messages) == 1
    assert smtp_server.connections == 2


def test_a_dropped_connection_is_reopened_once_within_the_batch(
    smtp_server: FakeSmtpServer,
) -> None:
    channel = SmtpEmailChannel(settings_for(smtp_server))

    with channel:
        channel.send(reminder(n=1))
        smtp_server.drop_connections()
        channel.send(reminder(n=2))

    assert [m["Message-ID"] for m in smtp_server.messages] == [
        "<reminder-1@maintenance.test>",
        "<reminder-2@maintenance.test>",
    ]
    assert smtp_server.connections == 2


def test_no_server_listening_is_a_temporary_failure(smtp_server: FakeSmtpServer) -> None:
    settings = settings_for(smtp_server)
    smtp_server.stop()

    with pytest.raises(SendError) as raised:
        SmtpEmailChannel(settings).send(reminder())

    assert raised.value.permanent is False


@pytest.mark.parametrize(
    "overrides",
    [
        {"to": "anne@example.nl\r\nBcc: everyone@example.nl"},
        {"subject": "Onderhoud\nBcc: everyone@example.nl"},
        {"message_id": "<x@y>\r\nBcc: everyone@example.nl"},
        {"headers": {"List-Id": "lijst\r\nBcc: everyone@example.nl"}},
        {"headers": {"List-Id\r\nBcc": "everyone@example.nl"}},
        {"sender": "Onderhoud <noreply@maintenance.test>\nBcc: everyone@example.nl"},
    ],
)
def test_header_injection_is_refused(
    smtp_server: FakeSmtpServer, overrides: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match="header"):
        SmtpEmailChannel(settings_for(smtp_server)).send(reminder(**overrides))

    assert smtp_server.messages == []


@pytest.fixture
def certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 that this process's TLS clients trust."""
    pytest.importorskip("cryptography")
    cert, key = make_self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return cert, key


def test_starttls_and_login(certificate: tuple[Path, Path]) -> None:
    users = {"mailer": "s3cret"}
    with FakeSmtpServer(tls_files=certificate, users=users) as server:
        SmtpEmailChannel(settings_for(server)).send(reminder())

    [received] = server.received
    assert received.tls is True
    assert received.login == "mailer"


def test_implicit_tls(certificate: tuple[Path, Path]) -> None:
    with FakeSmtpServer(tls_files=certificate, implicit_tls=True) as server:
        SmtpEmailChannel(settings_for(server)).send(reminder())

    [received] = server.received
    assert received.tls is True


def test_wrong_password_is_a_temporary_failure(certificate: tuple[Path, Path]) -> None:
    with FakeSmtpServer(tls_files=certificate, users={"mailer": "s3cret"}) as server:
        settings = settings_for(server, MAIL_PASSWORD="wrong")
        with pytest.raises(SendError) as raised:
            SmtpEmailChannel(settings).send(reminder())

    assert raised.value.permanent is False
    assert raised.value.code == "535"
    assert server.messages == []


def test_an_untrusted_certificate_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    certificate = make_self_signed_certificate(tmp_path)  # not added to the trusted set
    with FakeSmtpServer(tls_files=certificate) as server, pytest.raises(SendError) as raised:
        SmtpEmailChannel(settings_for(server)).send(reminder())

    assert isinstance(raised.value.__cause__, ssl.SSLError)
    assert server.messages == []


@given(st.from_regex(BARE_ADDRESS, fullmatch=True))
def test_a_bare_envelope_address_goes_on_the_wire_as_smtplib_would_write_it(address: str) -> None:
    # The channel writes <address> itself for these; smtplib would parse the address first.
    assert smtplib.quoteaddr(address) == f"<{address}>"


@pytest.mark.parametrize(
    "to",
    ["anne.de-vries+filter@mail.example.nl", '"anne smit"@example.nl', "Anne <anne@example.nl>"],
)
def test_bare_and_other_recipients_get_the_same_envelope_as_through_smtplib(
    smtp_server: FakeSmtpServer, to: str
) -> None:
    SmtpEmailChannel(settings_for(smtp_server)).send(reminder(to=to))

    [received] = smtp_server.received
    assert received.mail_from == "noreply@maintenance.test"
    assert received.rcpt_tos == [smtplib.quoteaddr(to)[1:-1]]


@given(st.binary(max_size=64) | st.lists(st.sampled_from([b".", b"\r", b"\n", b"a"])).map(b"".join))
def test_data_is_dot_stuffed_and_ended_as_smtplib_does_it(message: bytes) -> None:
    stuffed = smtplib._quote_periods(message)  # type: ignore[attr-defined]
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"

    assert data_payload(message) == stuffed + b".\r\n"


def test_lines_opening_with_a_dot_arrive_unchanged(smtp_server: FakeSmtpServer) -> None:
    text = ".hidden\n..two\nmiddle .\n.\nend"
    SmtpEmailChannel(settings_for(smtp_server)).send(reminder(text=text, html=f"<p>\n.{text}"))

    [message] = smtp_server.messages
    # The parsed parts keep the CRLF line ends of the wire.
    plain, html = (part.get_content().replace("\r\n", "\n") for part in message.iter_parts())
    assert plain == text + "\n"
    assert html == f"<p>\n.{text}\n"


def test_a_header_word_longer_than_a_line_is_folded_and_delivered(
    smtp_server: FakeSmtpServer,
) -> None:
    # A relay refuses any line over 998 octets ("Line too long"); one word can be that long.
    subject = "Onderhoud: " + "filterreiniging" * 80 + " nu"
    unsubscribe = "<https://maintenance.test/a/unsubscribe/" + "t" * 1100 + ">"
    SmtpEmailChannel(settings_for(smtp_server)).send(
        reminder(subject=subject, headers={"List-Unsubscribe": unsubscribe})
    )

    [received] = smtp_server.received
    assert received.message["Subject"] == subject
    assert received.message["List-Unsubscribe"] == unsubscribe


def test_an_internationalised_domain_is_sent_as_punycode() -> None:
    # Like many relays, this one does not offer SMTPUTF8.
    with FakeSmtpServer(smtputf8=False) as relay:
        channel = SmtpEmailChannel(
            settings_for(relay, MAIL_DEFAULT_SENDER="Onderhoud <noreply@bücher.test>")
        )
        channel.send(reminder(to="jan@bücher.nl"))

    [received] = relay.received
    assert received.rcpt_tos == ["jan@xn--bcher-kva.nl"]
    assert received.mail_from == "noreply@xn--bcher-kva.test"
    assert received.message["To"] == "jan@xn--bcher-kva.nl"
    assert received.message["From"] == "Onderhoud <noreply@xn--bcher-kva.test>"


def test_a_non_ascii_local_part_without_smtputf8_is_a_permanent_failure() -> None:
    with FakeSmtpServer(smtputf8=False) as relay, pytest.raises(SendError) as failure:
        SmtpEmailChannel(settings_for(relay)).send(reminder(to="jürgen@bücher.nl"))

    assert failure.value.permanent
    assert "SMTPUTF8" in failure.value.reason
    assert "jürgen" not in str(failure.value)
    assert relay.received == []
