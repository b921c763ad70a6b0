"""docs/architecture.md and the README's "Where things live" match the tree they describe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
README = ROOT / "README.md"

# A path in backquotes that starts at a top-level folder of the repository.
FOLDERS = "maintenance|templates|static|protocols|migrations|bench|tests|docs"
PATH = re.compile(rf"`((?:{FOLDERS})/[^`\s]*)`")


def _paths(text: str) -> set[str]:
    return set(PATH.findall(text))


def _packages() -> set[str]:
    """Every Python package under maintenance/, as `maintenance/<path>/`."""
    return {
        f"{init.parent.relative_to(ROOT).as_posix()}/"
        for init in (ROOT / "maintenance").rglob("__init__.py")
        if "_data" not in init.parts
    }


def test_every_package_has_a_line_in_the_architecture_map() -> None:
    table = ARCHITECTURE.read_text().split("## Data flow")[0]
    listed = {path for path in _paths(table) if path.endswith("/")}
    missing = sorted(_packages() - listed)
    assert missing == [], f"add these packages to docs/architecture.md: {missing}"


@pytest.mark.parametrize("document", [ARCHITECTURE, README], ids=lambda p: p.name)
def test_every_path_the_docs_name_exists(document: Path) -> None:
    named = _paths(document.read_text())
    assert named, f"{document.name} names no paths; the pattern no longer matches its style"
    gone = sorted(path for path in named if not (ROOT / path.rstrip("/")).exists())
    assert gone == [], f"{document.name} names paths that do not exist: {gone}"


def test_the_walkthrough_answers_each_question_with_a_path() -> None:
    walkthrough = ARCHITECTURE.read_text().split("## Where do I find")[1]
    rows = [line for line in walkthrough.splitlines() if line.startswith("| ") and "?" in line]
    asked = {row.split("|")[1].strip() for row in rows}
    for question in (
        "Where is the reminder email rendered?",
        "Where is a due date computed?",
        "Where is a label drawn?",
        "Who commits?",
    ):
        assert question in asked
    for row in rows:
        assert _paths(row), f"no path answers: {row}"
