"""Read YAML or JSON into plain values plus the line of every value, refusing hostile input."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from maintenance.services.protocols.errors import Path, ProtocolError, render_path

MAX_PROTOCOL_BYTES = 1_048_576
MAX_DEPTH = 20

# libyaml parses about 25 times faster than pure Python and reads tab-indented JSON; fall back
# to the pure-Python parser where PyYAML was built without it.
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + name for name in ("str", "int", "float", "bool", "null")}

# Plain scalars are resolved by the YAML 1.2 core schema, the one JSON agrees with: yes/no/on/off
# and dates stay text (YAML 1.1 would turn a Norwegian `no:` key into False).
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf")}
_SPECIAL_FLOAT.update({k.upper(): v for k, v in _SPECIAL_FLOAT.items()})
_SPECIAL_FLOAT.update({k.replace(".i", ".I"): v for k, v in _SPECIAL_FLOAT.items()})

# In valid JSON a \u escape follows an odd number of backslashes; JSON writers escape characters
# beyond U+FFFF as surrogate pairs, which YAML parsers refuse, so they are joined up front.
_SURROGATE_PAIR = re.compile(
    r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.I
)


@dataclass
class Loaded:
    """A parsed document: its plain value and the line (from 1) of every path in it."""

    value: Any
    lines: dict[Path, int] = field(default_factory=dict)
    # Paths of values written as YAML block scalars (`|` or `>`): their line breaks are layout.
    blocks: set[Path] = field(default_factory=set)

    def line_of(self, path: Path) -> int | None:
        """The line of a path, or of its nearest enclosing value when the path itself is absent."""
        path = tuple(path)
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path)


class LoadFailed(Exception):
    """The input could not be read as a document; `errors` say where and why."""

    def __init__(self, errors: list[ProtocolError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


class _Refused(Exception):
    """Stops parsing at the first hostile or unreadable construct."""

    def __init__(self, line: int | None, path: Path, message: str) -> None:
        self.line, self.path, self.message = line, path, message


def load_document(data: bytes | str, filename: str = "<upload>") -> Loaded:
    """Parse YAML or JSON into plain values with line numbers, or raise LoadFailed."""
    try:
        text = _decode(data)
        return _Builder(filename).build(text)
    except _Refused as refused:
        error = ProtocolError(filename, refused.line, render_path(refused.path), refused.message)
        raise LoadFailed([error]) from None


def _decode(data: bytes | str) -> str:
    """Check the size and encoding before any parsing happens."""
    if isinstance(data, str):
        # A character is at least one byte, so this refuses huge text without encoding it.
        if len(data) > MAX_PROTOCOL_BYTES:
            raise _too_large(len(data))
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _Refused(None, (), "the text holds invalid characters (lone surrogates)") from exc
    if len(data) > MAX_PROTOCOL_BYTES:
        raise _too_large(len(data))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Refused(1, (), "the file is UTF-16 text; save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex().upper()
        raise _Refused(
            line, (), f"the file is not UTF-8 text (byte 0x{byte} on this line); save it as UTF-8"
        ) from None
    if not text.strip():
        raise _Refused(None, (), "the file is empty")
    return _join_json_surrogates(text)


def _too_large(size: int) -> _Refused:
    return _Refused(
        None,
        (),
        f"the file is larger than {MAX_PROTOCOL_BYTES:,} bytes (1 MiB); a protocol is far smaller",
    )


def _join_json_surrogates(text: str) -> str:
    """Replace JSON surrogate-pair escapes by the character they stand for."""
    if "\\u" not in text or not text.lstrip().startswith(("{", "[")):
        return text
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return text  # Not JSON: YAML rules apply and the parser reports what is wrong.

    def join(match: re.Match[str]) -> str:
        high, low = int(match.group(2), 16), int(match.group(3), 16)
        return match.group(1) + chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))

    return _SURROGATE_PAIR.sub(join, text)


class _Frame:
    """An open mapping or list while its events are being read."""

    __slots__ = ("container", "key", "key_line", "path", "skip_value")

    def __init__(self, container: dict[str, Any] | list[Any], path: Path) -> None:
        self.container = container
        self.path = path
        self.key: str | None = None  # The key waiting for its value (mappings only).
        self.key_line = 0
        self.skip_value = False  # The waiting key was a duplicate: read its value, don't keep it.


class _Builder:
    """Builds plain values from the parser's event stream, one event at a time."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.lines: dict[Path, int] = {}
        self.blocks: set[Path] = set()
        self.duplicates: list[ProtocolError] = []
        self.stack: list[_Frame] = []
        self.root: Any = None

    def build(self, text: str) -> Loaded:
        """Read every event; refuse the first hostile one before it can cost time or memory."""
        documents = 0
        try:
            for event in yaml.parse(text, Loader=_PARSER):
                if isinstance(event, yaml.DocumentStartEvent):
                    documents += 1
                    if documents > 1:
                        raise _Refused(
                            _line(event), (), "the file holds more than one YAML document (---)"
                        )
                elif isinstance(event, yaml.NodeEvent | yaml.CollectionEndEvent):
                    self._node_event(event)
        except yaml.MarkedYAMLError as exc:
            raise _syntax_error(exc, text) from None
        except yaml.reader.ReaderError as exc:
            line = text.count("\n", 0, exc.position) + 1
            char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else "a character"
            raise _Refused(line, (), f"the file holds a control character ({char})") from None
        if self.duplicates:
            raise LoadFailed(self.duplicates)
        return Loaded(self.root, self.lines, self.blocks)

    def _node_event(self, event: yaml.NodeEvent | yaml.CollectionEndEvent) -> None:
        line = _line(event)
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused(
                line,
                self._here(),
                "YAML anchors and aliases (&name, *name) are not allowed; write each value out",
            )
        if isinstance(event, yaml.CollectionEndEvent):
            self.stack.pop()
            return
        if isinstance(event, yaml.ScalarEvent):
            path = self._add(event.value, _scalar_value(event, line, self._here()), line)
            if event.style in ("|", ">"):
                self.blocks.add(path)
            return
        # Aliases, scalars and collection ends returned above: this starts a mapping or sequence.
        assert isinstance(event, yaml.CollectionStartEvent)
        kind = "map" if isinstance(event, yaml.MappingStartEvent) else "seq"
        if event.tag not in (None, "!", _TAG + kind):
            raise _Refused(line, self._here(), f"the YAML tag {_short(event.tag)} is not allowed")
        if len(self.stack) >= MAX_DEPTH:
            raise _Refused(line, self._here(), f"values are nested more than {MAX_DEPTH} deep")
        container: dict[str, Any] | list[Any] = {} if kind == "map" else []
        path = self._add(None, container, line)
        self.stack.append(_Frame(container, path))

    def _here(self) -> Path:
        """The path of the value being read now, as far as it is known."""
        if not self.stack:
            return ()
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            return (*frame.path, len(frame.container))
        return frame.path if frame.key is None else (*frame.path, frame.key)

    def _add(self, source: str | None, value: Any, line: int) -> Path:
        """Put a value in the open container (or make it the root); return its path."""
        if not self.stack:
            self.root = value
            self.lines[()] = line
            return ()
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            path = (*frame.path, len(frame.container))
            frame.container.append(value)
            self.lines[path] = line
            return path
        if frame.key is None:
            self._add_key(frame, source, line)
            return frame.path
        path = (*frame.path, frame.key)
        if not frame.skip_value:
            frame.container[frame.key] = value
            self.lines[path] = frame.key_line
        frame.key = None
        return path

    def _add_key(self, frame: _Frame, source: str | None, line: int) -> None:
        if source is None:
            raise _Refused(line, frame.path, "a key must be plain text, not a list or mapping")
        assert isinstance(frame.container, dict)
        path = (*frame.path, source)
        frame.key, frame.key_line = source, line
        frame.skip_value = source in frame.container
        if frame.skip_value:
            first = self.lines[path]
            message = f"the key {source!r} appears twice in this mapping (first on line {first})"
            self.duplicates.append(ProtocolError(self.filename, line, render_path(path), message))


