"""The uniform protocol format: read YAML or JSON, validate it, and return a typed document.

Every error names the file, line and path (`washer.yaml:14: tasks[2].every: 'P3X' is not an ISO
8601 duration`), and all errors are reported at once, sorted by line.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike

from maintenance.services.protocols.document import (
    AppliesTo,
    ModelRef,
    ProtocolDocument,
    ServiceContact,
    Symptom,
    TaskSpec,
    Text,
    build_document,
    canonical_json,
)
from maintenance.services.protocols.errors import ProtocolError, ProtocolInvalid
from maintenance.services.protocols.loader import MAX_PROTOCOL_BYTES, LoadFailed, load_document
from maintenance.services.protocols.texts import tidy
from maintenance.services.protocols.validate import DEFAULT_LANGUAGES, check_document
from maintenance.services.protocols.vocabulary import (
    FORMAT,
    LIBRARY_DIR,
    SCHEMA_PATH,
    load_categories,
    load_schema,
    uniform_task_ids,
)

__all__ = [
    "DEFAULT_LANGUAGES",
    "FORMAT",
    "LIBRARY_DIR",
    "MAX_PROTOCOL_BYTES",
    "SCHEMA_PATH",
    "AppliesTo",
    "ModelRef",
    "ProtocolDocument",
    "ProtocolError",
    "ProtocolInvalid",
    "ServiceContact",
    "Symptom",
    "TaskSpec",
    "Text",
    "canonical_json",
    "load_categories",
    "load_protocol",
    "load_schema",
    "uniform_task_ids",
    "validate",
    "validate_file",
]


def load_protocol(
    data: bytes | str, filename: str = "<upload>", languages: Sequence[str] = DEFAULT_LANGUAGES
) -> ProtocolDocument:
    """Read and validate a protocol; raise ProtocolInvalid listing every error."""
    try:
        loaded = load_document(data, filename)
    except LoadFailed as failed:
        raise ProtocolInvalid(failed.errors) from None
    errors = check_document(loaded, filename, languages)
    if errors:
        raise ProtocolInvalid(errors)
    # What is stored and hashed is the tidied text: no stray whitespace, titles on one line.
    tidy(loaded)
    return build_document(loaded.value, filename, loaded.lines)


def validate(
    data: bytes | str, filename: str = "<upload>", languages: Sequence[str] = DEFAULT_LANGUAGES
) -> list[ProtocolError]:
    """All errors in a protocol, sorted by line; an empty list means it is valid."""
    try:
        load_protocol(data, filename, languages)
    except ProtocolInvalid as invalid:
        return invalid.errors
    return []


def validate_file(
    path: str | PathLike[str], languages: Sequence[str] = DEFAULT_LANGUAGES
) -> list[ProtocolError]:
    """All errors in a protocol file, named by the path as given."""
    name = str(path)
    try:
        with open(path, "rb") as file:
            # One byte more than allowed is enough to know the file is too large.
            data = file.read(MAX_PROTOCOL_BYTES + 1)
    except OSError as exc:
        return [ProtocolError(name, None, "", f"cannot read the file: {exc.strerror or exc}")]
    return validate(data, name, languages)
