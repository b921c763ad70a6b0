"""Render a reminder as an email (multipart text + HTML) or an SMS, in the owner's language."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from email.utils import parseaddr
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urlsplit

from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale, get_translations, ngettext
from flask_babel import gettext as _
from jinja2 import Environment, pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from maintenance.i18n import LANGUAGES, localized
from maintenance.notify import EmailMessage, Message, SmsMessage
from maintenance.services.reminders.links import Links, short_url
from maintenance.services.schedules.pace import ASK_AFTER_MISSED

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
_REQUEST_GLOBALS = frozenset(
    {"request", "session", "g", "csrf_token", "csrf_meta_tag", "get_flashed_messages"}
)
# Task titles in an SMS are cut so the message stays within about one segment.
SMS_TITLE_CHARS = 40
EMAIL_PARTS = ("email/reminder.txt", "email/reminder.html")
# A placeholder for a per-message value in a prerendered template. The "&" shows whether the
# template escaped it there (it becomes "&amp;"), so filling in escapes exactly where Jinja would.
_PLACEHOLDER = "\x00{}&\x00"
_SLOT = re.compile("\x00(\\w+)(&|&amp;)\x00")
_TASK_BLOCK = "task"
# The per-message values of an email part besides its tasks (TaskLine's fields).
MESSAGE_VALUES = ("subject", "unsubscribe_url", "base_url")


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


@dataclass(frozen=True)
class TaskLine:
    """One task as a message shows it: texts in the owner's language and its links.

    The bool fields are the only ones a template may test: each mix is prerendered once.
    """

    title: str
    why: str
    appliance: str
    due: str
    overdue: bool
    # Missed last time; and whether to ask "does this interval suit you", with its three links.
    missed: bool
    ask: bool
    done_url: str
    snooze_url: str
    steps_url: str
    slower_url: str
    stop_url: str
    keep_url: str


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
    # Cached: parsing the sender address took longer than the rest of the Message-ID.
    address = parseaddr(sender)[1]
    if "@" in address:
        return address.rsplit("@", 1)[1]
    return urlsplit(base_url).hostname or "localhost"


@dataclass(frozen=True)
class _Prerendered:
    """A template rendered with placeholders: literal text between per-message values."""

    literals: tuple[str, ...]
    # (name, escaped) per placeholder; literals has one entry more.
    slots: tuple[tuple[str, bool], ...]

    @classmethod
    def parse(cls, rendered: str) -> _Prerendered:
        """Split a rendering made with placeholders into its literals and slots."""
        pieces = _SLOT.split(rendered)
        slots = tuple(
            (name, mark != "&") for name, mark in zip(pieces[1::3], pieces[2::3], strict=True)
        )
        return cls(tuple(pieces[::3]), slots)

    def fill(self, values: Mapping[str, str]) -> str:
        """The template as Jinja renders it with these values (HTML-escaped where it would)."""
        out = [self.literals[0]]
        for (name, escaped), literal in zip(self.slots, self.literals[1:], strict=True):
            value = values[name]
            out.append(escape(value) if escaped else value)
            out.append(literal)
        return "".join(out)


@dataclass(frozen=True)
class _Language:
    """One language's message environment and translations, bound once per process."""

    environment: Environment
    translations: Any  # babel.support.Translations, or NullTranslations for the source language
    language: str
    # Email parts rendered with placeholders, as (before the tasks, one task, after the tasks),
    # by (template, follow_up, the task line's flags); made on first use.
    prerendered: dict[tuple[str, bool, tuple[bool, ...]], tuple[_Prerendered, ...]] = field(
        default_factory=dict
    )

    def render(self, name: str, /, **context: Any) -> str:
        """A message template rendered in this language."""
        # Straight from the Jinja environment: web context processors (the logged-in user,
        # request data) mean nothing in a message rendered by the scheduler process.
        return self.environment.get_template(name).render(**context)

    def fill(
        self, name: str, values: Mapping[str, str], follow_up: bool, lines: list[TaskLine]
    ) -> str:
        """The email part `name` as render() gives it, filled into its prerendered pieces.

        Jinja took most of a message's rendering time, yet only a few values differ from one
        message to the next: the rest is rendered once per language and variant.
        """
        before, _task, after = self._prerendered(name, follow_up, _NO_FLAGS)
        out = [before.fill(values)]
        for line in lines:
            task = self._prerendered(name, follow_up, _flags(line))[1]
            out.append(task.fill(vars(line)))
        out.append(after.fill(values))
        return "".join(out)

    def _prerendered(
        self, name: str, follow_up: bool, flags: tuple[bool, ...]
    ) -> tuple[_Prerendered, ...]:
        key = (name, follow_up, flags)
        found = self.prerendered.get(key)
        if found is None:
            found = self.prerendered[key] = self._prerender(name, follow_up, flags)
        return found

    def _prerender(
        self, name: str, follow_up: bool, flags: tuple[bool, ...]
    ) -> tuple[_Prerendered, ...]:
        """Render a part with placeholders around one task, and that task's block alone."""
        template = self.environment.get_template(name)
        texts = {f.name: _PLACEHOLDER.format(f.name) for f in dataclasses.fields(TaskLine)}
        values: dict[str, Any] = {**texts, **dict(zip(_FLAG_FIELDS, flags, strict=True))}
        line = TaskLine(**values)
        context: dict[str, Any] = {key: _PLACEHOLDER.format(key) for key in MESSAGE_VALUES}
        context.update(lines=[line], follow_up=follow_up, language=self.language)
        whole = template.render(context)
        block = template.blocks[_TASK_BLOCK]
        task = "".join(block(template.new_context({**context, "line": line})))
        # The loop holds only the block, so the whole is what comes before, the task, and after.
        before, found, after = whole.partition(task)
        if not found or task in after:
            raise ValueError(f"{name}: the block {_TASK_BLOCK!r} must be the whole loop body")
        return tuple(_Prerendered.parse(piece) for piece in (before, task, after))

    def gettext(self, string: str, **variables: Any) -> str:
        """flask_babel.gettext in this language, without looking it up in the Flask context."""
        text = self.translations.ugettext(string)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        """flask_babel.ngettext in this language."""
        variables.setdefault("num", num)
        return self.translations.ungettext(singular, plural, num) % variables