def _line(event: yaml.Event) -> int:
    mark = event.start_mark
    assert mark is not None, "the parser marks every event with its place"
    return mark.line + 1


def _scalar_value(event: yaml.ScalarEvent, line: int, path: Path) -> Any:
    """The value of a scalar: plain ones by the YAML 1.2 core schema, quoted ones as text."""
    tag = event.tag
    if tag is None:
        return _resolve_plain(event.value) if event.implicit[0] else event.value
    if tag in ("!", _TAG + "str"):
        return event.value
    if tag not in _SCALAR_TAGS:
        raise _Refused(
            line, path, f"the YAML tag {_short(tag)} is not allowed; write a plain value"
        )
    value = _resolve_plain(event.value)
    expected: dict[str, type | tuple[type, ...]] = {
        "int": int,
        "float": (int, float),
        "bool": bool,
        "null": type(None),
    }
    wanted = expected[tag.removeprefix(_TAG)]
    if not isinstance(value, wanted) or (tag.endswith("int") and isinstance(value, bool)):
        raise _Refused(line, path, f"{event.value!r} does not match its tag {_short(tag)}")
    # (The isinstance only tells mypy what the check above already made sure of.)
    return float(value) if tag.endswith("float") and isinstance(value, int | float) else value


def _short(tag: str) -> str:
    """Write a tag the way it appears in a file: !!binary rather than tag:yaml.org,2002:binary."""
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


def _resolve_plain(text: str) -> Any:
    """Resolve an unquoted scalar: null, true/false, a number, or else text."""
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if text in _SPECIAL_FLOAT:
        return _SPECIAL_FLOAT[text]
    if text in (".nan", ".NaN", ".NAN"):
        return float("nan")
    try:
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text)
    except ValueError:
        pass  # Python refuses to convert numbers of thousands of digits: keep them as text.
    return text


def _syntax_error(exc: yaml.MarkedYAMLError, text: str) -> _Refused:
    """Turn a parser error into a plain sentence at the line where the parser stopped."""
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return _Refused(None, (), f"this is not valid YAML or JSON: {exc.problem}")
    line_text = text.splitlines()[mark.line] if mark.line < len(text.splitlines()) else ""
    problem = str(exc.problem or "syntax error")
    if "nesting depth" in problem:  # libyaml's own limit, met while it reads ahead.
        return _Refused(mark.line + 1, (), f"values are nested more than {MAX_DEPTH} deep")
    if "cannot start any token" in problem and "\t" in line_text[: mark.column + 1]:
        return _Refused(mark.line + 1, (), "a tab is used for indentation; YAML needs spaces")
    if "\t" in line_text[: mark.column + 1] and not line_text[: mark.column].strip(" \t"):
        return _Refused(mark.line + 1, (), "a tab is used for indentation; YAML needs spaces")
    context = f" ({exc.context})" if exc.context else ""
    if exc.context and exc.context_mark and exc.context_mark.line != mark.line:
        context = f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
    return _Refused(mark.line + 1, (), f"this is not valid YAML or JSON: {problem}{context}")
