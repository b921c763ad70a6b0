"""The texts of a protocol: which are one line, which characters they may hold, how they are tidied.

One-line texts (titles, supplies, tools, the manufacturer and model names) end up in email
subjects, SMS and lists; long texts (why, safety, steps, and a symptom's checks and when to call
a professional) are paragraphs and keep their line breaks. A one-line text written as a YAML
block (`nl: >`) is ordinary YAML: its surrounding whitespace is stripped and its line breaks are
folded into spaces when it is loaded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from maintenance.services.protocols.errors import Path
from maintenance.services.protocols.loader import Loaded

# Fields by kind of text (a text per language, or a list of them): a task's, then a symptom's
# (an entry of the troubleshooting section).
_TASK_FIELDS = (("title",), ("why", "safety"), ("supplies", "tools"), ("steps",))
_SYMPTOM_FIELDS = (("title",), ("safety", "call_professional"), (), ("checks",))

# Never allowed: C0 controls but tab and line feed, DEL and the C1 controls, the line and
# paragraph separators, and the bidi embeddings, overrides and isolates that make text display
# in another order than it reads (the "Trojan Source" characters). Tab, LF and CR are judged
# by the kind of text below.
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# A line break with the spaces around it, folded into one space in a one-line text.
_BREAK = re.compile(r"[ \t]*\r?\n[ \t]*")


def text_values(document: Any) -> Iterator[tuple[Path, str, bool]]:
    """Every text value in a parsed document as (path, text, long); ill-typed ones are skipped."""
    if not isinstance(document, dict):
        return
    yield from _per_language(("title",), document.get("title"), long=False)
    applies_to = document.get("applies_to")
    if isinstance(applies_to, dict):
        if isinstance(applies_to.get("manufacturer"), str):
            yield ("applies_to", "manufacturer"), applies_to["manufacturer"], False
        models = applies_to.get("models")
        for index, model in enumerate(models if isinstance(models, list) else ()):
            if isinstance(model, dict) and isinstance(model.get("name"), str):
                yield ("applies_to", "models", index, "name"), model["name"], False
    for section, fields in (("tasks", _TASK_FIELDS), ("troubleshooting", _SYMPTOM_FIELDS)):
        entries = document.get(section)
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            if isinstance(entry, dict):
                yield from _entry_texts((section, index), entry, fields)


def _entry_texts(
    path: Path, entry: dict[str, Any], fields: tuple[tuple[str, ...], ...]
) -> Iterator[tuple[Path, str, bool]]:
    """The texts of a task or symptom; `fields`: one-line, long, one-line lists, long lists."""
    one_line, long_texts, one_line_lists, long_lists = fields
    for names, long in ((one_line, False), (long_texts, True)):
        for name in names:
            yield from _per_language((*path, name), entry.get(name), long)
    for names, long in ((one_line_lists, False), (long_lists, True)):
        for name in names:
            items = entry.get(name)
            for index, item in enumerate(items if isinstance(items, list) else ()):
                yield from _per_language((*path, name, index), item, long)


def _per_language(path: Path, text: Any, long: bool) -> Iterator[tuple[Path, str, bool]]:
    if isinstance(text, dict):
        for language, value in text.items():
            if isinstance(value, str):
                yield (*path, language), value, long


def character_problem(text: str, long: bool, block: bool) -> str | None:
    """Why a text holds a character it may not, or None; `block`: written as a YAML block."""
    refused = _REFUSED.search(text)
    if refused:
        return f"holds the control character {_name(refused.group())}, which texts may not hold"
    lone_cr = re.search(r"\r(?!\n)", text)
    if lone_cr:
        return f"holds the control character {_name(chr(13))}; end a line with a line break only"
    if long:
        return None
    if "\t" in text:
        return f"holds the control character {_name(chr(9))}; use a space"
    if "\n" in text and not block:
        return (
            "holds a line break, but this text is a single line (a title or a name); "
            "write it on one line (a YAML block such as `nl: >` is folded into one line)"
        )
    return None


def _name(character: str) -> str:
    code = f"U+{ord(character):04X}"
    name = unicodedata.name(character, "")
    return f"{code} {name}" if name else code


def tidy(loaded: Loaded) -> None:
    """Strip every text's surrounding whitespace and fold the line breaks of one-line texts.

    Call only on a valid document: it changes the parsed values in place, so what is stored
    (and hashed) is the tidied text.
    """
    for path, text, long in list(text_values(loaded.value)):
        tidied = text.strip()
        tidied = tidied.replace("\r\n", "\n") if long else _BREAK.sub(" ", tidied)
        if tidied != text:
            _set(loaded.value, path, tidied)


def _set(document: Any, path: Path, value: str) -> None:
    container = document
    for part in path[:-1]:
        container = container[part]
    container[path[-1]] = value
