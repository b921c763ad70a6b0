"""Validate a parsed protocol: the JSON Schema first, then the rules a schema cannot express.

The schema's errors are put in plain words by schema_errors.py; the rules beyond it are in
rules.py (tasks, models, texts) and troubleshooting.py (the optional troubleshooting section).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

from maintenance.services.protocols.errors import ProtocolError
from maintenance.services.protocols.links import link_problems
from maintenance.services.protocols.loader import Loaded
from maintenance.services.protocols.report import Report
from maintenance.services.protocols.rules import check_rules
from maintenance.services.protocols.schema_errors import translate
from maintenance.services.protocols.troubleshooting import check_troubleshooting
from maintenance.services.protocols.vocabulary import FORMAT, load_schema

DEFAULT_LANGUAGES = ("nl", "en")


def _pattern(
    validator: Draft202012Validator, pattern: str, instance: Any, schema: dict[str, Any]
) -> Any:
    """The `pattern` keyword with JSON Schema's meaning of `$`: the very end of the text."""
    if not isinstance(instance, str):
        return
    # Python's `$` also matches before a final newline, which would let "clean-filter\n" pass.
    anchored = (
        pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern
    )
    if not re.search(anchored, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _validator() -> Draft202012Validator:
    strict = validators.extend(Draft202012Validator, {"pattern": _pattern})
    return strict(load_schema())


def check_document(
    loaded: Loaded, filename: str, languages: Sequence[str] = DEFAULT_LANGUAGES
) -> list[ProtocolError]:
    """All errors in a parsed protocol, sorted by line; an empty list means it is valid."""
    report = Report(filename, loaded)
    document = loaded.value
    if document is None:
        report.add((), "the file holds no protocol, only comments")
        return report.errors
    if isinstance(document, dict) and _other_format(document.get("format")):
        report.add(("format",), f"this service reads {FORMAT}, not {document['format']!r}")
        return report.errors
    for error in _validator().iter_errors(document):
        if report.full:
            break
        translate(error, report)
    if isinstance(document, dict):
        check_rules(document, report, languages)
        check_troubleshooting(document, report, languages)
    for path, message in link_problems(document):
        report.add(path, message)
    return report.sorted()


def _other_format(value: Any) -> bool:
    """Whether a document declares another version of the format (its other errors are noise)."""
    return isinstance(value, str) and value.startswith("maintenance-protocol/") and value != FORMAT
