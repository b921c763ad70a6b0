"""Reminder emails filled into templates rendered once per language read exactly as Jinja renders
them, escape manufacturers' texts in HTML, and carry links that open like any other."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer

from maintenance.models import Owner, Task
from maintenance.reminders import render
from maintenance.reminders.links import Links, read_token
from maintenance.reminders.render import EMAIL_PARTS, Entry, TaskLine, render_email

# Owner- and manufacturer-supplied text that means something in HTML, in a format string or in
# the prerendered templates' placeholders.
AWKWARD = [
    '<b>"Tom" & Jerry\'s</b>',
    "100% %(num)s {{ x }}",
    "\x00subject&\x00",
    "Ünïcødé — 水",
    "",
]


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
    )


@pytest.mark.parametrize("language", ["nl", "en"])
def test_prerendered_parts_read_exactly_as_jinja_renders_them(app: Flask, language: str) -> None:
    with app.app_context():
        bound = render._language(language)
        for follow_up, count, text in itertools.product([False, True], range(5), AWKWARD):
            # Overdue, missed and asking tasks mixed with plain ones in one message.
            lines = [_line(n, text, overdue=n % 2 == 0) for n in range(count)]
            values = {
                "subject": f"{text} subject",
                "unsubscribe_url": f"https://example.test/a/unsubscribe/{text}",
                "base_url": "https://example.test",
            }
            context = {**values, "lines": lines, "follow_up": follow_up, "language": language}
            for name in EMAIL_PARTS:
                assert bound.fill(name, values, follow_up, lines) == bound.render(name, **context)


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
