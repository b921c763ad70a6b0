"""Validate a parsed protocol: the JSON Schema first, then the rules a schema cannot express."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr
from jsonschema import Draft202012Validator, ValidationError, validators

from maintenance.services.due_dates import TaskRule
from maintenance.services.durations import (
    MAX_INTERVAL,
    MAX_WORK,
    SCHEMA_PATTERN,
    DurationError,
    longer_than,
    parse_duration,
)
from maintenance.services.identifiers import gtin_check_digit
from maintenance.services.protocols.errors import Path, ProtocolError, render_path, sort_errors
from maintenance.services.protocols.links import link_problems
from maintenance.services.protocols.loader import Loaded
from maintenance.services.protocols.texts import character_problem, text_values
from maintenance.services.protocols.vocabulary import load_categories, load_schema, uniform_task_ids

FORMAT = "maintenance-protocol/1"
DEFAULT_LANGUAGES = ("nl", "en")
MAX_TASKS = 100
# A hostile or badly broken upload can hold 100,000 errors; listing them helps nobody.
MAX_ERRORS = 200

# The schema's patterns, named so their errors get their own explanation.
_TEXT_PATTERN = r"\S"
_ID_PATTERN = "^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"
_GTIN_PATTERN = "^(?:[0-9]{8}|[0-9]{12,14})$"

# Fields of a task that hold a text per language, or a list of them.
_TASK_TEXTS = ("title", "why", "safety")
_TASK_TEXT_LISTS = ("supplies", "tools", "steps")

_RRULE_PARTS = {"FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYWEEKNO", "BYYEARDAY"}
_RRULE_PARTS |= {"BYSETPOS", "WKST"}
_RRULE_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# Rules are tried from a start near the end of the calendar dateutil supports, so a rule that
# never matches (30 February) ends after about 30 years of candidates instead of 8,000.
_RRULE_TRIAL_START = datetime(9970, 1, 1)


class _Report:
    """Collects errors, finding the line of each path."""

    def __init__(self, filename: str, loaded: Loaded) -> None:
        self.filename = filename
        self.loaded = loaded
        self.errors: list[ProtocolError] = []
        # The schema gives one `required` error per missing field, all about the same mapping.
        self.required_reported: set[Path] = set()

    @property
    def full(self) -> bool:
        """Whether enough errors are collected to stop looking for more."""
        return len(self.errors) >= MAX_ERRORS

    def add(self, path: Path, message: str) -> None:
        if not self.full:
            line = self.loaded.line_of(path)
            self.errors.append(ProtocolError(self.filename, line, render_path(path), message))

    def sorted(self) -> list[ProtocolError]:
        """The errors by line, with a last note when the list was cut short."""
        errors = sort_errors(self.errors)
        if self.full:
            note = f"there are more errors; only the first {MAX_ERRORS} found are listed"
            errors.append(ProtocolError(self.filename, None, "", note))
        return errors


def _pattern(
    validator: Draft202012Validator, pattern: str, instance: Any, schema: dict[str, Any]
) -> Any:
    """The `pattern` keyword with JSON Schema's meaning of `$`: the very end of the text."""
    if not isinstance(instance, str):
        return
    # Python's `$` also matches before a final newline, which would let "clean-filter\n" pass.
    anchored = (
        pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern
    )
    if not re.search(anchored, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _validator() -> Draft202012Validator:
    strict = validators.extend(Draft202012Validator, {"pattern": _pattern})
    return strict(load_schema())


def check_document(
    loaded: Loaded, filename: str, languages: Sequence[str] = DEFAULT_LANGUAGES
) -> list[ProtocolError]:
    """All errors in a parsed protocol, sorted by line; an empty list means it is valid."""
    report = _Report(filename, loaded)
    document = loaded.value
    if document is None:
        report.add((), "the file holds no protocol, only comments")
        return report.errors
    if isinstance(document, dict) and _other_format(document.get("format")):
        report.add(("format",), f"this service reads {FORMAT}, not {document['format']!r}")
        return report.errors
    for error in _validator().iter_errors(document):
        if report.full:
            break
        _translate(error, report)
    if isinstance(document, dict):
        _check_semantics(document, report, languages)
    for path, message in link_problems(document):
        report.add(path, message)
    return report.sorted()


def _other_format(value: Any) -> bool:
    """Whether a document declares another version of the format (its other errors are noise)."""
    return isinstance(value, str) and value.startswith("maintenance-protocol/") and value != FORMAT


# --- JSON Schema errors in plain words -----------------------------------------------------------


def _translate(error: ValidationError, report: _Report) -> None:  # noqa: C901 (flat: one branch per JSON Schema keyword)
    """Report one schema error as plain words at the path it concerns."""
    path: Path = tuple(error.absolute_path)
    # An error from iter_errors has every field set; the stubs also allow an "unset" sentinel.
    # The keyword's value and the schema are any JSON, read per keyword below.
    keyword = error.validator
    instance: Any = error.instance
    schema: Any = error.schema
    value: Any = error.validator_value
    if keyword == "required":
        if path in report.required_reported:
            return
        report.required_reported.add(path)
        for name in value:
            if isinstance(instance, dict) and name not in instance:
                report.add(path, f"the required field {name!r} is missing{_HINTS.get(name, '')}")
    elif keyword == "additionalProperties":
        _unknown_fields(path, instance, schema, report)
    elif keyword == "type":
        report.add(path, _type_message(path, instance, value, schema))
    elif keyword == "enum" and path == ("category",):
        report.add(path, _category_message(instance))
    elif keyword == "enum":
        choices = ", ".join(str(choice) for choice in value)
        report.add(path, f"{instance!r} is not allowed here; use one of: {choices}")
    elif keyword == "const":
        report.add(path, f"must be {value!r}, not {instance!r}")
    elif keyword == "pattern" and value == SCHEMA_PATTERN and path:
        # The same words as the check of that field gives, so the two errors are one.
        check = _DURATION_CHECKS.get(str(path[-1]), _interval_problem)
        report.add(path, check(instance) or f"{instance!r} is not an ISO 8601 duration")
    elif keyword == "pattern":
        report.add(path, _pattern_message(path, instance, value))
    elif keyword == "maxLength":
        report.add(path, f"is longer than {value} characters")
    elif keyword in ("minItems", "maxItems"):
        report.add(path, _count_message(path, keyword, value))
    elif keyword == "minProperties":
        report.add(path, "is empty; give the text per language, e.g. {nl: ..., en: ...}")
    elif keyword == "oneOf" and isinstance(instance, dict):
        _every_or_rrule(path, instance, report)
    elif keyword != "oneOf":
        report.add(path, error.message)


_HINTS = {
    "format": f" (write: format: {FORMAT})",
    "category": " (one of the category ids in protocols/categories.yaml, e.g. dishwasher)",
    "title": " (a text per language, e.g. {nl: ..., en: ...})",
    "tasks": " (a list of maintenance tasks)",
    "id": " (a uniform task id such as clean-filter)",
    "why": " (the benefit of the task, e.g. a longer life or less energy)",
    "difficulty": " (easy, moderate or professional)",
    "steps": " (a list of steps, each a text per language)",
    "manufacturer": " (the manufacturer's name)",
    "gtin": ' (the GTIN in quotes, e.g. "08712345678906")',
    "name": " (the model name as printed on the appliance)",
    "models": " (a list of {gtin, name}; leave applies_to out for a category default)",
}


# Names people reach for that the format spells differently.
_RENAMED = {
    "interval": "every",
    "frequency": "every",
    "schedule": "every",
    "recurrence": "rrule",
    "time": "duration",
    "instructions": "steps",
    "name": "title",
    "description": "why",
    "warning": "safety",
}


def _unknown_fields(path: Path, instance: Any, schema: dict[str, Any], report: _Report) -> None:
    known = list(schema.get("properties", {}))
    patterns = list(schema.get("patternProperties", {}))
    for key in instance:
        if report.full:
            return
        if key in known or any(re.search(pattern, key) for pattern in patterns):
            continue
        if not known:  # A text per language: its keys are language codes.
            message = f"{key!r} is not a language code; use two lower-case letters such as nl or en"
        else:
            close = [_RENAMED[key]] if _RENAMED.get(key) in known else []
            close = close or difflib.get_close_matches(key, known, n=1)
            advice = (
                f"did you mean {close[0]!r}?" if close else f"the fields here are {_list(known)}"
            )
            message = f"unknown field {key!r}; {advice} (extensions start with 'x-')"
        report.add((*path, key), message)


def _type_message(path: Path, instance: Any, expected: str, schema: dict[str, Any]) -> str:
    found = _describe(instance)
    if expected == "string" and path and path[-1] == "gtin" and isinstance(instance, int | float):
        return 'must be text in quotes, e.g. "08712345678906", so leading zeros are kept'
    if expected == "string" and isinstance(instance, int | float | bool):
        return f"must be text, not {found}; put it in quotes"
    if expected == "string":
        return f"must be text, not {found}"
    if expected == "object" and "properties" not in schema:
        return f"must be a text per language, e.g. {{nl: ..., en: ...}}, not {found}"
    if expected == "object":
        return f"must be a mapping of fields (name: value), not {found}"
    if expected == "array":
        return f"must be a list (items starting with '- '), not {found}"
    return f"must be of type {expected}, not {found}"


def _describe(value: Any) -> str:
    """Say in words what kind of value a user wrote."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{str(value).lower()} (yes/no)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, dict):
        return "a mapping"
    return "a list"


def _category_message(value: Any) -> str:
    categories = list(load_categories())
    close = difflib.get_close_matches(str(value), categories, n=1)
    advice = f"did you mean {close[0]!r}?" if close else "the categories are listed in the docs"
    return f"{value!r} is not a known category; {advice}"


def _pattern_message(path: Path, value: str, pattern: str) -> str:
    if pattern == _ID_PATTERN:
        return (
            f"{value!r} is not a valid task id: use lower-case letters, digits and single "
            "hyphens, starting with a letter (e.g. clean-filter)"
        )
    if pattern == _GTIN_PATTERN:
        return f"{value!r} is not a GTIN: it must be 8, 12, 13 or 14 digits"
    if pattern == _TEXT_PATTERN:
        return "is empty"
    return f"{value!r} does not match the pattern {pattern}"


def _count_message(path: Path, keyword: str, limit: int) -> str:
    if keyword == "maxItems":
        return f"has more than {limit} items"
    what = {"tasks": "task", "steps": "step", "models": "model"}.get(str(path[-1]), "item")
    return f"needs at least one {what}" if limit == 1 else f"needs at least {limit} {what}s"


def _every_or_rrule(path: Path, task: dict[str, Any], report: _Report) -> None:
    if "every" in task and "rrule" in task:
        report.add(
            (*path, "rrule"), "give either 'every' (an interval) or 'rrule' (fixed dates), not both"
        )
    else:
        report.add(
            path,
            "needs 'every' (an interval such as P3M) or 'rrule' "
            "(fixed dates such as FREQ=YEARLY;BYMONTH=4)",
        )


# --- Rules beyond the schema ----------------------------------------------------------------------


def _check_semantics(document: dict[str, Any], report: _Report, languages: Sequence[str]) -> None:
    _check_text(("title",), document.get("title"), report, languages)
    _check_characters(document, report)
    applies_to = document.get("applies_to")
    if isinstance(applies_to, dict) and isinstance(applies_to.get("models"), list):
        _check_models(applies_to["models"], report)
    tasks = document.get("tasks")
    if not isinstance(tasks, list) or len(tasks) > MAX_TASKS:
        return  # The schema has reported it; checking thousands of tasks would only cost time.
    category = document.get("category")
    first_use: dict[str, int] = {}
    for index, task in enumerate(tasks):
        if isinstance(task, dict) and not report.full:
            _check_task(("tasks", index), task, category, first_use, report, languages)


def _check_characters(document: dict[str, Any], report: _Report) -> None:
    """Refuse control and bidi characters, and line breaks in one-line texts, where they are."""
    for path, text, long in text_values(document):
        if report.full:
            return
        problem = character_problem(text, long, path in report.loaded.blocks)
        if problem:
            report.add(path, problem)


def _check_models(models: list[Any], report: _Report) -> None:
    first_use: dict[str, int] = {}
    for index, model in enumerate(models):
        gtin = model.get("gtin") if isinstance(model, dict) else None
        if not isinstance(gtin, str) or not gtin.isascii() or not gtin.isdigit():
            continue
        path = ("applies_to", "models", index, "gtin")
        if len(gtin) in (8, 12, 13, 14) and gtin_check_digit(gtin[:-1]) != int(gtin[-1]):
            expected = gtin_check_digit(gtin[:-1])
            report.add(
                path, f"{gtin!r} has a wrong check digit: the last digit should be {expected}"
            )
        normal = gtin.zfill(14)
        if normal in first_use:
            report.add(path, f"GTIN {gtin} is already listed at models[{first_use[normal]}]")
        first_use.setdefault(normal, index)


def _check_task(
    path: Path,
    task: dict[str, Any],
    category: Any,
    first_use: dict[str, int],
    report: _Report,
    languages: Sequence[str],
) -> None:
    task_id = task.get("id")
    if isinstance(task_id, str) and len(task_id) <= 64 and re.fullmatch(_ID_PATTERN[1:-1], task_id):
        _check_task_id(path, task_id, category, first_use, report)
    problems = 0
    for name, check in (
        ("every", _interval_problem),
        ("first_due", _first_due_problem),
        ("duration", _duration_problem),
        ("rrule", _rrule_problem),
    ):
        value = task.get(name)
        problem = check(value) if isinstance(value, str) else None
        if problem:
            report.add((*path, name), problem)
            problems += 1
    if not problems:
        _check_schedulable(path, task, report)
    for name in _TASK_TEXTS:
        _check_text((*path, name), task.get(name), report, languages)
    for name in _TASK_TEXT_LISTS:
        items = task.get(name)
        if isinstance(items, list):
            for index, item in enumerate(items):
                _check_text((*path, name, index), item, report, languages)


def _check_schedulable(path: Path, task: dict[str, Any], report: _Report) -> None:
    """Ask the scheduler itself, so nothing accepted here can fail when it is planned."""
    fields = {name: task.get(name) for name in ("every", "rrule", "first_due")}
    if not all(value is None or isinstance(value, str) for value in fields.values()):
        return  # The schema has reported the wrong type.
    if (fields["every"] is None) == (fields["rrule"] is None):
        return  # The schema has reported it as "either every or rrule".
    try:
        TaskRule(**fields)
    except ValueError as exc:
        report.add((*path, "rrule" if fields["rrule"] else "every"), str(exc))


def _check_task_id(
    path: Path, task_id: str, category: Any, first_use: dict[str, int], report: _Report
) -> None:
    id_path = (*path, "id")
    if task_id in first_use:
        earlier = first_use[task_id]
        line = report.loaded.line_of(("tasks", earlier))
        report.add(
            id_path, f"the task id {task_id!r} is already used by tasks[{earlier}] (line {line})"
        )
    first_use.setdefault(task_id, int(path[-1]))
    uniform = uniform_task_ids(category) if isinstance(category, str) else []
    if task_id.startswith("x-") or not uniform or task_id in uniform:
        return
    close = difflib.get_close_matches(task_id, uniform, n=1)
    advice = f" (did you mean {close[0]!r}?)" if close else ""
    report.add(
        id_path,
        f"{task_id!r} is not a uniform task id for {category}{advice}; the uniform ids are "
        f"{_list(uniform)}; a task of your own needs an id starting with 'x-', such as "
        f"x-{task_id}",
    )


def _check_text(path: Path, text: Any, report: _Report, languages: Sequence[str]) -> None:
    """Require the given languages in a text; an empty or ill-typed text the schema reports."""
    if not isinstance(text, dict) or not text:
        return
    missing = [language for language in languages if language not in text]
    if len(missing) == 1:
        report.add(
            path, f"the {missing[0]!r} text is missing (every text needs {_list(languages)})"
        )
    elif missing:
        names = _list([repr(language) for language in missing])
        report.add(path, f"the {names} texts are missing (every text needs {_list(languages)})")


def _list(words: Sequence[str], conjunction: str = "and") -> str:
    """Join words as a sentence does: "a, b and c"."""
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _parse(text: str) -> relativedelta | str:
    """A duration, or the reason it is not one."""
    try:
        return parse_duration(text)
    except DurationError as exc:
        return str(exc)


def _seconds(delta: relativedelta) -> float:
    """Roughly how long a duration is; months and years at their average length."""
    days = delta.years * 365.25 + delta.months * 30.44 + delta.days
    return days * 86400 + delta.hours * 3600 + delta.minutes * 60 + delta.seconds


def _interval_problem(text: str) -> str | None:
    delta = _parse(text)
    if isinstance(delta, str):
        return delta
    if _seconds(delta) < 86400:
        return f"{text!r} is shorter than a day; reminders come at most daily (P1D)"
    if longer_than(delta, MAX_INTERVAL):
        return f"{text!r} is longer than ten years; a task repeats at most every ten years (P10Y)"
    return _whole_days_problem(text, delta)


def _first_due_problem(text: str) -> str | None:
    delta = _parse(text)
    if isinstance(delta, str):
        return delta
    if longer_than(delta, MAX_INTERVAL):
        return f"{text!r} is longer than ten years; a task is first due within ten years (P10Y)"
    return _whole_days_problem(text, delta)


def _whole_days_problem(text: str, delta: relativedelta) -> str | None:
    if delta.hours or delta.minutes or delta.seconds:
        return f"{text!r} has hours or minutes; due dates count whole days (P1D, P2W, P1M)"
    return None


def _duration_problem(text: str) -> str | None:
    delta = _parse(text)
    if isinstance(delta, str):
        return delta
    if delta.years or delta.months or longer_than(delta, MAX_WORK):
        return (
            f"{text!r} is longer than a day; duration is the time the work itself takes, "
            "such as PT10M or PT1H30M"
        )
    return None


_DURATION_CHECKS = {
    "every": _interval_problem,
    "first_due": _first_due_problem,
    "duration": _duration_problem,
}


@lru_cache(maxsize=256)
def _rrule_parts(text: str, example: str) -> dict[str, str] | str:
    """A rule's NAME=VALUE parts in upper case, or why they cannot be read."""
    parts: dict[str, str] = {}
    for part in filter(None, text.upper().split(";")):  # The scheduler allows a trailing ";".
        name, equals, value = part.partition("=")
        if not equals or not name.strip() or not value.strip():
            return f"{part!r} in {text!r} is not NAME=VALUE, {example}"
        if name.strip() in parts:
            return f"{name.strip()} appears twice in {text!r}"
        parts[name.strip()] = value.strip()
    return parts


def _rrule_problem(text: str) -> str | None:
    """Why a recurrence rule is unusable for reminders, or None when it is fine."""
    example = "such as FREQ=YEARLY;BYMONTH=4"
    if not text.strip():
        return f"is empty; write a recurrence rule {example}"
    if ":" in text or "\n" in text:
        return f"write only the rule itself, {example} (no 'RRULE:' and no DTSTART)"
    parts = _rrule_parts(text, example)
    if isinstance(parts, str):
        return parts
    unknown = sorted(set(parts) - _RRULE_PARTS)
    if {"COUNT", "UNTIL"} & set(unknown):
        return "the rule must repeat without end: leave out COUNT and UNTIL"
    if {"BYHOUR", "BYMINUTE", "BYSECOND"} & set(unknown):
        return "leave out BYHOUR, BYMINUTE and BYSECOND: the owner chooses the time of day"
    if unknown:
        return f"{unknown[0]!r} is not allowed in a rule; use {_list(sorted(_RRULE_PARTS))}"
    if parts.get("FREQ") not in _RRULE_FREQS:
        return f"FREQ must be {_list(_RRULE_FREQS, 'or')} ({text!r})"
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit() or not 1 <= int(interval) <= 100:
        return f"INTERVAL must be a whole number from 1 to 100 ({text!r})"
    try:
        body = ";".join(f"{name}={value}" for name, value in parts.items())
        rule = rrulestr(body, dtstart=_RRULE_TRIAL_START)
        first = next(iter(rule), None) if isinstance(rule, rrule) else None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        # dateutil's ValueErrors name the bad part; its other errors say nothing useful.
        detail = f" ({exc})" if isinstance(exc, ValueError) else ""
        return f"{text!r} is not a valid recurrence rule{detail}"
    if first is None:
        return f"{text!r} never falls on a real date (check BYMONTH and BYMONTHDAY)"
    return None