_FLAG_FIELDS = tuple(f.name for f in dataclasses.fields(TaskLine) if f.type == "bool")
_NO_FLAGS = (False,) * len(_FLAG_FIELDS)


def _flags(line: TaskLine) -> tuple[bool, ...]:
    """The values of a line's bool fields: which prerendered variant shows it."""
    return tuple(getattr(line, name) for name in _FLAG_FIELDS)


def _language(language: str) -> _Language:
    """The app's Jinja environment and translations for a language, made on first use.

    The app's own environment looks the translations up in the Flask context for every text, a
    good part of the time a reminder takes to render; messages know their language up front.
    """
    languages: dict[str, _Language] = current_app.extensions.setdefault("reminder_languages", {})
    bound = languages.get(language)
    if bound is None:
        with force_locale(language):
            translations = get_translations()
        bound = languages[language] = _Language(_environment(translations), translations, language)
    return bound


def _environment(translations: Any) -> Environment:
    """A copy of the app's Jinja environment with these translations bound."""
    # A separate environment (not an overlay, whose i18n methods still act on the app's):
    # binding one language must never reach the web pages' environment.
    app_environment = current_app.jinja_env
    environment = Environment(
        loader=app_environment.loader,
        autoescape=app_environment.autoescape,
        auto_reload=app_environment.auto_reload,
        extensions=["jinja2.ext.i18n"],
    )
    # Without the request-bound helpers, meaningless in a message: every render copies the
    # globals into its context.
    environment.globals.update(
        (name, value)
        for name, value in app_environment.globals.items()
        if name not in _REQUEST_GLOBALS
    )
    environment.filters.update(app_environment.filters)
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        translations, newstyle=True
    )
    # Jinja's newstyle `_` goes through three context calls per text, a third of a message's
    # rendering; this one does the same with one.
    environment.globals["_"] = environment.globals["gettext"] = _direct_gettext(
        translations.gettext
    )
    return environment


def _direct_gettext(lookup: Callable[[str], str]) -> Callable[..., str]:
    """Jinja's newstyle gettext (escaping, always %-formatted) for fixed translations."""

    @pass_eval_context
    def gettext(eval_context: EvalContext, string: str, /, **variables: Any) -> str:
        text = lookup(string)
        if eval_context.autoescape:
            text = Markup(text)
        # Like Jinja's: always a format string, so "%%" means "%" with or without variables.
        return text % variables

    return gettext


@lru_cache(maxsize=1024)
def _long_date(day: date, language: str) -> str:
    # What flask_babel.format_date(day, "long") gives in force_locale(language); a batch names
    # the same few due dates thousands of times, and Babel's formatting is slow.
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
            )
        )
    return lines


def render_email(reminder: ReminderLike, owner: OwnerLike, entries: list[Entry]) -> EmailMessage:
    """The reminder as an email with List-* headers, one-click unsubscribe and per-task links."""
    if not owner.email:
        raise ValueError("owner has no email address")
    language = language_of(owner)
    bound = _language(language)
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


def _subject(reminder: ReminderLike, lines: list[TaskLine], bound: _Language) -> str:
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
