"""Every duration in a protocol is bounded, and the JSON Schema agrees (issue 15, item 10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from maintenance.services.durations import SCHEMA_PATTERN
from maintenance.services.protocols import load_protocol, load_schema, validate

HERE = Path(__file__).parent
VALID = json.loads((HERE / "valid.json").read_text(encoding="utf-8"))


def _task_with(**fields: str) -> str:
    document = json.loads(json.dumps(VALID))
    document["tasks"][0].update(fields)
    return json.dumps(document, indent=1)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("every", "P99999Y", "'P99999Y' has a number of more than 4 digits"),
        (
            "every",
            "P11Y",
            "'P11Y' is longer than ten years; a task repeats at most every ten years",
        ),
        ("every", "P3654D", "'P3654D' is longer than ten years"),
        ("every", "P121M", "'P121M' is longer than ten years"),
        ("first_due", "P9999Y", "'P9999Y' is longer than ten years; a task is first due within"),
        ("duration", "PT25H", "'PT25H' is longer than a day"),
        ("duration", "PT9999H", "'PT9999H' is longer than a day"),
        ("every", "P1M\n", "is not an ISO 8601 duration"),
        ("every", "P\u0661M", "is not an ISO 8601 duration"),
        ("first_due", "P\uff11M", "is not an ISO 8601 duration"),
        ("duration", "PT10M\n", "is not an ISO 8601 duration"),
    ],
)
def test_durations_beyond_their_bounds_are_refused_once_where_they_are(
    field: str, value: str, message: str
) -> None:
    source = _task_with(**{field: value})
    [error] = validate(source, "upload.json")
    assert error.path == f"tasks[0].{field}"
    assert message in error.message
    assert json.dumps(value) in source.splitlines()[error.line - 1]


@pytest.mark.parametrize(
    ("field", "value"),
    [("every", "P10Y"), ("every", "P9Y12M"), ("every", "P3652D"), ("first_due", "P10Y")],
)
def test_durations_at_their_bounds_are_accepted(field: str, value: str) -> None:
    document = load_protocol(_task_with(**{field: value}), "upload.json")
    assert getattr(document.tasks[0], field) == value


def test_the_schema_bounds_every_duration_with_the_parser_syntax() -> None:
    task = load_schema()["$defs"]["task"]["properties"]
    for field in ("every", "first_due", "duration"):
        assert task[field]["pattern"] == SCHEMA_PATTERN
    # An editor using only the schema refuses what the service refuses for its syntax.
    validator = Draft202012Validator(load_schema())
    for value, valid in (("P1M", True), ("P99999Y", False), ("P1Y2M", True), ("P", False)):
        document = json.loads(_task_with(every=value))
        assert validator.is_valid(document) is valid, value
