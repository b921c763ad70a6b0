"""Reading YAML and JSON: hostile input is refused early, and every value keeps its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from maintenance.services.protocols import (
    MAX_PROTOCOL_BYTES,
    load_protocol,
    validate,
    validate_file,
)
from maintenance.services.protocols.loader import LoadFailed, load_document

HERE = Path(__file__).parent
VALID = (HERE / "valid.yaml").read_text(encoding="utf-8")


def only_error(data: bytes | str) -> tuple[int | None, str, str]:
    """The single error a document gives, as (line, path, message)."""
    [error] = validate(data, "upload.yaml")
    return error.line, error.path, error.message


def test_lines_are_recorded_for_every_value() -> None:
    loaded = load_document("a: 1\nb:\n  - x\n  - {c: 2,\n     d: 3}\n")
    assert loaded.value == {"a": 1, "b": ["x", {"c": 2, "d": 3}]}
    assert loaded.lines[("b", 1, "d")] == 5
    assert loaded.line_of(("b", 1, "missing")) == 4


def test_two_megabyte_upload_is_refused_before_parsing() -> None:
    data = b"# padding\n" * (2 * 1024 * 1024 // 10)
    assert only_error(data) == (
        None,
        "",
        "the file is larger than 1,048,576 bytes (1 MiB); a protocol is far smaller",
    )
    assert only_error(data.decode())[2].startswith("the file is larger than 1,048,576 bytes")


def test_two_megabyte_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"x" * (2 * MAX_PROTOCOL_BYTES))
    [error] = validate_file(path)
    assert "larger than 1,048,576 bytes" in error.message


def test_a_protocol_of_exactly_the_limit_loads() -> None:
    data = VALID.encode()
    padded = data + b"#" * (MAX_PROTOCOL_BYTES - len(data) - 1) + b"\n"
    assert len(padded) == MAX_PROTOCOL_BYTES
    assert load_protocol(padded).category == "dishwasher"
    assert "larger than" in only_error(padded + b"\n")[2]


def test_nesting_up_to_twenty_levels_loads_and_deeper_is_refused() -> None:
    base = "format: maintenance-protocol/1\n"
    # The document itself is the first level, so 19 lists bring it to 20.
    assert load_document(base + "x-deep: " + "[" * 19 + "]" * 19 + "\n").value["x-deep"]
    assert only_error(base + "x-deep: " + "[" * 20 + "]" * 20 + "\n") == (
        2,
        "x-deep" + "[0]" * 19,
        "values are nested more than 20 deep",
    )


def test_a_megabyte_of_open_brackets_is_refused_without_recursion() -> None:
    line, _, message = only_error("[" * (MAX_PROTOCOL_BYTES - 1))
    assert (line, message) == (1, "values are nested more than 20 deep")


def test_deep_block_nesting_is_refused_at_the_line_it_gets_too_deep() -> None:
    text = "".join("  " * level + f"k{level}:\n" for level in range(500))
    line, path, message = only_error(text)
    assert (line, message) == (21, "values are nested more than 20 deep")
    assert path == ".".join(f"k{level}" for level in range(20))


def test_anchor_is_refused_at_its_line() -> None:
    text = VALID.replace("difficulty: moderate", "difficulty: &level moderate")
    assert only_error(text) == (
        31,
        "tasks[1].difficulty",
        "YAML anchors and aliases (&name, *name) are not allowed; write each value out",
    )


def test_duplicate_keys_are_all_reported() -> None:
    with pytest.raises(LoadFailed) as raised:
        load_document("a: 1\nb: {c: 1, c: 2}\na: 3\n", "dup.yaml")
    assert [str(error) for error in raised.value.errors] == [
        "dup.yaml:2: b.c: the key 'c' appears twice in this mapping (first on line 2)",
        "dup.yaml:3: a: the key 'a' appears twice in this mapping (first on line 1)",
    ]


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("a: !!binary aGVsbG8=\n", "!!binary"),
        ("a: !!timestamp 2024-01-01\n", "!!timestamp"),
        ("a: !custom x\n", "!custom"),
        ("a: !!set {x, y}\n", "!!set"),
    ],
)
def test_tags_other_than_the_plain_ones_are_refused(text: str, tag: str) -> None:
    line, path, message = only_error(text)
    assert (line, path) == (1, "a")
    assert message.startswith(f"the YAML tag {tag} is not allowed")


def test_plain_tags_are_accepted() -> None:
    assert load_document("a: !!str 0123\nb: !!int 7\nc: !!map {d: !!null ~}\n").value == {
        "a": "0123",
        "b": 7,
        "c": {"d": None},
    }
    assert only_error("a: !!int seven\n") == (1, "a", "'seven' does not match its tag !!int")


def test_yes_no_and_dates_stay_text() -> None:
    loaded = load_document("no: Vedlikehold\nanswer: yes\nswitch: off\nsince: 2024-01-01\nn: 007\n")
    assert loaded.value == {
        "no": "Vedlikehold",
        "answer": "yes",
        "switch": "off",
        "since": "2024-01-01",
        "n": 7,
    }


def test_latin1_file_is_refused_with_its_line() -> None:
    data = VALID.replace("Afwasmiddel", "Vaatwasmiddel café").encode("latin-1")
    assert only_error(data) == (
        20,
        "",
        "the file is not UTF-8 text (byte 0xE9 on this line); save it as UTF-8",
    )


def test_utf16_file_is_refused() -> None:
    assert only_error(VALID.encode("utf-16")) == (
        1,
        "",
        "the file is UTF-16 text; save it as UTF-8",
    )


def test_utf8_with_byte_order_mark_loads() -> None:
    assert load_protocol(b"\xef\xbb\xbf" + VALID.encode()).category == "dishwasher"


def test_control_character_is_refused_with_its_line() -> None:
    text = VALID.replace("Spoel het schoon.", "Spoel het\x07 schoon.")
    assert only_error(text) == (26, "", "the file holds a control character (U+0007)")


def test_tab_indented_json_loads() -> None:
    json_text = (HERE / "valid.json").read_text(encoding="utf-8").replace("  ", "\t")
    assert "\t" in json_text
    assert load_protocol(json_text, "valid.json").category == "dishwasher"


def test_json_escapes_beyond_the_basic_plane_load() -> None:
    json_text = (HERE / "valid.json").read_text(encoding="utf-8")
    json_text = json_text.replace('"Afwasmiddel"', '"Afwasmiddel \\ud83e\\uddfd \\u00e9"')
    document = load_protocol(json_text, "valid.json")
    assert document.tasks[0].supplies[0]["nl"] == "Afwasmiddel \U0001f9fd é"


def test_empty_upload_is_refused() -> None:
    assert only_error(b"  \n") == (None, "", "the file is empty")


def test_mapping_as_key_is_refused() -> None:
    assert only_error("? [a, b]\n: c\n") == (
        1,
        "",
        "a key must be plain text, not a list or mapping",
    )


def test_errors_point_at_the_line_of_a_json_value() -> None:
    json_text = (HERE / "valid.json").read_text(encoding="utf-8")
    json_text = json_text.replace('"every": "P1M"', '"every": "monthly"')
    line, path, message = only_error(json_text)
    assert json_text.splitlines()[line - 1].strip() == '"every": "monthly",'
    assert (path, message) == (
        "tasks[0].every",
        "'monthly' is not an ISO 8601 duration (examples: P1M, P2W, PT10M)",
    )
