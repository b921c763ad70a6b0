"""The reminder email's templates per language, rendered once with placeholders and filled in."""

# Only a few values differ from one message to the next (the subject, the links, each task's
# texts), so each part is rendered by Jinja once per language and variant and then filled in.
# Why: docs/benchmarks.md; tests/services/reminders/test_render.py compares every fill with Jinja.

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import force_locale, get_translations
from jinja2 import Environment
from markupsafe import escape

EMAIL_PARTS = ("email/reminder.txt", "email/reminder.html")
# A placeholder for a per-message value in a prerendered template. The "&" shows whether the
# template escaped it there (it becomes "&amp;"), so filling in escapes exactly where Jinja would.
_PLACEHOLDER = "\x00{}&\x00"
_SLOT = re.compile("\x00(\\w+)(&|&amp;)\x00")
_TASK_BLOCK = "task"
# The per-message values of an email part besides its tasks (TaskLine's fields).
MESSAGE_VALUES = ("subject", "unsubscribe_url", "base_url")
_REQUEST_GLOBALS = frozenset(
    {"request", "session", "g", "csrf_token", "csrf_meta_tag", "get_flashed_messages"}
)


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
    # A task for a professional: the link to find a service partner ("" for the others).
    professional: bool = False
    partners_url: str = ""


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
class EmailTemplates:
    """One language's email environment, translations and prerendered parts, made once."""

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
        """The email part `name` as render() gives it, filled into its prerendered pieces."""
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


def for_language(language: str) -> EmailTemplates:
    """The email templates of a language, made on first use and kept by the app.

    Their own environment has the language's translations bound: the app's own looks them up
    in the Flask context for every text, and a message knows its language up front.
    """
    languages: dict[str, EmailTemplates] = current_app.extensions.setdefault(
        "reminder_languages", {}
    )
    bound = languages.get(language)
    if bound is None:
        with force_locale(language):
            translations = get_translations()
        bound = languages[language] = EmailTemplates(
            _environment(translations), translations, language
        )
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
    return environment
