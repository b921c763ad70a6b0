"""FileOutboxChannel: development messages written as files that parse back."""

from __future__ import annotations

import logging
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from maintenance.notify import EmailMessage, FileOutboxChannel, SmsMessage


def outbox(tmp_path: Path) -> FileOutboxChannel:
    return FileOutboxChannel({"OUTBOX_DIR": str(tmp_path / "outbox")})


def email(to: str = "anne@example.nl") -> EmailMessage:
    return EmailMessage(
        to=to,
        subject="Onderhoud: ontkalken (één keer per kwartaal)",
        text="Het is tijd om uw koffiemachine te ontkalken. Ideeën?\n",
        html="<p>Het is tijd om uw koffiemachine te ontkalken.</p>",
        message_id="<r-7@maintenance.test>",
        headers={"List-Id": "Herinneringen <reminders.maintenance.test>"},
    )


def test_email_becomes_an_eml_file_that_parses_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="maintenance.notify"):
        result = outbox(tmp_path).send(email())

    path = tmp_path / "outbox" / result.provider_id
    assert path.suffix == ".eml"
    assert "-email-anne@example.nl-" in path.name
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "anne@example.nl"
    assert message["Subject"] == "Onderhoud: ontkalken (één keer per kwartaal)"
    assert message["Message-ID"] == "<r-7@maintenance.test>"
    assert message["List-Id"] == "Herinneringen <reminders.maintenance.test>"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert "Ideeën?" in text.get_content()
    assert str(path) in caplog.text
    assert "ontkalken" not in caplog.text  # the log names the file, never the content


def test_sms_becomes_a_txt_file_that_parses_back(tmp_path: Path) -> None:
    message = SmsMessage(
        to="+31612345678",
        body="Tijd om het filter te reinigen: https://maintenance.test/t/abc",
        status_callback="https://maintenance.test/webhooks/twilio/status",
    )

    result = outbox(tmp_path).send(message)

    path = tmp_path / "outbox" / result.provider_id
    assert path.suffix == ".txt"
    assert "-sms-+31612345678-" in path.name
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["To"] == "+31612345678"
    assert parsed["Status-Callback"] == "https://maintenance.test/webhooks/twilio/status"
    assert parsed.get_content().strip() == message.body


def test_identical_messages_never_overwrite_each_other(tmp_path: Path) -> None:
    channel = outbox(tmp_path)
    with channel:
        names = {channel.send(email()).provider_id for _ in range(20)}

    assert len(names) == 20
    assert len(list((tmp_path / "outbox").iterdir())) == 20


def test_recipient_cannot_escape_the_outbox_directory(tmp_path: Path) -> None:
    result = outbox(tmp_path).send(SmsMessage(to="../../etc/passwd", body="x"))

    assert "/" not in result.provider_id
    assert (tmp_path / "outbox" / result.provider_id).is_file()
