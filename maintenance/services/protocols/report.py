"""The error list a validation pass fills in: each error located by file, line and path."""

from __future__ import annotations

from collections.abc import Sequence

from maintenance.services.protocols.errors import Path, ProtocolError, render_path, sort_errors
from maintenance.services.protocols.loader import Loaded

# A hostile or badly broken upload can hold 100,000 errors; listing them helps nobody.
MAX_ERRORS = 200

# The schema's pattern of task and symptom ids, shared by its messages and the rules.
ID_PATTERN = "^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"


class Report:
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
        """Record one error at the line of `path` (or of the nearest value that encloses it)."""
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


def join_words(words: Sequence[str], conjunction: str = "and") -> str:
    """Join words as a sentence does: "a, b and c"."""
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {conjunction} {words[-1]}"
