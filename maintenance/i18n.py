"""Language choice (Dutch default, English) and picking texts from language maps."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import urlencode

from flask import has_request_context, request, url_for
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


def language_url(language: str, back_to: str | None = None) -> str:
    """The link that switches to `language` and comes back to `back_to` (default: this page)."""
    back = request.full_path if back_to is None else back_to
    return f"{url_for('public.set_language', language=language)}?{urlencode({'next': back})}"


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

    from maintenance.services.durations import DurationError, parse_duration

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


def describe_every(text: str | None) -> str:
    """How often, for an ISO 8601 duration: 'P1M' → 'every month', 'P3M' → 'every 3 months'."""
    if not text:
        return ""
    return _describe_every(text, current_language())


@lru_cache(maxsize=1024)
def _describe_every(text: str, language: str) -> str:
    """The words for one interval in `language` (the current one, which the catalogue follows)."""
    from flask_babel import gettext, ngettext

    from maintenance.services.durations import DurationError, parse_duration

    try:
        delta = parse_duration(text)
    except DurationError:
        return gettext("every %(interval)s", interval=text)
    weeks, days = divmod(delta.days, 7) if delta.days % 7 == 0 else (0, delta.days)
    counts = {
        "year": delta.years,
        "month": delta.months,
        "week": weeks,
        "day": days,
        "hour": delta.hours,
        "minute": delta.minutes,
    }
    units = [unit for unit, count in counts.items() if count]
    if len(units) != 1:
        # Mixed units ("1 year 6 months") have no short form of their own.
        return gettext("every %(interval)s", interval=_describe_duration(text, language))
    unit = units[0]
    count = counts[unit]
    # A count of one has no number in it ("every month", Dutch "elke maand" but "elk jaar"), so it
    # is its own text; the plural forms below are for counts above one (a language's singular
    # form may still apply to some of them, as Russian's does to 21).
    if count == 1:
        return {
            "year": lambda: gettext("every year"),
            "month": lambda: gettext("every month"),
            "week": lambda: gettext("every week"),
            "day": lambda: gettext("every day"),
            "hour": lambda: gettext("every hour"),
            "minute": lambda: gettext("every minute"),
        }[unit]()
    # Literal ngettext calls, so that the catalogue extraction finds these texts.
    return {
        "year": lambda: ngettext("every %(num)s year", "every %(num)s years", count),
        "month": lambda: ngettext("every %(num)s month", "every %(num)s months", count),
        "week": lambda: ngettext("every %(num)s week", "every %(num)s weeks", count),
        "day": lambda: ngettext("every %(num)s day", "every %(num)s days", count),
        "hour": lambda: ngettext("every %(num)s hour", "every %(num)s hours", count),
        "minute": lambda: ngettext("every %(num)s minute", "every %(num)s minutes", count),
    }[unit]()
