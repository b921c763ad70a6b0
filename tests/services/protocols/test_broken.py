"""Every broken protocol is refused with the exact path, the right line and a readable message."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from maintenance.services.protocols import (
    ProtocolInvalid,
    load_protocol,
    loader,
    validate,
    validate_file,
)

BROKEN = Path(__file__).parent / "broken"

# (fixture, [(line, path, words the message must contain), ...]) in the order they are reported.
CASES: list[tuple[str, list[tuple[int | None, str, str]]]] = [
    ("syntax-unclosed.yaml", [(4, "", "not valid YAML or JSON: did not find expected ',' or '}'")]),
    ("tab-indent.yaml", [(4, "", "a tab is used for indentation; YAML needs spaces")]),
    ("title-not-text-map.yaml", [(3, "title", "must be a text per language, e.g. {nl: ..., en")]),
    ("tasks-not-list.yaml", [(4, "tasks", "must be a list (items starting with '- ')")]),
    ("unknown-category.yaml", [(2, "category", "not a known category; did you mean 'dishwasher'")]),
    (
        "unknown-task-field.yaml",
        [
            (5, "tasks[0]", "needs 'every' (an interval such as P3M) or 'rrule'"),
            (8, "tasks[0].interval", "unknown field 'interval'; did you mean 'every'?"),
        ],
    ),
    ("unknown-top-field.yaml", [(3, "version", "unknown field 'version'; the fields here are")]),
    ("bad-every.yaml", [(15, "tasks[1].every", "'P3X' is not an ISO 8601 duration")]),
    ("bad-first-due.yaml", [(9, "tasks[0].first_due", "'1 month' is not an ISO 8601 duration")]),
    ("duration-too-long.yaml", [(9, "tasks[0].duration", "'P1M' is longer than a day")]),
    ("every-too-short.yaml", [(8, "tasks[0].every", "'PT1H' is shorter than a day")]),
    ("every-and-rrule.yaml", [(9, "tasks[0].rrule", "either 'every' (an interval) or 'rrule'")]),
    ("neither-every-nor-rrule.yaml", [(5, "tasks[0]", "needs 'every'")]),
    (
        "rrule-bad-freq.yaml",
        [(8, "tasks[0].rrule", "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")],
    ),
    ("rrule-impossible.yaml", [(8, "tasks[0].rrule", "never falls on a real date")]),
    ("rrule-ends.yaml", [(8, "tasks[0].rrule", "must repeat without end: leave out COUNT")]),
    ("rrule-garbled.yaml", [(8, "tasks[0].rrule", "not a valid recurrence rule (invalid 'BYDAY'")]),
    ("missing-en.yaml", [(12, "tasks[0].steps[1]", "the 'en' text is missing")]),
    ("missing-nl-and-en.yaml", [(3, "title", "the 'nl' and 'en' texts are missing")]),
    ("empty-steps.yaml", [(10, "tasks[0].steps", "needs at least one step")]),
    (
        "duplicate-task-ids.yaml",
        [(12, "tasks[1].id", "'clean-filter' is already used by tasks[0]")],
    ),
    ("non-uniform-task-id.yaml", [(5, "tasks[0].id", "(did you mean 'clean-filter'?)")]),
    ("task-id-not-kebab.yaml", [(5, "tasks[0].id", "'Clean_Filter' is not a valid task id")]),
    (
        "gtin-check-digit.yaml",
        [(7, "applies_to.models[1].gtin", "wrong check digit: the last digit should be 6")],
    ),
    ("gtin-unquoted.yaml", [(6, "applies_to.models[0].gtin", "must be text in quotes")]),
    (
        "gtin-wrong-length.yaml",
        [
            (
                6,
                "applies_to.models[0].gtin",
                "'871234567' is not a GTIN: it must be 8, 12, 13 or 14",
            ),
            (8, "applies_to.models[2].gtin", "GTIN 8712345678906 is already listed at models[1]"),
        ],
    ),
    ("billion-laughs.yaml", [(1, "a", "YAML anchors and aliases (&name, *name) are not allowed")]),
    ("alias.yaml", [(17, "tasks[1].steps", "anchors and aliases")]),
    ("deep-nesting.yaml", [(4, "x-deep" + "[0]" * 19, "nested more than 20 deep")]),
    (
        "duplicate-keys.yaml",
        [(10, "tasks[0].every", "'every' appears twice in this mapping (first on line 8)")],
    ),
    ("python-tag.yaml", [(2, "category", "the YAML tag !!python/object/apply:os.system")]),
    ("json-unknown-difficulty.json", [(11, "tasks[0].difficulty", "use one of: easy, moderate")]),
    ("json-syntax.json", [(4, "", "not valid YAML or JSON: did not find expected ','")]),
    (
        "other-format-version.yaml",
        [(1, "format", "reads maintenance-protocol/1, not 'maintenance")],
    ),
    ("missing-format.yaml", [(2, "", "the required field 'format' is missing")]),
    (
        "bad-difficulty-and-missing-why.yaml",
        [
            (5, "tasks[0]", "the required field 'why' is missing"),
            (8, "tasks[0].difficulty", "'hard' is not allowed here"),
        ],
    ),
    (
        "language-code.yaml",
        [
            (3, "title.NL", "'NL' is not a language code; use two lower-case letters"),
            (3, "title", "the 'nl' text is missing"),
        ],
    ),
    (
        "empty-texts.yaml",
        [
            (8, "tasks[0].why.nl", "is empty"),
            (9, "tasks[0].why.en", "is empty"),
            (13, "tasks[0].steps[0]", "is empty; give the text per language"),
        ],
    ),
    (
        "number-as-text.yaml",
        [
            (3, "title.nl", "must be text, not the number 600; put it in quotes"),
            (3, "title.en", "must be text, not the number 600; put it in quotes"),
        ],
    ),
    ("two-documents.yaml", [(3, "", "more than one YAML document")]),
    ("only-comments.yaml", [(None, "", "holds no protocol, only comments")]),
    ("top-level-list.yaml", [(1, "", "must be a mapping of fields (name: value), not a list")]),
    ("applies-to-without-models.yaml", [(3, "applies_to", "the required field 'models'")]),
    ("not-utf8.yaml", [(3, "", "not UTF-8 text (byte 0xE9 on this line); save it as UTF-8")]),
]


def test_every_fixture_has_a_case() -> None:
    assert sorted(path.name for path in BROKEN.iterdir()) == sorted(name for name, _ in CASES)


@pytest.mark.parametrize(("fixture", "expected"), CASES, ids=[name for name, _ in CASES])
def test_broken_protocol_is_refused_with_located_errors(
    fixture: str, expected: list[tuple[int | None, str, str]]
) -> None:
    path = BROKEN / fixture
    errors = validate_file(path)
    assert [(error.line, error.path) for error in errors] == [(line, p) for line, p, _ in expected]
    for error, (_, _, words) in zip(errors, expected, strict=True):
        assert words in error.message
        assert error.file == str(path)


@pytest.mark.parametrize(("fixture", "expected"), CASES, ids=[name for name, _ in CASES])
def test_load_protocol_raises_the_same_errors(
    fixture: str, expected: list[tuple[int | None, str, str]]
) -> None:
    with pytest.raises(ProtocolInvalid) as raised:
        load_protocol((BROKEN / fixture).read_bytes(), fixture)
    assert [(e.line, e.path) for e in raised.value.errors] == [(ln, p) for ln, p, _ in expected]


def test_error_line_reads_file_line_path_message() -> None:
    [error] = validate_file(BROKEN / "bad-every.yaml")
    assert str(error) == (
        f"{BROKEN / 'bad-every.yaml'}:15: tasks[1].every: "
        "'P3X' is not an ISO 8601 duration (examples: P1M, P2W, PT10M)"
    )
    assert error.as_dict() == {
        "path": "tasks[1].every",
        "line": 15,
        "message": "'P3X' is not an ISO 8601 duration (examples: P1M, P2W, PT10M)",
    }


def test_error_without_path_or_line_leaves_them_out() -> None:
    [error] = validate_file(BROKEN / "only-comments.yaml")
    assert (
        str(error) == f"{BROKEN / 'only-comments.yaml'}: the file holds no protocol, only comments"
    )


def test_non_uniform_task_id_lists_the_uniform_ids() -> None:
    [error] = validate_file(BROKEN / "non-uniform-task-id.yaml")
    assert "clean-filter, clean-spray-arms, clean-door-seal" in error.message
    assert "such as x-clean-filters" in error.message


def test_all_errors_are_reported_sorted_by_line() -> None:
    text = """\
