"""Reminder emails filled into templates rendered once per language read exactly as Jinja renders
them, escape manufacturers' texts in HTML, and carry links that open like any other."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email import policy
from email.parser import BytesParser

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer

from maintenance.extensions import db as database
from maintenance.models import Owner, Task
from maintenance.notify import Channel
from maintenance.notify.mime import build_mime, mime_bytes
from maintenance.services.reminders.dispatch import dispatch_once
from maintenance.services.reminders.email_templates import EMAIL_PARTS, TaskLine, for_language
from maintenance.services.reminders.links import Links, read_token
from maintenance.services.reminders.materialise import materialise_due
from maintenance.services.reminders.render import Entry, render_email
from maintenance.services.schedules.plan import current_version
from tests.builders import make_owner, make_planned_unit, own, reminders, set_due
from tests.fakes import FakeSmtpServer

# Owner- and manufacturer-supplied text that means something in HTML, in a format string or in
# the prerendered templates' placeholders.
AWKWARD = [
    '<b>"Tom" & Jerry\'s</b>',
    "100% %(num)s {{ x }}",
    "\x00subject&\x00",
    "Ünïcødé — 水",
    "",
]


DUE = date(2025, 3, 10)


@dataclass
class _Reminder:
    id: int = 41
    kind: str = "reminder"
    channel: str = "email"
    send_on: date = date(2025, 3, 10)
    message_id: str | None = None
    dedupe_key: str = "reminder:41"


def _line(number: int, text: str, overdue: bool) -> TaskLine:
    return TaskLine(
        title=f"{text} title {number}",
        why=text,
        appliance=f"{text} appliance",
        due=f"{number} maart 2025",
        overdue=overdue,
        missed=number % 3 == 1,
        ask=number % 4 == 3,
        done_url=f"https://example.test/a/done/{text}{number}",
        snooze_url=f"https://example.test/a/snooze/{text}{number}",
        steps_url=f"https://example.test/a/steps/{text}{number}",
        slower_url=f"https://example.test/a/pace/slower{text}{number}",
        stop_url=f"https://example.test/a/pace/stopped{text}{number}",
        keep_url=f"https://example.test/a/pace/kept{text}{number}",
        professional=number % 2 == 1,
        partners_url=f"https://example.test/a/partners/{text}{number}" if number % 2 else "",
    )


@pytest.mark.parametrize("language", ["nl", "en"])
def test_prerendered_parts_read_exactly_as_jinja_renders_them(app: Flask, language: str) -> None:
    with app.app_context():
        templates = for_language(language)
        for follow_up, count, text in itertools.product([False, True], range(5), AWKWARD):
            # Overdue, missed, asking and professional tasks mixed with plain ones in one message.
            lines = [_line(n, text, overdue=n % 2 == 0) for n in range(count)]
            values = {
                "subject": f"{text} subject",
                "unsubscribe_url": f"https://example.test/a/unsubscribe/{text}",
                "base_url": "https://example.test",
            }
            context = {**values, "lines": lines, "follow_up": follow_up, "language": language}
            for name in EMAIL_PARTS:
                assert templates.fill(name, values, follow_up, lines) == templates.render(
                    name, **context
                )


def test_manufacturer_texts_are_escaped_in_the_html_part_only(app: Flask) -> None:
    task = Task(
        key="clean-filter",
        position=0,
        spec={
            "title": {"nl": "Filter <reinigen> & spoelen"},
            "why": {"nl": '<script>alert("x")</script>'},
        },
    )
    owner = Owner(id=7, email="owner@example.test", language="nl")
    entry = Entry(schedule_id=3, task=task, appliance="Merk & Zn <X1>", next_due=date(2025, 3, 1))
    with app.app_context():
        message = render_email(_Reminder(), owner, [entry])

    assert message.html is not None
    assert "<script>" not in message.html and "<reinigen>" not in message.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in message.html
    assert "Filter &lt;reinigen&gt; &amp; spoelen" in message.html
    assert "Merk &amp; Zn &lt;X1&gt;" in message.html
    # The plain text part shows the same texts as written.
    assert '<script>alert("x")</script>' in message.text
    assert "Filter <reinigen> & spoelen (Merk & Zn <X1>)" in message.text
    assert message.subject == "Tijd voor onderhoud: Filter <reinigen> & spoelen"


@pytest.mark.parametrize(
    ("language", "words"), [("nl", "Zoek een servicepartner"), ("en", "Find a service partner")]
)
def test_only_a_professional_task_links_to_finding_a_service_partner(
    app: Flask, language: str, words: str
) -> None:
    def task(key: str, difficulty: str) -> Task:
        spec = {"title": {"nl": key, "en": key}, "why": {"nl": "-"}, "difficulty": difficulty}
        return Task(key=key, position=0, spec=spec)

    owner = Owner(id=7, email="owner@example.test", language=language)
    entries = [
        Entry(schedule_id=3, task=task("clean-filter", "easy"), appliance="A", next_due=DUE),
        Entry(schedule_id=4, task=task("check-gas", "professional"), appliance="A", next_due=DUE),
    ]
    with app.app_context():
        message = render_email(_Reminder(), owner, entries)
        assert message.html is not None
        for part in (message.text, message.html):
            assert part.count(words) == 1
            # Under the professional task, not the other one.
            assert part.index("check-gas") < part.index(words)
            assert part.index("clean-filter") < part.index("check-gas")
        [url] = [u for u in message.text.split() if "/a/partners/" in u]
        assert url in message.html
        assert read_token("partners", url.rsplit("/", 1)[1]) == {"r": 41, "s": 4}


def test_a_link_token_is_the_one_itsdangerous_makes_and_opens(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: 1_741_600_000.5)
    payload = {"r": 41, "s": 3}
    with app.app_context():
        url = Links(app.config).action_url("done", payload)
        reference = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="reminder-done")
        token = url.rsplit("/", 1)[1]

        assert token == reference.dumps(payload)
        assert read_token("done", token) == payload


# Titles as a protocol could hold them before issue 15 (a YAML block's trailing newline, a CR/LF
# pair, NUL, a bidi override) and as it can now (long, non-ASCII, a word of 2,000 letters).
HOSTILE_TITLES = [
    "Filter reinigen\n",
    "Filter\r\nBcc: victim@example.com",
    "Filter\x00reinigen",
    "Filter \u202eneginiets\u202c",
    "Filter\u2028reinigen\u2029",
    "\t Filter   reinigen \x0b",
    "Ünïcødé — 水" * 40,
    "x" * 2000,
]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
@pytest.mark.parametrize("kind", ["reminder", "follow-up"])
def test_the_subject_is_one_safe_line_whatever_the_title_holds(
    app: Flask, title: str, kind: str
) -> None:
    task = Task(key="clean-filter", position=0, spec={"title": {"nl": title}, "why": {"nl": "-"}})
    owner = Owner(id=7, email="owner@example.test", language="nl")
    entry = Entry(schedule_id=3, task=task, appliance="Merk", next_due=date(2025, 3, 10))
    with app.app_context():
        message = render_email(_Reminder(kind=kind), owner, [entry])
        # Both MIME writers refuse a subject with a line break; neither may raise now.
        wire = mime_bytes(message, "Onderhoud <noreply@example.test>")
        build_mime(message, "Onderhoud <noreply@example.test>")

    subject = message.subject
    assert subject.isprintable() and subject == subject.strip()
    assert not set(subject) & {"\u202e", "\u202c", "\x00"}
    assert len(subject) < 200
    assert all(len(line) <= 998 for line in wire.split(b"\r\n"))
    parsed = BytesParser(policy=policy.default).parsebytes(wire)
    assert parsed["Subject"] == subject
    assert "Bcc" not in parsed
    if title.startswith("Filter"):
        assert "Filter" in subject


def test_a_stored_title_with_a_trailing_newline_is_delivered(
    db: object, channels: dict[str, Channel], smtp_server: FakeSmtpServer
) -> None:
    # A version stored before titles were tidied at load time: `nl: >` kept its newline.
    owner = make_owner(language="nl")
    unit = make_planned_unit(date(2025, 3, 10))
    own(owner, unit)
    set_due(unit, clean_filter=date(2025, 3, 10))
    version = current_version(unit)
    assert version is not None
    task = next(task for task in version.tasks if task.key == "clean-filter")
    task.spec = {**task.spec, "title": {"nl": "Filter reinigen\n", "en": "Clean the filter\n"}}
    database.session.commit()
    materialise_due(datetime(2025, 3, 10, 6, 0, tzinfo=UTC))

    result = dispatch_once(datetime(2025, 3, 10, 8, 0, tzinfo=UTC), channels=channels)

    assert result.sent == 1
    [message] = smtp_server.messages
    assert message["Subject"] == "Tijd voor onderhoud: Filter reinigen"
    assert [reminder.status for reminder in reminders()] == ["sent"]
