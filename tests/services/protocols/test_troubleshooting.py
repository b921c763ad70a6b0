"""The optional troubleshooting section and service contact: typed, located errors, schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from maintenance.services.protocols import LIBRARY_DIR, load_protocol, load_schema, validate
from maintenance.services.protocols.schema_errors import PHONE_PATTERN, URL_PATTERN

HERE = Path(__file__).parent
VALID_YAML = (HERE / "valid.yaml").read_text(encoding="utf-8")

# A small valid protocol; each case below adds a troubleshooting section (from line 11 on).
BASE = """\
format: maintenance-protocol/1
category: dishwasher
title: {nl: Onderhoud, en: Maintenance}
tasks:
  - id: clean-filter
    title: {nl: Filter reinigen, en: Clean the filter}
    why: {nl: Schone vaat., en: Clean dishes.}
    every: P1M
    difficulty: easy
    steps: [{nl: Spoel het filter., en: Rinse the filter.}]
"""

SYMPTOM = """\
  - id: {id}
    title: {{nl: Pompt niet af, en: Does not drain}}
    checks:
      - {{nl: Reinig het filter., en: Clean the filter.}}
    tasks: [clean-filter]
    call_professional: {{nl: Bel een monteur., en: Call a technician.}}
"""


def with_section(section: str) -> str:
    return BASE + section


def test_a_protocol_with_troubleshooting_loads_into_typed_symptoms() -> None:
    document = load_protocol(VALID_YAML, "valid.yaml")
    [symptom] = document.troubleshooting
    assert symptom.id == "not-cleaning"
    assert symptom.title["en"] == "Dishes do not come out clean"
    assert symptom.safety is not None and symptom.safety["nl"] == "Zet de machine uit."
    assert [check["en"] for check in symptom.checks] == ["Clean the filter.", "Check the softener."]
    assert symptom.tasks == ("x-check-softener",)
    assert symptom.call_professional["en"] == "Water not hot? Call a technician."
    assert document.symptom("not-cleaning") is symptom and document.symptom("other") is None
    assert document.service is not None
    assert (document.service.url, document.service.phone) == (
        "https://example.com/service",
        "+31 20 123 4567",
    )


def test_the_section_is_optional_and_its_absence_changes_nothing() -> None:
    document = load_protocol(BASE, "base.yaml")
    assert document.troubleshooting == () and document.service is None
    assert "troubleshooting" not in document.raw


def test_a_symptom_without_related_tasks_or_safety_is_valid() -> None:
    text = with_section(
        "troubleshooting:\n"
        "  - id: noisy\n"
        "    title: {nl: Maakt lawaai, en: Noisy}\n"
        "    checks: [{nl: Zet hem waterpas., en: Level it.}]\n"
        "    call_professional: {nl: Bel een monteur., en: Call a technician.}\n"
    )
    [symptom] = load_protocol(text).troubleshooting
    assert (symptom.tasks, symptom.safety) == ((), None)


def test_checks_keep_their_line_breaks_and_titles_are_folded() -> None:
    text = with_section(
        "troubleshooting:\n"
        "  - id: noisy\n"
        "    title:\n"
        "      nl: >\n"
        "        Maakt\n"
        "        lawaai\n"
        "      en: Noisy\n"
        "    checks:\n"
        "      - nl: |\n"
        "          Zet hem waterpas.\n"
        "          Draai de poten vast.\n"
        "        en: Level it.\n"
        "    call_professional: {nl: Bel een monteur., en: Call a technician.}\n"
    )
    [symptom] = load_protocol(text).troubleshooting
    assert symptom.title["nl"] == "Maakt lawaai"
    assert symptom.checks[0]["nl"] == "Zet hem waterpas.\nDraai de poten vast."


# (the section from line 11, [(line, path, words the message must contain), ...])
CASES: list[tuple[str, list[tuple[int, str, str]]]] = [
    (
        "troubleshooting:\n"
        + SYMPTOM.format(id="does-not-drain").replace("[clean-filter]", "[clean-filters]"),
        [
            (
                16,
                "troubleshooting[0].tasks[0]",
                "'clean-filters' is not a task of this protocol (did you mean 'clean-filter'?)",
            )
        ],
    ),
    (
        "troubleshooting:\n"
        + SYMPTOM.format(id="does-not-drain")
        + SYMPTOM.format(id="does-not-drain"),
        [
            (
                18,
                "troubleshooting[1].id",
                "the symptom id 'does-not-drain' is already used by troubleshooting[0] (line 12)",
            )
        ],
    ),
    (
        "troubleshooting:\n"
        + SYMPTOM.format(id="does-not-drain").replace(
            "[clean-filter]", "[clean-filter, clean-filter]"
        ),
        [(16, "troubleshooting[0].tasks[1]", "'clean-filter' is already listed for this symptom")],
    ),
    (
        "troubleshooting:\n" + SYMPTOM.format(id="Does_Not_Drain"),
        [(12, "troubleshooting[0].id", "'Does_Not_Drain' is not a valid symptom id")],
    ),
    (
        "troubleshooting:\n  - id: noisy\n    title: {nl: Maakt lawaai, en: Noisy}\n",
        [
            (12, "troubleshooting[0]", "the required field 'checks' is missing (a list of checks"),
            (12, "troubleshooting[0]", "the required field 'call_professional' is missing"),
        ],
    ),
    (
        "troubleshooting:\n" + SYMPTOM.format(id="noisy").replace("checks:", "steps:"),
        [
            (12, "troubleshooting[0]", "the required field 'checks' is missing"),
            (14, "troubleshooting[0].steps", "unknown field 'steps'; did you mean 'checks'?"),
        ],
    ),
    (
        "troubleshooting:\n"
        + SYMPTOM.format(id="noisy").replace(
            "- {nl: Reinig het filter., en: Clean the filter.}", "- {nl: Reinig het filter.}"
        ),
        [(15, "troubleshooting[0].checks[0]", "the 'en' text is missing")],
    ),
    (
        "troubleshooting:\n"
        "  - id: noisy\n"
        "    title: {nl: Maakt lawaai, en: Noisy}\n"
        "    checks: []\n"
        "    call_professional: {nl: Bel een monteur., en: Call a technician.}\n",
        [(14, "troubleshooting[0].checks", "needs at least one check")],
    ),
    ("troubleshooting: []\n", [(11, "troubleshooting", "needs at least one symptom")]),
    ("troubleshooting: {id: noisy}\n", [(11, "troubleshooting", "must be a list")]),
    (
        "troubleshooting:\n"
        + SYMPTOM.format(id="noisy").replace("Pompt niet af", '"Pompt\\u202Eniet af"'),
        [(13, "troubleshooting[0].title.nl", "U+202E RIGHT-TO-LEFT OVERRIDE")],
    ),
    (
        "symptoms: []\n",
        [(11, "symptoms", "unknown field 'symptoms'; did you mean 'troubleshooting'?")],
    ),
    (
        'service: {url: "http://example.com"}\n',
        [(11, "service.url", "'http://example.com' is not a web address starting with https://")],
    ),
    ('service: {phone: "call us"}\n', [(11, "service.phone", "'call us' is not a phone number")]),
    ("service: {}\n", [(11, "service", "give the service's url (https://...), its phone number")]),
]


@pytest.mark.parametrize(("section", "expected"), CASES, ids=[str(n) for n in range(len(CASES))])
def test_every_mistake_in_the_section_is_located(
    section: str, expected: list[tuple[int, str, str]]
) -> None:
    errors = validate(with_section(section), "washer.yaml")
    assert [(error.line, error.path) for error in errors] == [(e[0], e[1]) for e in expected]
    for error, (_, _, words) in zip(errors, expected, strict=True):
        assert words in error.message
        assert str(error).startswith(f"washer.yaml:{error.line}: {error.path}: ")


def test_related_tasks_are_checked_against_this_protocol_not_the_category() -> None:
    # refill-salt is a uniform dishwasher id, but this protocol has no such task to link to.
    text = with_section(
        "troubleshooting:\n"
        + SYMPTOM.format(id="white-film").replace("clean-filter]", "refill-salt]")
    )
    [error] = validate(text)
    assert error.path == "troubleshooting[0].tasks[0]"
    assert "'refill-salt' is not a task of this protocol" in error.message
    assert "its tasks are clean-filter" in error.message


def test_the_json_schema_describes_the_section() -> None:
    schema = Draft202012Validator(load_schema())
    valid = load_protocol(VALID_YAML).raw
    assert list(schema.iter_errors(valid)) == []
    for broken in (
        {"troubleshooting": [{"id": "noisy", "title": {"en": "Noisy"}}]},  # no checks
        {"troubleshooting": [{**valid["troubleshooting"][0], "tasks": ["a", "a"]}]},
        {"troubleshooting": [{**valid["troubleshooting"][0], "cause": "x"}]},
        {"service": {"url": "javascript:alert(1)"}},
        {"service": {}},
    ):
        assert list(schema.iter_errors({**valid, **broken})), broken
    properties = load_schema()["$defs"]["service"]["properties"]
    assert (properties["url"]["pattern"], properties["phone"]["pattern"]) == (
        URL_PATTERN,
        PHONE_PATTERN,
    )


def test_the_example_in_the_format_docs_has_a_valid_section() -> None:
    docs = Path(__file__).parents[3] / "docs" / "protocol-format.md"
    example = docs.read_text(encoding="utf-8").split("```yaml\n", 1)[1].split("```", 1)[0]
    document = load_protocol(example, "protocol-format.md")
    assert [symptom.id for symptom in document.troubleshooting] == ["not-cleaning"]
    assert document.service is not None and document.service.phone == "+31 20 123 4567"


def test_the_same_section_as_json_gives_the_same_document() -> None:
    from_json = load_protocol(json.dumps(load_protocol(VALID_YAML).raw), "valid.json")
    assert from_json.troubleshooting == load_protocol(VALID_YAML).troubleshooting


SIX = (
    "washing-machine",
    "dishwasher",
    "tumble-dryer",
    "fridge-freezer",
    "coffee-machine",
    "vacuum-cleaner",
)


@pytest.mark.parametrize("category", SIX)
def test_the_library_helps_when_something_is_wrong_in_dutch_and_english(category: str) -> None:
    path = LIBRARY_DIR / f"{category}.yaml"
    document = load_protocol(path.read_bytes(), path.name)
    assert len(document.troubleshooting) >= 3
    task_ids = {task.id for task in document.tasks}
    for symptom in document.troubleshooting:
        texts = [symptom.title, *symptom.checks, symptom.call_professional]
        texts += [symptom.safety] if symptom.safety else []
        for text in texts:
            assert text.get("nl", "").strip() and text.get("en", "").strip(), symptom.id
        assert set(symptom.tasks) <= task_ids
    # Every category says when to stop: a burning smell or a tripped breaker is never a DIY job.
    stops = " ".join(s.call_professional["en"] for s in document.troubleshooting)
    assert "technician" in stops or "repairer" in stops
    assert "burning" in stops or "breaker" in stops
