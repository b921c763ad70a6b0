"""Render a reminder as an email (multipart text + HTML) or an SMS, in the owner's language."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date
from email.utils import parseaddr
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urlsplit

from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from maintenance.i18n import LANGUAGES, localized
from maintenance.notify import EmailMessage, Message, SmsMessage
from maintenance.services.reminders.email_templates import (
    EMAIL_PARTS,
    EmailTemplates,
    TaskLine,
    for_language,
)
from maintenance.services.reminders.links import Links, short_url
from maintenance.services.schedules.pace import ASK_AFTER_MISSED

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
# Task titles in an SMS are cut so the message stays within about one segment.
SMS_TITLE_CHARS = 40


class ReminderLike(Protocol):
    """What rendering reads of a reminder: a Reminder row, or the dispatcher's plain copy."""

    id: int
    kind: str
    channel: str
    send_on: date
    message_id: str | None
    dedupe_key: str


class OwnerLike(Protocol):
    """What rendering reads of an owner: an Owner row, or the dispatcher's plain copy."""

    id: int
    email: str | None
    phone: str | None
    language: str


class TaskLike(Protocol):
    """What rendering reads of a task: a Task row, or the dispatcher's plain copy."""

    @property
    def position(self) -> int:
        """The task's place in its protocol."""

    @property
    def spec(self) -> dict[str, Any]:
        """The task as published."""


@dataclass(frozen=True)
class Entry:
    """One task in a reminder, with what is needed to show it."""

    schedule_id: int
    task: TaskLike
    # Brand and model name of the unit, as the message names the appliance.
    appliance: str
    next_due: date
    # Occurrences of this task missed in a row, and whether to ask if the interval suits.
    missed: int = 0
    ask: bool = False


# The choices the interval question offers, as the pace links carry them.
PACE_CHOICES = ("slower", "stopped", "kept")


def asks_about_pace(missed_in_row: int, pace: str) -> bool:
    """Whether a reminder asks if the task's interval suits: after misses, until answered."""
    return pace == "normal" and missed_in_row >= ASK_AFTER_MISSED


def language_of(owner: OwnerLike) -> str:
    """The owner's language when the service speaks it, else the default."""
    return owner.language if owner.language in LANGUAGES else LANGUAGES[0]


def message_id_for(reminder: ReminderLike) -> str:
    """A Message-ID that is the same on every attempt, even after a crash lost the stored one."""
    config = current_app.config
    secret = config["SECRET_KEY"].encode()
    digest = hmac.new(secret, reminder.dedupe_key.encode(), hashlib.sha256).hexdigest()[:16]
    domain = _mail_domain(config.get("MAIL_DEFAULT_SENDER") or "", config["BASE_URL"])
    return f"<reminder.{reminder.id}.{digest}@{domain}>"


@lru_cache(maxsize=16)
def _mail_domain(sender: str, base_url: str) -> str:
    # Parsed once per sender: every Message-ID of a pass has the same domain.
    address = parseaddr(sender)[1]
    if "@" in address:
        return address.rsplit("@", 1)[1]
    return urlsplit(base_url).hostname or "localhost"


@lru_cache(maxsize=1024)
def _long_date(day: date, language: str) -> str:
    # What flask_babel.format_date(day, "long") gives in force_locale(language), formatted once
    # per day and language: a batch names the same few due dates thousands of times.
    return format_date(day, format="long", locale=language)


def _lines(
    reminder: ReminderLike, entries: list[Entry], language: str, links: Links
) -> list[TaskLine]:
    lines = []
    for entry in entries:
        payload = {"r": reminder.id, "s": entry.schedule_id}
        pace_urls = (
            [links.action_url("pace", {**payload, "p": choice}) for choice in PACE_CHOICES]
            if entry.ask
            else ["", "", ""]
        )
        professional = entry.task.spec.get("difficulty") == "professional"
        lines.append(
            TaskLine(
                title=localized(entry.task.spec.get("title"), language),
                why=localized(entry.task.spec.get("why"), language),
                appliance=entry.appliance,
                due=_long_date(entry.next_due, language),
                overdue=entry.next_due < reminder.send_on,
                missed=entry.missed > 0,
                ask=entry.ask,
                done_url=links.action_url("done", payload),
                snooze_url=links.action_url("snooze", payload),
                steps_url=links.action_url("steps", payload),
                slower_url=pace_urls[0],
                stop_url=pace_urls[1],
                keep_url=pace_urls[2],
                professional=professional,
                partners_url=links.action_url("partners", payload) if professional else "",
            )
        )
    return lines


