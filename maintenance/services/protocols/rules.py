"""The rules a JSON Schema cannot express: GTIN check digits, unique and uniform task ids,
schedules the planner accepts, the languages every text needs, the characters texts may hold."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any, TypeGuard

from maintenance.services.due_dates import TaskRule
from maintenance.services.identifiers import gtin_check_digit
from maintenance.services.protocols.errors import Path
from maintenance.services.protocols.report import ID_PATTERN, Report, join_words
from maintenance.services.protocols.schedule_checks import (
    duration_problem,
    first_due_problem,
    interval_problem,
    rrule_problem,
)
from maintenance.services.protocols.texts import character_problem, text_values
from maintenance.services.protocols.vocabulary import uniform_task_ids

MAX_TASKS = 100

# Fields of a task that hold a text per language, or a list of them.
_TASK_TEXTS = ("title", "why", "safety")
_TASK_TEXT_LISTS = ("supplies", "tools", "steps")


def check_rules(document: dict[str, Any], report: Report, languages: Sequence[str]) -> None:
    """Report what the schema cannot see in a document that is a mapping."""
    check_text(("title",), document.get("title"), report, languages)
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


def _check_characters(document: dict[str, Any], report: Report) -> None:
    """Refuse control and bidi characters, and line breaks in one-line texts, where they are."""
    for path, text, long in text_values(document):
        if report.full:
            return
        problem = character_problem(text, long, path in report.loaded.blocks)
        if problem:
            report.add(path, problem)


def _check_models(models: list[Any], report: Report) -> None:
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


def valid_id(value: Any) -> TypeGuard[str]:
    """Whether a value is an id the schema accepts (its errors are the schema's to report)."""
    return isinstance(value, str) and len(value) <= 64 and bool(re.fullmatch(ID_PATTERN, value))


def _check_task(
    path: Path,
    task: dict[str, Any],
    category: Any,
    first_use: dict[str, int],
    report: Report,
    languages: Sequence[str],
) -> None:
    task_id = task.get("id")
    if valid_id(task_id):
        _check_task_id(path, task_id, category, first_use, report)
    problems = 0
    for name, check in (
        ("every", interval_problem),
        ("first_due", first_due_problem),
        ("duration", duration_problem),
        ("rrule", rrule_problem),
    ):
        value = task.get(name)
        problem = check(value) if isinstance(value, str) else None
        if problem:
            report.add((*path, name), problem)
            problems += 1
    if not problems:
        _check_schedulable(path, task, report)
    check_texts(path, task, _TASK_TEXTS, _TASK_TEXT_LISTS, report, languages)


def _check_schedulable(path: Path, task: dict[str, Any], report: Report) -> None:
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
    path: Path, task_id: str, category: Any, first_use: dict[str, int], report: Report
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
        f"{join_words(uniform)}; a task of your own needs an id starting with 'x-', such as "
        f"x-{task_id}",
    )


def check_texts(
    path: Path,
    entry: dict[str, Any],
    texts: Sequence[str],
    text_lists: Sequence[str],
    report: Report,
    languages: Sequence[str],
) -> None:
    """Require the languages in an entry's texts (`texts`) and lists of texts (`text_lists`)."""
    for name in texts:
        check_text((*path, name), entry.get(name), report, languages)
    for name in text_lists:
        items = entry.get(name)
        if isinstance(items, list):
            for index, item in enumerate(items):
                check_text((*path, name, index), item, report, languages)


def check_text(path: Path, text: Any, report: Report, languages: Sequence[str]) -> None:
    """Require the given languages in a text; an empty or ill-typed text the schema reports."""
    if not isinstance(text, dict) or not text:
        return
    missing = [language for language in languages if language not in text]
    if len(missing) == 1:
        report.add(
            path, f"the {missing[0]!r} text is missing (every text needs {join_words(languages)})"
        )
    elif missing:
        names = join_words([repr(language) for language in missing])
        report.add(
            path, f"the {names} texts are missing (every text needs {join_words(languages)})"
        )
