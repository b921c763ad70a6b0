"""ISO 8601 durations (P1M, P2W, PT10M) parsed into calendar-aware relativedelta values."""

from __future__ import annotations

import re
from datetime import datetime

from dateutil.relativedelta import relativedelta

# Numbers of ASCII digits only (`\d` would also take Arabic-Indic and full-width digits), and
# the whole text must match (`$` would also take a final newline).
_DURATION = re.compile(
    r"P(?!$)(?:(?P<years>[0-9]+)Y)?(?:(?P<months>[0-9]+)M)?(?:(?P<weeks>[0-9]+)W)?"
    r"(?:(?P<days>[0-9]+)D)?(?:T(?=[0-9])(?:(?P<hours>[0-9]+)H)?(?:(?P<minutes>[0-9]+)M)?"
    r"(?:(?P<seconds>[0-9]+)S)?)?"
)
# Four digits are enough for any bound the format sets (P3650D), and keep every date that a
# duration makes inside the calendar.
MAX_DIGITS = 4
# The same syntax with the digits bounded, as the JSON Schema writes it (ECMA-262).
SCHEMA_PATTERN = "^" + re.sub(r"\(\?P<\w+>\[0-9\]\+\)", "[0-9]{1,4}", _DURATION.pattern) + "$"

# The longest interval a task may repeat at, and the latest it may first fall due.
MAX_INTERVAL = relativedelta(years=10)
# The longest a task's work may take.
MAX_WORK = relativedelta(days=1)
# Durations are compared by adding them to one moment: months and years as the calendar has them.
_REFERENCE = datetime(2000, 1, 1)


class DurationError(ValueError):
    """Raised when a text is not an ISO 8601 duration we support."""


def parse_duration(text: str) -> relativedelta:
    """Parse an ISO 8601 duration such as 'P1M', 'P2W' or 'PT10M' into a relativedelta."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise DurationError(f"{text!r} is not an ISO 8601 duration (examples: P1M, P2W, PT10M)")
    numbers = {name: value for name, value in match.groupdict().items() if value}
    if any(len(value) > MAX_DIGITS for value in numbers.values()):
        raise DurationError(
            f"{text!r} has a number of more than {MAX_DIGITS} digits; no duration is that long "
            "(a task repeats at most every ten years)"
        )
    parts = {name: int(value) for name, value in numbers.items()}
    if not parts or not any(parts.values()):
        raise DurationError(f"{text!r} is a zero-length duration")
    return relativedelta(
        years=parts.get("years", 0),
        months=parts.get("months", 0),
        weeks=parts.get("weeks", 0),
        days=parts.get("days", 0),
        hours=parts.get("hours", 0),
        minutes=parts.get("minutes", 0),
        seconds=parts.get("seconds", 0),
    )


def longer_than(delta: relativedelta, bound: relativedelta) -> bool:
    """Whether a duration is longer than a bound, counted on the calendar from one moment."""
    try:
        return _REFERENCE + delta > _REFERENCE + bound
    except (OverflowError, ValueError):  # past the end of the calendar: longer than any bound
        return True


def duration_minutes(text: str) -> int:
    """Return a short duration (PT10M, PT1H30M) in whole minutes, for display."""
    delta = parse_duration(text)
    return delta.days * 24 * 60 + delta.hours * 60 + delta.minutes + (delta.seconds + 59) // 60
