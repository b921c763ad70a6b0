"""Protocol texts: one-line texts are tidied at load time; control and bidi characters are refused
where they are, and long texts keep their line breaks (issue 15, items 8 and 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maintenance.services.protocols import load_protocol, validate
from maintenance.services.protocols.errors import render_path

HERE = Path(__file__).parent
VALID_JSON = json.loads((HERE / "valid.json").read_text(encoding="utf-8"))

BLOCK_TITLE = """\
format: maintenance-protocol/1
category: dishwasher
title: {nl: Onderhoud, en: Maintenance}
tasks:
  - id: clean-filter
    title:
      nl: >
        Filter reinigen
      en: |
        Clean the
        filter
    why:
      nl: |
        Schone vaat.
        Een lange levensduur.
      en: "  Clean dishes.\\r\\nA long life.  "
    every: P1M
    difficulty: easy
    supplies:
      - {nl: "  Afwasmiddel ", en: Washing-up liquid}
    steps:
      - nl: >
          Haal het filter eruit.


          Spoel het schoon.
        en: Take out the filter.
"""


def test_a_title_written_as_a_yaml_block_loads_as_one_tidy_line() -> None:
    document = load_protocol(BLOCK_TITLE, "block.yaml")
    [task] = document.tasks
    assert task.title == {"nl": "Filter reinigen", "en": "Clean the filter"}
    assert task.supplies[0]["nl"] == "Afwasmiddel"
    # Long texts keep their line breaks (CRLF as LF), without surrounding whitespace.
    assert task.why == {
        "nl": "Schone vaat.\nEen lange levensduur.",
        "en": "Clean dishes.\nA long life.",
    }
    assert task.steps[0]["nl"] == "Haal het filter eruit.\n\nSpoel het schoon."
    # What is stored is the tidied text.
    assert document.raw["tasks"][0]["title"]["nl"] == "Filter reinigen"


def test_tidied_and_untidy_writings_of_a_title_are_the_same_content() -> None:
    untidy = load_protocol(BLOCK_TITLE, "block.yaml")
    tidy = load_protocol(
        BLOCK_TITLE.replace(
            "      nl: >\n        Filter reinigen\n", "      nl: Filter reinigen\n"
        ),
        "tidy.yaml",
    )
    assert untidy.content_hash == tidy.content_hash


def _with(path: tuple[str | int, ...], value: str) -> str:
    """valid.json with one text replaced, written as JSON (escapes are how such text arrives)."""
    document = json.loads(json.dumps(VALID_JSON))
    container = document
    for part in path[:-1]:
        container = container[part]
    container[path[-1]] = value
    return json.dumps(document, indent=1)


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        (("tasks", 0, "title", "nl"), "Filter\r\nBcc: x@example.com", "line break"),
        (("tasks", 0, "title", "en"), "Clean\nthe filter", "line break"),
        (("title", "nl"), "Onderhoud\x00", "U+0000"),
        (("tasks", 0, "title", "nl"), "Filter \u202ereinigen", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        (("tasks", 0, "why", "nl"), "Schoon\u2066vaat", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        (("tasks", 0, "steps", 0, "en"), "Take\rit out", "U+000D"),
        (("tasks", 0, "safety", "en"), "Unplug\x1b[2J", "U+001B"),
        (("tasks", 0, "supplies", 0, "en"), "Soap\tand water", "U+0009"),
        (("applies_to", "manufacturer"), "Example\u0085Appliances", "U+0085"),
        (("applies_to", "models", 0, "name"), "DW 600\n", "line break"),
        (("tasks", 0, "tools", 0, "nl"), "Borstel\u2028", "U+2028 LINE SEPARATOR"),
    ],
)
def test_control_characters_are_refused_at_file_line_and_path(
    path: tuple[str | int, ...], value: str, named: str
) -> None:
    source = _with(path, value)
    [error] = validate(source, "upload.json")
    assert error.path == render_path(path)
    assert named in error.message
    # The line is the one the text is on.
    assert json.dumps(value) in source.splitlines()[error.line - 1]
    assert str(error).startswith(f"upload.json:{error.line}: {error.path}: ")


def test_line_breaks_in_long_texts_are_kept() -> None:
    source = _with(("tasks", 0, "steps", 0, "en"), "Take out the filter.\r\nRinse it.")
    source = json.loads(source)
    source["tasks"][0]["why"]["en"] = "Clean dishes.\n\nA long life."
    document = load_protocol(json.dumps(source), "upload.json")
    assert document.tasks[0].steps[0]["en"] == "Take out the filter.\nRinse it."
    assert document.tasks[0].why["en"] == "Clean dishes.\n\nA long life."


def test_marks_soft_hyphens_and_joiners_stay_allowed() -> None:
    # Ordinary typography: a soft hyphen in a long Dutch word, a right-to-left mark in Arabic.
    source = _with(("tasks", 0, "title", "nl"), "Vaat\u00adwasser\u00adfilter \u200f")
    assert validate(source, "upload.json") == []
