"""A valid protocol becomes a typed, read-only document with a content hash."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from maintenance.services.protocols import ProtocolInvalid, load_protocol, validate

HERE = Path(__file__).parent
VALID_YAML = (HERE / "valid.yaml").read_text(encoding="utf-8")
VALID_JSON = (HERE / "valid.json").read_text(encoding="utf-8")


def test_yaml_protocol_loads_into_typed_values() -> None:
    document = load_protocol(VALID_YAML, "valid.yaml")
    assert document.category == "dishwasher"
    assert document.title["en"] == "Dishwasher maintenance"
    assert document.applies_to is not None
    assert document.applies_to.manufacturer == "Example Appliances"
    assert [(m.gtin, m.gtin14) for m in document.applies_to.models] == [
        ("08712345678906", "08712345678906"),
        ("87123456", "00000087123456"),
    ]
    first, second = document.tasks
    assert (first.id, first.every, first.rrule, first.first_due) == (
        "clean-filter",
        "P1M",
        None,
        "P2W",
    )
    assert (first.duration, first.difficulty) == ("PT10M", "easy")
    assert first.supplies[0]["nl"] == "Afwasmiddel"
    assert first.tools[0]["en"] == "Soft brush"
    assert first.safety is not None and first.safety["en"] == "Switch the machine off."
    assert [step["en"] for step in first.steps] == ["Take out the filter.", "Rinse it clean."]
    assert (second.id, second.every, second.rrule) == (
        "x-check-softener",
        None,
        "FREQ=YEARLY;BYMONTH=4",
    )
    assert (second.supplies, second.tools, second.safety, second.duration) == ((), (), None, None)
    assert document.task("x-check-softener") is second
    assert document.raw["x-internal-ref"] == "DW-600-care-2024"


def test_the_same_protocol_as_json_gives_the_same_document() -> None:
    from_yaml = load_protocol(VALID_YAML, "valid.yaml")
    from_json = load_protocol(VALID_JSON.encode(), "valid.json")
    assert from_json == from_yaml
    assert from_json.content_hash == from_yaml.content_hash


def test_content_hash_ignores_layout_but_not_content() -> None:
    original = load_protocol(VALID_YAML).content_hash
    compact = json.dumps(json.loads(VALID_JSON), separators=(",", ":"), sort_keys=True)
    assert load_protocol(compact).content_hash == original
    assert (
        load_protocol(VALID_YAML.replace("# A model", "# Another model")).content_hash == original
    )
    changed = VALID_YAML.replace("Rinse it clean.", "Rinse it well.")
    assert load_protocol(changed).content_hash != original
    assert len(original) == 64


def test_document_cannot_be_changed_by_accident() -> None:
    document = load_protocol(VALID_YAML)
    with pytest.raises(dataclasses.FrozenInstanceError):
        document.category = "oven"  # type: ignore[misc]
    with pytest.raises(TypeError):
        document.tasks[0].title["en"] = "Something else"  # type: ignore[index]


def test_category_default_has_no_applies_to() -> None:
    text = VALID_YAML.split("applies_to:")[0] + "title:" + VALID_YAML.split("\ntitle:")[1]
    assert load_protocol(text).applies_to is None


def test_required_languages_are_a_parameter() -> None:
    english_only = """\
format: maintenance-protocol/1
category: kettle
title: {en: Kettle care}
tasks:
  - id: descale
    title: {en: Descale}
    why: {en: Limescale makes boiling slow.}
    every: P3M
    difficulty: easy
    steps: [{en: Boil water with vinegar.}]
"""
    assert load_protocol(english_only, languages=("en",)).title["en"] == "Kettle care"
    assert load_protocol(english_only, languages=()).tasks[0].id == "descale"
    with pytest.raises(ProtocolInvalid) as raised:
        load_protocol(english_only, "kettle.yaml")
    assert [(e.line, e.path) for e in raised.value.errors] == [
        (3, "title"),
        (6, "tasks[0].title"),
        (7, "tasks[0].why"),
        (10, "tasks[0].steps[0]"),
    ]
    assert raised.value.errors[0].message == "the 'nl' text is missing (every text needs nl and en)"


def test_extensions_are_allowed_at_every_level_and_kept() -> None:
    text = VALID_YAML.replace(
        "  manufacturer: Example Appliances",
        "  manufacturer: Example Appliances\n  x-brand-code: EA",
    ).replace("difficulty: easy", "difficulty: easy\n    x-video: https://example.org/filter")
    text = text.replace('name: "DW 600"}', 'name: "DW 600", x-colour: white}')
    text = '$schema: "https://example.org/protocol-v1.json"\n' + text
    document = load_protocol(text)
    assert document.raw["applies_to"]["x-brand-code"] == "EA"
    assert document.raw["applies_to"]["models"][0]["x-colour"] == "white"
    assert document.raw["tasks"][0]["x-video"] == "https://example.org/filter"


def test_trailing_newline_in_an_id_is_not_accepted() -> None:
    text = VALID_YAML.replace("  - id: clean-filter\n", '  - id: "clean-filter\\n"\n')
    [error] = validate(text)
    assert (error.line, error.path) == (12, "tasks[0].id")
    assert "is not a valid task id" in error.message


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("RRULE:FREQ=YEARLY", "write only the rule itself"),
        ("FREQ=HOURLY", "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY"),
        ("FREQ=DAILY;BYHOUR=8", "the owner chooses the time of day"),
        ("FREQ=YEARLY;INTERVAL=0", "INTERVAL must be a whole number from 1 to 100"),
        ("FREQ=WEEKLY;UNTIL=20300101", "must repeat without end"),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "never falls on a real date"),
        ("FREQ=YEARLY;BYEASTER=0", "'BYEASTER' is not allowed in a rule"),
        ("FREQ=YEARLY;BYMONTH", "'BYMONTH' in 'FREQ=YEARLY;BYMONTH' is not NAME=VALUE"),
        ("FREQ=YEARLY;BYDAY=+99MO", "'FREQ=YEARLY;BYDAY=+99MO' is not a valid recurrence rule"),
    ],
)
def test_unusable_recurrence_rules_are_explained(rule: str, words: str) -> None:
    text = VALID_YAML.replace("FREQ=YEARLY;BYMONTH=4", rule)
    [error] = validate(text)
    assert (error.line, error.path) == (30, "tasks[1].rrule")
    assert words in error.message


@pytest.mark.parametrize(
    "rule",
    ["FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=MONTHLY;BYDAY=-1SA", "FREQ=WEEKLY;INTERVAL=2"],
)
def test_rare_but_real_recurrence_rules_are_accepted(rule: str) -> None:
    assert validate(VALID_YAML.replace("FREQ=YEARLY;BYMONTH=4", rule)) == []


@pytest.mark.parametrize(
    ("old", "new", "line", "path"),
    [
        ("every: P1M", "every: P1DT12H", 15, "tasks[0].every"),
        ("first_due: P2W", "first_due: PT36H", 16, "tasks[0].first_due"),
    ],
)
def test_due_dates_count_whole_days(old: str, new: str, line: int, path: str) -> None:
    [error] = validate(VALID_YAML.replace(old, new))
    assert (error.line, error.path) == (line, path)
    assert "has hours or minutes; due dates count whole days" in error.message
