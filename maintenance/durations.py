"""ISO 8601 durations (P1M, P2W, PT10M) parsed into calendar-aware relativedelta values."""

from __future__ import annotations

import re

from dateutil.relativedelta import relativedelta

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


class DurationError(ValueError):
    """Raised when a text is not an ISO 8601 duration we support."""


def parse_duration(text: str) -> relativedelta:
    """Parse an ISO 8601 duration such as 'P1M', 'P2W' or 'PT10M' into a relativedelta."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise DurationError(f"{text!r} is not an ISO 8601 duration (examples: P1M, P2W, PT10M)")
    parts = {name: int(value) for name, value in match.groupdict().items() if value}
    if not parts or not any(parts.values()):
        raise DurationError(f"{text!r} is a zero-length duration")
    return relativedelta(**parts)


def duration_minutes(text: str) -> int:
    """Return a short duration (PT10M, PT1H30M) in whole minutes, for display."""
    delta = parse_duration(text)
    return delta.days * 24 * 60 + delta.hours * 60 + delta.minutes + (delta.seconds + 59) // 60