def render_email(reminder: ReminderLike, owner: OwnerLike, entries: list[Entry]) -> EmailMessage:
    """The reminder as an email with List-* headers, one-click unsubscribe and per-task links."""
    if not owner.email:
        raise ValueError("owner has no email address")
    language = language_of(owner)
    bound = for_language(language)
    base = current_app.config["BASE_URL"]
    links = Links(current_app.config)
    lines = _lines(reminder, entries, language, links)
    unsubscribe = links.action_url("unsubscribe", {"o": owner.id, "c": "email"})
    subject = _subject(reminder, lines, bound)
    # The templates' context besides lines, follow_up and language (see MESSAGE_VALUES).
    values = {"subject": subject, "unsubscribe_url": unsubscribe, "base_url": base}
    follow_up = reminder.kind == "follow-up"
    text, html = (bound.fill(name, values, follow_up, lines) for name in EMAIL_PARTS)
    _ = bound.gettext  # named _ so the catalogue extraction finds the text
    list_name = _("Maintenance reminders")
    host = urlsplit(base).hostname or "localhost"
    return EmailMessage(
        to=owner.email,
        subject=subject,
        text=text,
        html=html,
        message_id=reminder.message_id or message_id_for(reminder),
        headers={
            "List-Id": f"{list_name} <reminders.{host}>",
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "Content-Language": language,
        },
    )


# A task title in a subject is cut here: mail clients show about this much, and a subject made
# from a manufacturer's text must stay one short header line whatever that text holds.
SUBJECT_TITLE_CHARS = 120
# Characters that have no place in a header: controls (CR and LF above all, which would end the
# header), line and paragraph separators, and bidi embeddings, overrides and isolates.
_NOT_IN_SUBJECT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def subject_text(text: object) -> str:
    """Any text a protocol can hold (or an old version stored) as a safe one-line subject part."""
    line = " ".join(_NOT_IN_SUBJECT.sub(" ", str(text)).split())
    if len(line) > SUBJECT_TITLE_CHARS:
        line = line[: SUBJECT_TITLE_CHARS - 1].rstrip() + "…"
    return line


def _subject(reminder: ReminderLike, lines: list[TaskLine], bound: EmailTemplates) -> str:
    # Named _ and ngettext so the catalogue extraction finds these texts.
    _, ngettext = bound.gettext, bound.ngettext
    if reminder.kind == "follow-up":
        if len(lines) == 1:
            return _("Still to do: %(task)s", task=subject_text(lines[0].title))
        return ngettext(
            "Still to do: %(num)s maintenance task",
            "Still to do: %(num)s maintenance tasks",
            len(lines),
        )
    if len(lines) == 1:
        return _("Maintenance due: %(task)s", task=subject_text(lines[0].title))
    return ngettext("%(num)s maintenance task due", "%(num)s maintenance tasks due", len(lines))


def render_sms(reminder: ReminderLike, owner: OwnerLike, entries: list[Entry]) -> SmsMessage:
    """A short SMS in the owner's language with one short link to the reminder's tasks."""
    if not owner.phone:
        raise ValueError("owner has no phone number")
    language = language_of(owner)
    with force_locale(language):
        link = short_url(reminder.id)
        if len(entries) == 1:
            title = localized(entries[0].task.spec.get("title"), language)
            if len(title) > SMS_TITLE_CHARS:
                title = title[: SMS_TITLE_CHARS - 1].rstrip() + "…"
            body = _("Maintenance due: %(task)s. Done or later: %(url)s", task=title, url=link)
        else:
            body = ngettext(
                "%(num)s maintenance task due. Open: %(url)s",
                "%(num)s maintenance tasks due. Open: %(url)s",
                len(entries),
                url=link,
            )
    return SmsMessage(
        to=owner.phone,
        body=body,
        status_callback=current_app.config["BASE_URL"] + STATUS_CALLBACK_PATH,
    )


def render(reminder: ReminderLike, owner: OwnerLike, entries: list[Entry]) -> Message:
    """The message for the reminder's channel."""
    if reminder.channel == "sms":
        return render_sms(reminder, owner, entries)
    return render_email(reminder, owner, entries)
