"""The texts of a notice version, checked for the elements GPSR Art. 36 requires of a recall."""

# A recall notice (Regulation (EU) 2023/988, Art. 36; template in Implementing Regulation (EU)
# 2024/1435) has: the heading, a product description with its identification numbers, where and
# when it was sold, a picture where there is one, the hazard without words that play it down,
# what to do (at least: stop using it), the remedy (repair, replacement or refund, free of
# charge) and contacts. Every text is given in each of LANGUAGES. Errors are located by path
# ("texts.en.hazard"), like protocol errors, and nothing is stored while any exists.

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from maintenance.i18n import LANGUAGES

# Per language, in the order the message shows them.
TEXT_FIELDS = ("product", "sold", "hazard", "instruction", "remedy", "update")
# What a recall must say; a service notice needs only a product and what to do.
RECALL_REQUIRED = ("product", "sold", "hazard", "instruction", "remedy")
SERVICE_REQUIRED = ("product", "instruction")
REMEDIES = ("repair", "replacement", "refund")
CONTACT_FIELDS = ("name", "phone", "email", "url")
TEXT_MAX = 2000
CONTACT_MAX = {"name": 200, "phone": 40, "email": 320, "url": 500}
URL_MAX = 500

# The heading of the notice per language. The Dutch text of Implementing Regulation (EU)
# 2024/1435 could not be consulted here; "Terugroepactie productveiligheid" is the wording
# used until it is checked against the Official Journal (docs/recalls.md says the same).
RECALL_HEADINGS = {"en": "Product safety recall", "nl": "Terugroepactie productveiligheid"}
SERVICE_HEADINGS = {"en": "Service notice", "nl": "Servicebericht"}

# Words that play a hazard down (Art. 36(2)): refused anywhere in a recall's texts.
SOFTENING = (
    ("voluntary", re.compile(r"\bvoluntar(?:y|ily)\b", re.IGNORECASE)),
    ("precautionary", re.compile(r"\bprecautionary\b", re.IGNORECASE)),
    ("in rare situations", re.compile(r"\bin\s+rare\s+(?:situations?|cases?)\b", re.IGNORECASE)),
    ("vrijwillig", re.compile(r"\bvrijwillige?\b", re.IGNORECASE)),
    ("uit voorzorg", re.compile(r"\buit\s+voorzorg\b", re.IGNORECASE)),
    ("in zeldzame gevallen", re.compile(r"\bin\s+zeldzame\s+gevallen\b", re.IGNORECASE)),
)

FIELD_LABELS = {
    "product": _l("Product description"),
    "sold": _l("Where and when it was sold"),
    "hazard": _l("The hazard"),
    "instruction": _l("What to do"),
    "remedy": _l("The remedy"),
    "update": _l("What changed in this update"),
}


@dataclass(frozen=True)
class Problem:
    """One error, located by the path of the field it is about."""

    path: str
    message: str

    def as_detail(self) -> dict[str, str]:
        """The API's error detail."""
        return {"path": self.path, "message": self.message}


class NoticeInvalid(Exception):
    """A notice that cannot be stored or sent; `problems` names each error and where."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))
        self.problems = problems


@dataclass
class VersionTexts:
    """What a version says: texts per language, picture, remedies and the manufacturer's contact."""

    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    picture_url: str | None = None
    remedies: list[str] = field(default_factory=list)
    contact: dict[str, str] = field(default_factory=dict)

    def text(self, language: str, name: str) -> str:
        """A text in a language, else in the first language that has it."""
        for candidate in (language, *LANGUAGES):
            value = self.texts.get(candidate, {}).get(name)
            if value:
                return value
        return ""


def _clean(value: object, path: str, limit: int, problems: list[Problem]) -> str:
    """A stripped single text, or "" with a problem when it is not a text or too long."""
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(Problem(path, _("must be a text")))
        return ""
    text = value.replace("\r\n", "\n").strip()
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        problems.append(Problem(path, _("contains a control character")))
        return ""
    if len(text) > limit:
        problems.append(
            Problem(
                path, _("is %(count)s characters; at most %(most)s", count=len(text), most=limit)
            )
        )
    return text


def _url(value: object, path: str, problems: list[Problem]) -> str | None:
    text = _clean(value, path, URL_MAX, problems)
    if not text:
        return None
    if not re.fullmatch(r"https?://[^\s<>\"']+", text):
        problems.append(Problem(path, _("must be a web address starting with https://")))
    return text


