"""A validated protocol as typed, read-only values."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from maintenance.services.protocols.errors import Path, ProtocolError, render_path

# A text per language, e.g. {"nl": "Filter reinigen", "en": "Clean the filter"}.
Text = Mapping[str, str]


@dataclass(frozen=True)
class ModelRef:
    """One product model a protocol applies to."""

    gtin: str
    name: str

    @property
    def gtin14(self) -> str:
        """The GTIN padded to 14 digits, the form GS1 Digital Link URIs use."""
        return self.gtin.zfill(14)


@dataclass(frozen=True)
class AppliesTo:
    """The manufacturer and models of a model protocol (a category default has none)."""

    manufacturer: str
    models: tuple[ModelRef, ...]


@dataclass(frozen=True)
class TaskSpec:
    """One maintenance task as the protocol describes it."""

    id: str
    title: Text
    why: Text
    every: str | None
    rrule: str | None
    first_due: str | None
    duration: str | None
    difficulty: str
    supplies: tuple[Text, ...]
    tools: tuple[Text, ...]
    safety: Text | None
    steps: tuple[Text, ...]


@dataclass(frozen=True)
class Symptom:
    """Something that can go wrong, from the troubleshooting section: what an owner can check."""

    id: str
    title: Text
    safety: Text | None
    checks: tuple[Text, ...]  # in order, each safe for an owner to do
    tasks: tuple[str, ...]  # ids of this protocol's tasks that help against it
    call_professional: Text  # when to stop and call a professional


@dataclass(frozen=True)
class ServiceContact:
    """Where the protocol's maker takes repair and service questions (at least one is set)."""

    url: str | None
    phone: str | None


@dataclass(frozen=True)
class ProtocolDocument:
    """A protocol that passed validation; `raw` is the document as written, for storage."""

    category: str
    title: Text
    applies_to: AppliesTo | None
    tasks: tuple[TaskSpec, ...]
    raw: dict[str, Any]
    troubleshooting: tuple[Symptom, ...] = ()
    service: ServiceContact | None = None
    # Where it was read from, so a refusal after validation can still name file, line and path.
    filename: str = field(default="<upload>", compare=False)
    lines: Mapping[Path, int] = field(default_factory=dict, compare=False, repr=False)

    def error_at(self, path: Path, message: str) -> ProtocolError:
        """An error located like a validation error: file, line (nearest value) and path."""
        where = tuple(path)
        while where not in self.lines and where:
            where = where[:-1]
        return ProtocolError(self.filename, self.lines.get(where), render_path(path), message)

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON, equal for the same content however it was written."""
        return hashlib.sha256(canonical_json(self.raw).encode("utf-8")).hexdigest()

    def task(self, task_id: str) -> TaskSpec | None:
        """The task with this id, if the protocol has it."""
        return next((task for task in self.tasks if task.id == task_id), None)

    def symptom(self, symptom_id: str) -> Symptom | None:
        """The troubleshooting entry with this id, if the protocol has it."""
        return next((entry for entry in self.troubleshooting if entry.id == symptom_id), None)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces, so equal content gives equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def build_document(
    raw: dict[str, Any], filename: str = "<upload>", lines: Mapping[Path, int] | None = None
) -> ProtocolDocument:
    """Turn a validated document into typed values; call only after validation passed."""
    applies_to = raw.get("applies_to")
    service = raw.get("service")
    return ProtocolDocument(
        category=raw["category"],
        title=_text(raw["title"]),
        applies_to=None
        if applies_to is None
        else AppliesTo(
            manufacturer=applies_to["manufacturer"],
            models=tuple(ModelRef(m["gtin"], m["name"]) for m in applies_to["models"]),
        ),
        tasks=tuple(_task(task) for task in raw["tasks"]),
        raw=raw,
        troubleshooting=tuple(_symptom(entry) for entry in raw.get("troubleshooting", ())),
        service=None
        if service is None
        else ServiceContact(url=service.get("url"), phone=service.get("phone")),
        filename=filename,
        lines=MappingProxyType(dict(lines or {})),
    )


def _task(task: dict[str, Any]) -> TaskSpec:
    return TaskSpec(
        id=task["id"],
        title=_text(task["title"]),
        why=_text(task["why"]),
        every=task.get("every"),
        rrule=task.get("rrule"),
        first_due=task.get("first_due"),
        duration=task.get("duration"),
        difficulty=task["difficulty"],
        supplies=tuple(_text(item) for item in task.get("supplies", ())),
        tools=tuple(_text(item) for item in task.get("tools", ())),
        safety=_text(task["safety"]) if "safety" in task else None,
        steps=tuple(_text(item) for item in task["steps"]),
    )


def _symptom(entry: dict[str, Any]) -> Symptom:
    return Symptom(
        id=entry["id"],
        title=_text(entry["title"]),
        safety=_text(entry["safety"]) if "safety" in entry else None,
        checks=tuple(_text(item) for item in entry["checks"]),
        tasks=tuple(entry.get("tasks", ())),
        call_professional=_text(entry["call_professional"]),
    )


def _text(value: dict[str, str]) -> Text:
    # A read-only view of a copy, so a shared document cannot be changed by accident.
    return MappingProxyType(dict(value))
