"""Every text in the code and templates has a Dutch translation, and pages come out in Dutch
by default and in English on request."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from maintenance.config import ROOT

TRANSLATIONS = ROOT / "maintenance" / "translations"
DUTCH_PO = TRANSLATIONS / "nl" / "LC_MESSAGES" / "messages.po"
DUTCH_MO = DUTCH_PO.with_suffix(".mo")
# The same keywords as `make catalogue`: babel's defaults plus lazy_gettext imported as _l.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")

Msgid = str | tuple[str, ...]


def _extract() -> dict[Msgid, str]:
    """The texts marked for translation now, each with one place where it occurs."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[Msgid, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.setdefault(message, f"{filename}:{lineno}")
    return found


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _forms(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@pytest.fixture(scope="module")
def source_texts() -> dict[Msgid, str]:
    """All texts of the current code and templates."""
    return _extract()


@pytest.fixture(scope="module")
def dutch() -> Catalog:
    """The Dutch catalogue as it is in the repository."""
    with DUTCH_PO.open("rb") as po:
        return read_po(po)


def test_extraction_finds_the_texts_of_code_and_templates(source_texts: dict[Msgid, str]) -> None:
    # Guards the test below against passing because extraction silently found nothing.
    places = {where.split(":")[0] for where in source_texts.values()}
    assert "templates/base.html" in places
    assert any(place.startswith("maintenance/") for place in places)
    assert ("%(num)s month", "%(num)s months") in source_texts


def test_every_text_has_a_dutch_translation_with_the_same_placeholders(
    source_texts: dict[Msgid, str], dutch: Catalog
) -> None:
    problems = []
    for msgid, where in sorted(source_texts.items(), key=lambda item: item[1]):
        key = msgid if isinstance(msgid, str) else msgid[0]
        entry = dutch.get(key)
        forms = _forms(entry.string) if entry is not None else ()
        wanted = set().union(*(_placeholders(text) for text in _forms(msgid)))
        if entry is None or not all(form.strip() for form in forms):
            problems.append(f"{where}: no Dutch for {msgid!r}")
        elif entry.fuzzy:
            problems.append(f"{where}: Dutch for {msgid!r} is marked fuzzy")
        elif isinstance(msgid, tuple) and len(forms) != dutch.num_plurals:
            problems.append(f"{where}: {msgid!r} needs {dutch.num_plurals} plural forms")
        else:
            for form in forms:
                if _placeholders(form) != wanted:
                    problems.append(f"{where}: {form!r} has other placeholders than {msgid!r}")
    assert not problems, (
        "Run `make catalogue` and translate in "
        f"{DUTCH_PO.relative_to(ROOT)}:\n" + "\n".join(problems)
    )


def test_dutch_catalogue_uses_dutch_plural_rule(dutch: Catalog) -> None:
    assert dutch.plural_expr == "(n != 1)"
    assert dutch.num_plurals == 2


def test_compiled_catalogue_matches_the_po_file(dutch: Catalog) -> None:
    # Pages are translated from the .mo (built by `make translations`), not from the .po.
    assert DUTCH_MO.exists(), "run `make translations`"
    with DUTCH_MO.open("rb") as mo:
        compiled = Translations(mo)
    stale = []
    for entry in dutch:
        if not entry.id or entry.fuzzy:
            continue
        if isinstance(entry.id, str):
            got: tuple[str, ...] = (compiled.gettext(entry.id),)
        else:
            got = (compiled.ngettext(*entry.id[:2], 1), compiled.ngettext(*entry.id[:2], 2))
        if got != _forms(entry.string):
            stale.append(entry.id)
    assert not stale, f"run `make translations`; out of date: {stale[:5]}"


def test_start_page_is_dutch_by_default_and_english_on_request(client: FlaskClient) -> None:
    dutch_page = client.get("/", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert '<html lang="nl">' in dutch_page
    assert "Laat je apparaten langer meegaan" in dutch_page
    assert "Inloggen voor medewerkers" in dutch_page

    no_preference = client.get("/").get_data(as_text=True)
    assert "Laat je apparaten langer meegaan" in no_preference

    english = client.get("/?lang=en", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Keep your appliances working longer" in english
    assert "Laat je apparaten" not in english


def test_login_page_in_dutch_and_english(client: FlaskClient) -> None:
    dutch_page = client.get("/login", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "Wachtwoord" in dutch_page
    assert "E-mailadres" in dutch_page

    english = client.get("/login?lang=en").get_data(as_text=True)
    assert "Password" in english
    assert "Wachtwoord" not in english


def test_failed_login_message_in_dutch(client: FlaskClient) -> None:
    from tests.conftest import csrf_token

    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={"email": "nobody@example.com", "password": "wrong", "csrf_token": token},
        headers={"Accept-Language": "nl"},
        follow_redirects=True,
    )
    assert "Onbekend e-mailadres of verkeerd wachtwoord." in response.get_data(as_text=True)


def test_missing_page_explained_in_dutch(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept-Language": "nl"})
    assert response.status_code == 404
    assert "We konden die pagina niet vinden." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("duration", "language", "words"),
    [
        ("P1M", "nl", "1 maand"),
        ("P3M", "nl", "3 maanden"),
        ("P1Y", "nl", "1 jaar"),
        ("P2W", "nl", "2 weken"),
        ("PT10M", "nl", "10 minuten"),
        ("P3M", "en", "3 months"),
    ],
)
def test_intervals_in_words_of_the_page_language(
    app: Flask, duration: str, language: str, words: str
) -> None:
    from maintenance.i18n import describe_duration

    with app.test_request_context(f"/?lang={language}"):
        assert describe_duration(duration) == words


@pytest.mark.parametrize(
    ("interval", "language", "words"),
    [
        ("P1M", "en", "every month"),
        ("P1M", "nl", "elke maand"),
        ("P3M", "en", "every 3 months"),
        ("P3M", "nl", "elke 3 maanden"),
        ("P1Y", "en", "every year"),
        ("P1Y", "nl", "elk jaar"),
        ("P2Y", "nl", "elke 2 jaar"),
        ("P1W", "en", "every week"),
        ("P7D", "nl", "elke week"),
        ("P2W", "en", "every 2 weeks"),
        ("P2W", "nl", "elke 2 weken"),
        ("P1D", "nl", "elke dag"),
        ("P10D", "nl", "elke 10 dagen"),
        ("PT1H", "nl", "elk uur"),
        ("P1Y6M", "en", "every 1 year 6 months"),
        ("P1Y6M", "nl", "elke 1 jaar 6 maanden"),
    ],
)
def test_how_often_in_words_of_the_page_language(
    app: Flask, interval: str, language: str, words: str
) -> None:
    from maintenance.i18n import describe_every

    with app.test_request_context(f"/?lang={language}"):
        assert describe_every(interval) == words


def test_a_task_on_a_protocol_page_says_how_often_without_a_count_of_one(
    client: FlaskClient, library: object
) -> None:
    from maintenance.extensions import db
    from maintenance.models import ProtocolVersion

    def every(version: ProtocolVersion) -> set[str]:
        return {task.get("every") for task in version.document["tasks"]}

    versions = db.session.scalars(select(ProtocolVersion)).all()
    version = next(v for v in versions if {"P1M", "P1Y"} <= every(v))
    path = f"/protocols/v/{version.id}"
    english = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    dutch = client.get(path, headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "every 1 " not in english and "elke 1 " not in dutch and "elk 1 " not in dutch
    assert "every month" in english and "every year" in english
    assert "elke maand" in dutch and "elk jaar" in dutch


def test_po_file_is_where_the_app_looks(app: Flask) -> None:
    # Flask-Babel reads translations relative to the app's root path.
    directories = app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations").split(";")
    assert any(
        (Path(app.root_path) / directory).resolve() == TRANSLATIONS.resolve()
        for directory in directories
    )