def softening_word(text: str) -> str | None:
    """The first word of SOFTENING the text holds, if any."""
    for word, pattern in SOFTENING:
        if pattern.search(text):
            return word
    return None


def read_version(body: dict[str, Any], kind: str, *, update: bool = False) -> VersionTexts:
    """The version texts of a request body (API JSON or the web form), checked; or NoticeInvalid.

    `update` marks a version after the first: it must say what changed.
    """
    problems: list[Problem] = []
    version = VersionTexts()
    texts = body.get("texts")
    if not isinstance(texts, dict):
        problems.append(
            Problem("texts", _("give the texts per language: %(l)s", l=", ".join(LANGUAGES)))
        )
        texts = {}
    for language in texts:
        if language not in LANGUAGES:
            problems.append(Problem(f"texts.{language}", _("unknown language; use nl and en")))
    required = RECALL_REQUIRED if kind == "recall" else SERVICE_REQUIRED
    if update:
        required = (*required, "update")
    for language in LANGUAGES:
        version.texts[language] = _language_texts(
            texts.get(language), language, kind, required, problems
        )
    version.picture_url = _url(body.get("picture_url"), "picture_url", problems)
    version.remedies = _remedies(body.get("remedies"), kind, problems)
    version.contact = _contact(body.get("contact"), problems)
    if problems:
        raise NoticeInvalid(problems)
    return version


def _language_texts(
    given: object, language: str, kind: str, required: tuple[str, ...], problems: list[Problem]
) -> dict[str, str]:
    """The texts of one language, cleaned; problems for unknown, missing or softened ones."""
    if not isinstance(given, dict):
        given = {}
    for name in given:
        if name not in TEXT_FIELDS:
            problems.append(
                Problem(
                    f"texts.{language}.{name}",
                    _("unknown text; the texts are %(f)s", f=", ".join(TEXT_FIELDS)),
                )
            )
    cleaned: dict[str, str] = {}
    for name in TEXT_FIELDS:
        path = f"texts.{language}.{name}"
        value = _clean(given.get(name), path, TEXT_MAX, problems)
        if value:
            cleaned[name] = value
        elif name in required:
            problems.append(Problem(path, _missing(name, kind)))
        if kind == "recall" and value and (word := softening_word(value)):
            problems.append(
                Problem(
                    path,
                    _(
                        "'%(word)s' plays the hazard down; a recall states it"
                        " plainly (GPSR Art. 36)",
                        word=word,
                    ),
                )
            )
    return cleaned


def _missing(name: str, kind: str) -> str:
    """Why a text is needed."""
    if name == "update":
        return _("an update says what changed since the last message")
    if kind == "recall":
        return _("a recall must have this (GPSR Art. 36): %(what)s", what=FIELD_LABELS[name])
    return _("this is required: %(what)s", what=FIELD_LABELS[name])


def _remedies(value: object, kind: str, problems: list[Problem]) -> list[str]:
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem("remedies", _("must be a list of %(r)s", r=", ".join(REMEDIES))))
        return []
    remedies = []
    for index, remedy in enumerate(value):
        if remedy not in REMEDIES:
            problems.append(
                Problem(f"remedies[{index}]", _("must be one of %(r)s", r=", ".join(REMEDIES)))
            )
        elif remedy not in remedies:
            remedies.append(remedy)
    if (
        kind == "recall"
        and not remedies
        and not any(p.path.startswith("remedies") for p in problems)
    ):
        problems.append(
            Problem("remedies", _("a recall offers repair, replacement or refund (GPSR Art. 36)"))
        )
    return [r for r in REMEDIES if r in remedies]


def _contact(value: object, problems: list[Problem]) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append(
            Problem(
                "contact",
                _("give the manufacturer's contact: a phone number, email address or web address"),
            )
        )
        return {}
    contact: dict[str, str] = {}
    for name in value:
        if name not in CONTACT_FIELDS:
            problems.append(
                Problem(
                    f"contact.{name}",
                    _("unknown field; the fields are %(f)s", f=", ".join(CONTACT_FIELDS)),
                )
            )
    for name in CONTACT_FIELDS:
        path = f"contact.{name}"
        text = (
            _url(value.get(name), path, problems)
            if name == "url"
            else _clean(value.get(name), path, CONTACT_MAX[name], problems)
        )
        if not text:
            continue
        if name == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
            problems.append(Problem(path, _("is not an email address")))
        contact[name] = text
    if not any(contact.get(name) for name in ("phone", "email", "url")):
        problems.append(
            Problem("contact", _("give at least a phone number, email address or web address"))
        )
    return contact
