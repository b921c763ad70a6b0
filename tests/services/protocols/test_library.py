"""The shipped protocol library and the schema agree with the category vocabulary."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from maintenance.services.protocols import (
    LIBRARY_DIR,
    load_categories,
    load_protocol,
    load_schema,
    validate_file,
)

LIBRARY_FILES = sorted(LIBRARY_DIR.glob("*.yaml"))


def test_library_is_not_empty() -> None:
    # Without this, an empty folder would make the parametrised test below pass by not running.
    assert len(LIBRARY_FILES) >= 1


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=[path.name for path in LIBRARY_FILES])
def test_library_protocol_validates_with_dutch_and_english(path: Path) -> None:
    assert [str(error) for error in validate_file(path)] == []


def test_library_files_are_named_after_their_category() -> None:
    import yaml

    for path in LIBRARY_FILES:
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["category"] == path.stem


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(load_schema())


def test_schema_categories_are_the_vocabulary() -> None:
    assert load_schema()["properties"]["category"]["enum"] == list(load_categories())


DOC = Path(__file__).parents[3] / "docs" / "protocol-format.md"


def test_example_in_the_format_docs_is_valid() -> None:
    text = DOC.read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    document = load_protocol(example, "protocol-format.md")
    assert [task.id for task in document.tasks] == ["clean-filter", "x-check-softener"]


def test_format_docs_list_every_category_and_uniform_task_id() -> None:
    text = DOC.read_text(encoding="utf-8")
    for category, entry in load_categories().items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{category}` "))
        assert [f"`{task}`" for task in entry["tasks"]] == row.strip(" |").split(" | ")[1].split(
            ", "
        )