format: maintenance-protocol/1
category: dish-washer
title: {nl: Onderhoud, en: Maintenance}
tasks:
  - id: clean-filter
    title: {nl: Filter reinigen, en: Clean the filter}
    why: {nl: Schone vaat., en: Clean dishes.}
    every: P1Q
    difficulty: easy
    steps:
      - {nl: Spoel het filter.}
  - id: clean-spray-arms
    colour: blue
    title: {nl: Sproeiarmen reinigen, en: Clean the spray arms}
    why: {nl: Overal schoon., en: Clean everywhere.}
    every: P3M
"""
    with pytest.raises(ProtocolInvalid) as raised:
        load_protocol(text, "washer.yaml")
    assert [(e.line, e.path) for e in raised.value.errors] == [
        (2, "category"),
        (8, "tasks[0].every"),
        (11, "tasks[0].steps[0]"),
        (12, "tasks[1]"),
        (12, "tasks[1]"),
        (13, "tasks[1].colour"),
    ]
    assert str(raised.value).splitlines()[0] == (
        "washer.yaml:2: category: 'dish-washer' is not a known category; did you mean 'dishwasher'?"
    )


def test_missing_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    [error] = validate_file(tmp_path / "nowhere.yaml")
    assert error.line is None
    assert "cannot read the file" in error.message


@pytest.mark.parametrize(("fixture", "expected"), CASES, ids=[name for name, _ in CASES])
def test_pure_python_parser_finds_the_same_lines_and_paths(
    fixture: str, expected: list[tuple[int | None, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where PyYAML is built without libyaml the loader falls back to its pure-Python parser;
    # only the wording of raw syntax errors differs between the two.
    monkeypatch.setattr(loader, "_PARSER", yaml.SafeLoader)
    errors = validate_file(BROKEN / fixture)
    assert [(error.line, error.path) for error in errors] == [(ln, p) for ln, p, _ in expected]


def test_a_flood_of_errors_is_cut_short_with_a_note() -> None:
    text = "format: maintenance-protocol/1\n" + "".join(f"k{i}: v\n" for i in range(300))
    errors = validate(text, "flood.yaml")
    assert len(errors) == 201
    assert [e.line for e in errors[:-1]] == sorted(e.line or 0 for e in errors[:-1])
    assert (
        str(errors[-1]) == "flood.yaml: there are more errors; only the first 200 found are listed"
    )
