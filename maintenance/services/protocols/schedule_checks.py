"""When a task falls due: the bounds of its durations and the recurrence rules reminders can use."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

from maintenance.services.durations import (
    MAX_INTERVAL,
    MAX_WORK,
    DurationError,
    longer_than,
    parse_duration,
)
from maintenance.services.protocols.report import join_words

_RRULE_PARTS = {"FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYWEEKNO", "BYYEARDAY"}
_RRULE_PARTS |= {"BYSETPOS", "WKST"}
_RRULE_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# Rules are tried from a start near the end of the calendar dateutil supports, so a rule that
# never matches (30 February) ends after about 30 years of candidates instead of 8,000.
_RRULE_TRIAL_START = datetime(9970, 1, 1)


def _parse(text: str) -> relativedelta | str:
    """A duration, or the reason it is not one."""
    try:
        return parse_duration(text)
    except DurationError as exc:
        return str(exc)


def _seconds(delta: relativedelta) -> float:
    """Roughly how long a duration is; months and years at their average length."""
    days = delta.years * 365.25 + delta.months * 30.44 + delta.days
    return days * 86400 + delta.hours * 3600 + delta.minutes * 60 + delta.seconds


def interval_problem(text: str) -> str | None:
    """Why `every` is unusable (not a duration, under a day, over ten years), or None."""
    delta = _parse(text)
    if isinstance(delta, str):
        return delta
    if _seconds(delta) < 86400:
        return f"{text!r} is shorter than a day; reminders come at most daily (P1D)"
    if longer_than(delta, MAX_INTERVAL):
        return f"{text!r} is longer than ten years; a task repeats at most every ten years (P10Y)"
    return _whole_days_problem(text, delta)


def first_due_problem(text: str) -> str | None:
    """Why `first_due` is unusable (not a duration, over ten years, not whole days), or None."""
    delta = _parse(text)
    if isinstance(delta, str):
        return delta
    if longer_than(delta, MAX_INTERVAL):
        return f"{text!r} is longer than ten years; a task is first due within ten years (P10Y)"
    return _whole_days_problem(text, delta)


def _whole_days_problem(text: str, delta: relativedelta) -> str | None:
    if delta.hours or delta.minutes or delta.seconds:
        return f"{text!r} has hours or minutes; due dates count whole days (P1D, P2W, P1M)"
    return None


def duration_problem(text: str) -> str | None:
    """Why `duration` is unusable (not a duration, longer than a day), or None."""
    delta = _parse(text)
    if isinstance(delta, str):
        return delta
    if delta.years or delta.months or longer_than(delta, MAX_WORK):
        return (
            f"{text!r} is longer than a day; duration is the time the work itself takes, "
            "such as PT10M or PT1H30M"
        )
    return None


DURATION_CHECKS = {
    "every": interval_problem,
    "first_due": first_due_problem,
    "duration": duration_problem,
}


@lru_cache(maxsize=256)
def _rrule_parts(text: str, example: str) -> dict[str, str] | str:
    """A rule's NAME=VALUE parts in upper case, or why they cannot be read."""
    parts: dict[str, str] = {}
    for part in filter(None, text.upper().split(";")):  # The scheduler allows a trailing ";".
        name, equals, value = part.partition("=")
        if not equals or not name.strip() or not value.strip():
            return f"{part!r} in {text!r} is not NAME=VALUE, {example}"
        if name.strip() in parts:
            return f"{name.strip()} appears twice in {text!r}"
        parts[name.strip()] = value.strip()
    return parts


def rrule_problem(text: str) -> str | None:
    """Why a recurrence rule is unusable for reminders, or None when it is fine."""
    example = "such as FREQ=YEARLY;BYMONTH=4"
    if not text.strip():
        return f"is empty; write a recurrence rule {example}"
    if ":" in text or "\n" in text:
        return f"write only the rule itself, {example} (no 'RRULE:' and no DTSTART)"
    parts = _rrule_parts(text, example)
    if isinstance(parts, str):
        return parts
    unknown = sorted(set(parts) - _RRULE_PARTS)
    if {"COUNT", "UNTIL"} & set(unknown):
        return "the rule must repeat without end: leave out COUNT and UNTIL"
    if {"BYHOUR", "BYMINUTE", "BYSECOND"} & set(unknown):
        return "leave out BYHOUR, BYMINUTE and BYSECOND: the owner chooses the time of day"
    if unknown:
        return f"{unknown[0]!r} is not allowed in a rule; use {join_words(sorted(_RRULE_PARTS))}"
    if parts.get("FREQ") not in _RRULE_FREQS:
        return f"FREQ must be {join_words(_RRULE_FREQS, 'or')} ({text!r})"
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit() or not 1 <= int(interval) <= 100:
        return f"INTERVAL must be a whole number from 1 to 100 ({text!r})"
    try:
        body = ";".join(f"{name}={value}" for name, value in parts.items())
        rule = rrulestr(body, dtstart=_RRULE_TRIAL_START)
        first = next(iter(rule), None) if isinstance(rule, rrule) else None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        # dateutil's ValueErrors name the bad part; its other errors say nothing useful.
        detail = f" ({exc})" if isinstance(exc, ValueError) else ""
        return f"{text!r} is not a valid recurrence rule{detail}"
    if first is None:
        return f"{text!r} never falls on a real date (check BYMONTH and BYMONTHDAY)"
    return None
