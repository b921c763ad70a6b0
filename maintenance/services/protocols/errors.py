"""Validation errors that name the file, line and path of every problem in plain words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# A path into the document: mapping keys and list indexes, e.g. ("tasks", 2, "every").
Path = tuple[str | int, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_$-]+$")


def render_path(path: Iterable[str | int]) -> str:
    """Render a path as `tasks[2].every`; list indexes count from 0."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:
            # Keys with dots or spaces are quoted so the path stays unambiguous.
            quoted = part.replace("\\", "\\\\").replace('"', '\\"')
            text += f'["{quoted}"]'
    return text


@dataclass(frozen=True)
class ProtocolError:
    """One problem in a protocol file: where it is and what is wrong."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"

    def as_dict(self) -> dict[str, str | int | None]:
        """The error as the API reports it: {"path", "line", "message"}."""
        return {"path": self.path, "line": self.line, "message": self.message}


class ProtocolInvalid(ValueError):
    """Raised when a protocol has errors; `errors` holds all of them, sorted by line."""

    def __init__(self, errors: list[ProtocolError]) -> None:
        self.errors = sort_errors(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


def sort_errors(errors: Iterable[ProtocolError]) -> list[ProtocolError]:
    """Sort errors by line (errors about the whole file last) and drop exact repeats."""
    unique = dict.fromkeys(errors)
    return sorted(unique, key=lambda e: (e.line is None, e.line or 0))
