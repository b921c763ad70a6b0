"""The rules of the optional troubleshooting section that a JSON Schema cannot express.

Symptom ids are unique; every related task id names a task of the same protocol (so the page can
link to it); every text has the required languages.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from maintenance.services.protocols.errors import Path
from maintenance.services.protocols.report import Report, join_words
from maintenance.services.protocols.rules import check_texts, valid_id

MAX_SYMPTOMS = 50

_SYMPTOM_TEXTS = ("title", "safety", "call_professional")
_SYMPTOM_TEXT_LISTS = ("checks",)


def check_troubleshooting(
    document: dict[str, Any], report: Report, languages: Sequence[str]
) -> None:
    """Report what the schema cannot see in the troubleshooting section, if there is one."""
    symptoms = document.get("troubleshooting")
    if not isinstance(symptoms, list) or len(symptoms) > MAX_SYMPTOMS:
        return  # Absent (it is optional), or the schema has reported it.
    task_ids = _task_ids(document.get("tasks"))
    first_use: dict[str, int] = {}
    for index, symptom in enumerate(symptoms):
        if not isinstance(symptom, dict) or report.full:
            continue
        path: Path = ("troubleshooting", index)
        symptom_id = symptom.get("id")
        if valid_id(symptom_id):
            _check_unique(path, symptom_id, first_use, report)
        related = symptom.get("tasks")
        if isinstance(related, list) and task_ids is not None:
            _check_related(path, related, task_ids, report)
        check_texts(path, symptom, _SYMPTOM_TEXTS, _SYMPTOM_TEXT_LISTS, report, languages)


def _task_ids(tasks: Any) -> list[str] | None:
    """The ids of the protocol's tasks, or None when the task list is too broken to judge by."""
    if not isinstance(tasks, list):
        return None
    return [task["id"] for task in tasks if isinstance(task, dict) and valid_id(task.get("id"))]


def _check_unique(path: Path, symptom_id: str, first_use: dict[str, int], report: Report) -> None:
    index = int(path[-1])
    if symptom_id in first_use:
        earlier = first_use[symptom_id]
        line = report.loaded.line_of(("troubleshooting", earlier))
        report.add(
            (*path, "id"),
            f"the symptom id {symptom_id!r} is already used by troubleshooting[{earlier}] "
            f"(line {line})",
        )
    first_use.setdefault(symptom_id, index)


def _check_related(path: Path, related: list[Any], task_ids: list[str], report: Report) -> None:
    """Each related id must name a task of this protocol, once."""
    seen: set[str] = set()
    for position, task_id in enumerate(related):
        if not valid_id(task_id):
            continue  # The schema has reported it.
        where = (*path, "tasks", position)
        if task_id in seen:
            report.add(where, f"the task {task_id!r} is already listed for this symptom")
        elif task_id not in task_ids:
            report.add(where, _not_a_task(task_id, task_ids))
        seen.add(task_id)


def _not_a_task(task_id: str, task_ids: list[str]) -> str:
    close = difflib.get_close_matches(task_id, task_ids, n=1)
    advice = f" (did you mean {close[0]!r}?)" if close else ""
    tasks = f"its tasks are {join_words(task_ids)}" if task_ids else "it has no valid task ids"
    return (
        f"{task_id!r} is not a task of this protocol{advice}; a symptom can only name the "
        f"protocol's own tasks, and {tasks}"
    )
