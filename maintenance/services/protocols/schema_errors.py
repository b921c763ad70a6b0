"""The JSON Schema's errors in plain words, each at the path it concerns."""

from __future__ import annotations

import difflib
import re
from typing import Any

from jsonschema import ValidationError

from maintenance.services.durations import SCHEMA_PATTERN
from maintenance.services.protocols.errors import Path
from maintenance.services.protocols.report import ID_PATTERN, Report, join_words
from maintenance.services.protocols.schedule_checks import DURATION_CHECKS, interval_problem
from maintenance.services.protocols.vocabulary import FORMAT, load_categories

# The schema's patterns, named so their errors get their own explanation.
TEXT_PATTERN = r"\S"
GTIN_PATTERN = "^(?:[0-9]{8}|[0-9]{12,14})$"
URL_PATTERN = (
    "^https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][A-Za-z0-9._~:/?#\\[\\]@!$&'()*+,;=%-]*)?$"
)
PHONE_PATTERN = "^\\+?[0-9(][0-9 ()-]{3,23}[0-9]$"


def translate(error: ValidationError, report: Report) -> None:  # noqa: C901 (flat: one branch per JSON Schema keyword)
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
                report.add(path, f"the required field {name!r} is missing{_hint(path, name)}")
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
        check = DURATION_CHECKS.get(str(path[-1]), interval_problem)
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
    elif keyword == "anyOf" and path == ("service",):
        report.add(path, "give the service's url (https://...), its phone number, or both")
    elif keyword not in ("oneOf", "uniqueItems"):
        # A repeated item is reported at the repeat itself, by the troubleshooting rules.
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
# The same for an entry of the troubleshooting section, where some names mean other things.
_SYMPTOM_HINTS = {
    "id": " (a symptom id such as does-not-drain)",
    "title": " (the symptom as an owner says it, a text per language)",
    "checks": " (a list of checks an owner can safely do, each a text per language)",
    "call_professional": " (when to stop and call a professional, a text per language)",
}


def _hint(path: Path, name: str) -> str:
    """What a missing field holds, in words, for the mapping at `path`."""
    hints = _SYMPTOM_HINTS if path[:1] == ("troubleshooting",) else _HINTS
    return hints.get(name, "")


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
    "symptoms": "troubleshooting",
    "problems": "troubleshooting",
    "faults": "troubleshooting",
    "contact": "service",
    "support": "service",
    "related_tasks": "tasks",
    "professional": "call_professional",
    "when_to_call": "call_professional",
    "steps": "checks",  # in a symptom; in a task `steps` is a known field and never asked about
}


def _unknown_fields(path: Path, instance: Any, schema: dict[str, Any], report: Report) -> None:
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
                f"did you mean {close[0]!r}?"
                if close
                else f"the fields here are {join_words(known)}"
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
    if pattern == ID_PATTERN:
        symptom = path[:1] == ("troubleshooting",) and path[-1] == "id"
        kind, example = ("symptom", "does-not-drain") if symptom else ("task", "clean-filter")
        return (
            f"{value!r} is not a valid {kind} id: use lower-case letters, digits and single "
            f"hyphens, starting with a letter (e.g. {example})"
        )
    if pattern == URL_PATTERN:
        return f"{value!r} is not a web address starting with https:// (e.g. https://example.com/service)"
    if pattern == PHONE_PATTERN:
        return (
            f"{value!r} is not a phone number: digits, spaces, hyphens and brackets, "
            "optionally starting with + (e.g. +31 20 123 4567)"
        )
    if pattern == GTIN_PATTERN:
        return f"{value!r} is not a GTIN: it must be 8, 12, 13 or 14 digits"
    if pattern == TEXT_PATTERN:
        return "is empty"
    return f"{value!r} does not match the pattern {pattern}"


def _count_message(path: Path, keyword: str, limit: int) -> str:
    if keyword == "maxItems":
        return f"has more than {limit} items"
    names = {"tasks": "task", "steps": "step", "models": "model", "checks": "check"}
    names["troubleshooting"] = "symptom"
    what = names.get(str(path[-1]), "item")
    return f"needs at least one {what}" if limit == 1 else f"needs at least {limit} {what}s"


def _every_or_rrule(path: Path, task: dict[str, Any], report: Report) -> None:
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
