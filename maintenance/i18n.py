"""Language choice (Dutch default, English) and picking texts from language maps."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from flask import has_request_context, request
from flask_babel import get_locale

LANGUAGES = ("nl", "en")
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}


# Paths for integrations: their clients are programs whose logs engineers read, so these answer
# in English unless the request asks for a language itself (the site's cookie does not count).
MACHINE_PREFIXES = ("/api/", "/webhooks/")
MACHINE_LANGUAGE = "en"


def select_locale() -> str:
    """?lang= first, then the language cookie, then Accept-Language, then the default.

    API and webhook paths ignore the cookie and default to English.
    """
    if not has_request_context():
        return LANGUAGES[0]
    machine = request.path.startswith(MACHINE_PREFIXES)
    chosen = request.args.get("lang") or (None if machine else request.cookies.get("lang"))
    if chosen in LANGUAGES:
        return chosen
    default = MACHINE_LANGUAGE if machine else LANGUAGES[0]
    return request.accept_languages.best_match(LANGUAGES) or default


def current_language() -> str:
    """The language of the current request."""
    locale = get_locale()
    return locale.language if locale is not None else LANGUAGES[0]


def localized(texts: Mapping[str, str] | None, language: str | None = None) -> str:
    """Pick the text in the wanted language, falling back to Dutch, English, then any."""
    if not texts:
        return ""
    language = language or current_language()
    for candidate in (language, "nl", "en"):
        if candidate in texts:
            return texts[candidate]
    return next(iter(texts.values()))


def describe_duration(text: str | None) -> str:
    """An ISO 8601 duration in words of the current language: 'P1M' → '1 month'."""
    if not text:
        return ""
    return _describe_duration(text, current_language())


# Protocols use a handful of durations; the words depend only on the text and the language.
@lru_cache(maxsize=1024)
def _describe_duration(text: str, language: str) -> str:
    """The words for one duration in `language` (the current one, which the catalogue follows)."""
    from flask_babel import ngettext

    from maintenance.durations import DurationError, parse_duration

    try:
        delta = parse_duration(text)
    except DurationError:
        return text
    parts = []
    weeks, days = divmod(delta.days, 7) if delta.days % 7 == 0 else (0, delta.days)
    # Literal ngettext calls, so that the catalogue extraction finds these texts.
    for count, words in (
        (delta.years, ngettext("%(num)s year", "%(num)s years", delta.years)),
        (delta.months, ngettext("%(num)s month", "%(num)s months", delta.months)),
        (weeks, ngettext("%(num)s week", "%(num)s weeks", weeks)),
        (days, ngettext("%(num)s day", "%(num)s days", days)),
        (delta.hours, ngettext("%(num)s hour", "%(num)s hours", delta.hours)),
        (delta.minutes, ngettext("%(num)s minute", "%(num)s minutes", delta.minutes)),
    ):
        if count:
            parts.append(words)
    return " ".join(parts)
