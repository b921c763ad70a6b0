"""Due dates, snoozes, re-planning and send times for maintenance tasks; `today`/`now` passed in."""

# The rules (docs/scheduling.md explains them with examples):
#
# - A task repeats either `every` (ISO 8601 duration counted from the last time it was done) or by
#   an `rrule` (RFC 5545 RRULE without DTSTART: fixed calendar dates). DTSTART is the unit's start
#   date: its sale date, else the day the owner signed up (`start_date`).
# - Where an rrule names a month (FREQ=YEARLY;BYMONTH=4) or is MONTHLY, but names no day
#   (BYMONTHDAY, BYDAY, BYYEARDAY, BYWEEKNO, BYEASTER), the day is the 1st, so every unit gets the
#   same calendar date instead of one borrowed from its sale date. Other missing parts come from
#   DTSTART as in RFC 5545 (FREQ=WEEKLY alone repeats on the start date's weekday). COUNT, UNTIL,
#   DTSTART and sub-day parts are refused: a rule repeats for the appliance's whole life, at most
#   once a day.
# - First due: start + `first_due` (default `every`); for an rrule the first occurrence on or after
#   start + `first_due`, or on or after the start date without one.
# - `every`: next due = done date + every, whether done early or late.
# - rrule: the completion covers the outstanding occurrence (the current next due) when it is done
#   in the period before it (on or after the previous occurrence, or the start date); done on or
#   after it, it covers every occurrence up to the done date. Next due is the first occurrence after
#   what was covered, so doing a task early never moves it off the calendar.
# - Snooze sets `snoozed_until`; it moves only the reminder (`reminder_date`), never `next_due`.
# - A new protocol version re-plans from the history (`replan_next_due`) and never dates a task
#   before the day it is re-planned, so publishing a version makes nothing overdue retroactively.
# - Send times: the owner's preferred local hour on the day, clamped out of the quiet hours
#   21:00-08:00 (an hour of 21 or later sends at 20:00, earlier than 8 at 08:00).
# - Missed occurrences roll on (`roll_over_date`): an occurrence neither done, skipped nor snoozed
#   by the time the next one falls due, or MISSED_AFTER_DAYS after its reminder date when the next
#   one is further away, is missed; the task's next occurrence is planned as if the missed one had
#   been done on its due date (`after_missed`), so the task keeps its rhythm.
# - Pace: a household that asked for fewer reminders of a task gets every `factor`-th occurrence
#   (`spaced`).
# - Digests: an owner's digest goes on the day the first of their outstanding tasks falls due
#   (`digest_date`) and carries every task due within the 7 days from that day, overdue ones
#   included (`tasks_due_within`).

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rruleset, rrulestr

from maintenance.services.durations import parse_duration

DEFAULT_TIME_ZONE = "Europe/Amsterdam"
DEFAULT_PREFERRED_HOUR = 9
DEFAULT_FOLLOW_UP_DAYS = 7
DEFAULT_SNOOZE_DAYS = 7
DIGEST_DAYS = 7
# An occurrence left alone this long after its reminder date is missed, when the next occurrence
# is further away: the reminder, the follow-up a week later, and three more weeks to get to it.
MISSED_AFTER_DAYS = 28
# Messages go out from 08:00 up to (not including) 21:00 local time.
FIRST_SEND_HOUR = 8
QUIET_FROM_HOUR = 21

K = TypeVar("K")

_RRULE_FREQUENCIES = {"YEARLY", "MONTHLY", "WEEKLY", "DAILY"}
# A rule counts from each unit's own start date, so COUNT/UNTIL/DTSTART would end or shift
# differently per unit; reminders are per day, so sub-day parts mean nothing here.
_RRULE_REFUSED = {"DTSTART", "COUNT", "UNTIL", "BYHOUR", "BYMINUTE", "BYSECOND"}
_RRULE_DAY_PARTS = {"BYMONTHDAY", "BYDAY", "BYYEARDAY", "BYWEEKNO", "BYEASTER"}
_REFERENCE_START = date(2000, 1, 1)


@dataclass(frozen=True)
class TaskRule:
    """How a task repeats: exactly one of `every` and `rrule`, plus an optional `first_due`."""

    every: str | None = None
    rrule: str | None = None
    first_due: str | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.rrule is None):
            found = "both" if self.every is not None else "neither"
            raise ValueError(f"a task needs exactly one of 'every' or 'rrule', got {found}")
        for name in ("every", "first_due"):
            text = getattr(self, name)
            if text is not None:
                _whole_days(text, name)
        if self.rrule is not None:
            _normalised_rrule(self.rrule)

    @classmethod
    def from_task(cls, task: Any) -> TaskRule:
        """Build a rule from any object with `every`, `rrule` and (optionally) `first_due`."""
        return cls(
            every=getattr(task, "every", None),
            rrule=getattr(task, "rrule", None),
            first_due=getattr(task, "first_due", None),
        )


@dataclass(frozen=True)
class Schedule:
    """The planned state of one task of one unit: its anchor and an optional snooze."""

    next_due: date
    snoozed_until: date | None = None

    @classmethod
    def from_row(cls, row: Any) -> Schedule:
        """Build a schedule from any object with `next_due` and `snoozed_until`."""
        return cls(next_due=row.next_due, snoozed_until=getattr(row, "snoozed_until", None))


# --- durations and rrules -------------------------------------------------------------------


@lru_cache(maxsize=256)
def _whole_days(text: str, field: str = "every") -> relativedelta:
    """Parse a duration that counts whole days (P1D and longer), with a readable error."""
    try:
        delta = parse_duration(text)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from exc
    if delta.hours or delta.minutes or delta.seconds or delta.microseconds:
        raise ValueError(f"{field}: {text!r} has hours or minutes; due dates count whole days")
    return delta


def _add(day: date, text: str) -> date:
    """Add a whole-day duration to a date; month ends clip (31 Jan + P1M = 28/29 Feb)."""
    return day + _whole_days(text)


@lru_cache(maxsize=256)
def _normalised_rrule(text: str) -> str:
    """Check an RRULE and return it with the day defaulted to the 1st where it names none."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    parts: dict[str, str] = {}
    for part in filter(None, body.split(";")):
        key, sep, value = part.partition("=")
        if not sep or not value:
            raise ValueError(f"rrule {text!r}: {part!r} is not NAME=VALUE")
        parts[key.strip().upper()] = value.strip().upper()
    freq = parts.get("FREQ")
    if freq not in _RRULE_FREQUENCIES:
        allowed = ", ".join(sorted(_RRULE_FREQUENCIES))
        raise ValueError(f"rrule {text!r}: FREQ must be one of {allowed}")
    refused = sorted(_RRULE_REFUSED & parts.keys())
    if refused:
        raise ValueError(f"rrule {text!r}: {', '.join(refused)} cannot be used here")
    names_day = bool(_RRULE_DAY_PARTS & parts.keys())
    if not names_day and (freq == "MONTHLY" or (freq == "YEARLY" and "BYMONTH" in parts)):
        parts["BYMONTHDAY"] = "1"
    normalised = ";".join(f"{key}={value}" for key, value in parts.items())
    try:
        first = rrulestr(normalised, dtstart=_midnight(_REFERENCE_START)).after(
            _midnight(_REFERENCE_START), inc=True
        )
    except (ValueError, TypeError) as exc:
        raise ValueError(f"rrule {text!r} is not a valid RFC 5545 RRULE: {exc}") from exc
    if first is None:
        raise ValueError(f"rrule {text!r} never occurs")
    return normalised


@lru_cache(maxsize=1024)
def _recurrence(text: str, start: date) -> rrule | rruleset:
    """The rule's occurrences for a unit whose start date is `start` (its DTSTART)."""
    # cache=True: the occurrences found are kept, so later look-ups search them instead of
    # stepping through the calendar from the start date again (most of a materialise pass with
    # calendar tasks went there).
    return rrulestr(_normalised_rrule(text), dtstart=_midnight(start), cache=True)


def _midnight(day: date) -> datetime:
    """The naive midnight that starts a day, as dateutil's rrule works on datetimes."""
    return datetime.combine(day, time())


def _occurrence_after(text: str, start: date, day: date, *, inclusive: bool) -> date:
    """The first occurrence after `day` (or on it, when inclusive)."""
    found = _recurrence(text, start).after(_midnight(day), inc=inclusive)
    if found is None:
        raise ValueError(f"rrule {text!r} has no occurrence after {day.isoformat()}")
    return found.date()


def _occurrence_before(text: str, start: date, day: date) -> date | None:
    """The last occurrence strictly before `day`, if any."""
    found = _recurrence(text, start).before(_midnight(day))
    return found.date() if found is not None else None


def is_occurrence(rule: TaskRule, start: date, day: date) -> bool:
    """Whether `day` is on the rrule's calendar for a unit with this start date."""
    if rule.rrule is None:
        raise ValueError("only an rrule task has fixed calendar dates")
    return _midnight(day) in _recurrence(rule.rrule, start)


# --- due dates ------------------------------------------------------------------------------


def start_date(sold_on: date | None, registered_on: date) -> date:
    """The date schedules count from: the unit's sale date, else the owner's sign-up date."""
    return sold_on if sold_on is not None else registered_on


def first_due(rule: TaskRule, start: date, not_before: date | None = None) -> date:
    """The first due date after the start date; never before `not_before` when given."""
    if rule.every is not None:
        due = _add(start, rule.first_due or rule.every)
        return max(due, not_before) if not_before is not None else due
    assert rule.rrule is not None
    earliest = _add(start, rule.first_due) if rule.first_due else start
    if not_before is not None:
        earliest = max(earliest, not_before)
    return _occurrence_after(rule.rrule, start, earliest, inclusive=True)


def next_due_after_done(rule: TaskRule, *, start: date, due: date, done_on: date) -> date:
    """The next due date once a task that was due on `due` is done on `done_on`."""
    if rule.every is not None:
        return _add(done_on, rule.every)
    assert rule.rrule is not None
    if done_on >= due:
        # On time or late: covers every occurrence up to the done date.
        return _occurrence_after(rule.rrule, start, done_on, inclusive=False)
    period_start = _occurrence_before(rule.rrule, start, due) or start
    if done_on >= period_start:
        # Early, within the period before the outstanding occurrence: it counts for that one.
        return _occurrence_after(rule.rrule, start, due, inclusive=False)
    # Earlier than that covers nothing new; the outstanding occurrence stays.
    return _occurrence_after(rule.rrule, start, due, inclusive=True)


def spaced(rule: TaskRule, *, start: date, next_due: date, factor: int) -> date:
    """The next due date with `factor - 1` occurrences after it passed over (factor 1: as is)."""
    for _ in range(factor - 1):
        next_due = next_due_after_done(rule, start=start, due=next_due, done_on=next_due)
    return next_due


def after_missed(rule: TaskRule, *, start: date, due: date, factor: int = 1) -> date:
    """The next due date once the occurrence due on `due` was missed: as if done that day."""
    following = next_due_after_done(rule, start=start, due=due, done_on=due)
    return spaced(rule, start=start, next_due=following, factor=factor)


def roll_over_date(rule: TaskRule, schedule: Schedule, *, start: date) -> date:
    """The day an occurrence left alone counts as missed and the next one takes its place.

    The gap to the next occurrence, capped at MISSED_AFTER_DAYS, counted from the reminder date:
    a weekly task rolls on when it is due again, a yearly one four weeks after its reminder.
    """
    following = next_due_after_done(
        rule, start=start, due=schedule.next_due, done_on=schedule.next_due
    )
    gap = min((following - schedule.next_due).days, MISSED_AFTER_DAYS)
    return reminder_date(schedule) + timedelta(days=max(gap, 1))


def complete(schedule: Schedule, rule: TaskRule, *, start: date, done_on: date) -> Schedule:
    """The schedule after the task is done on `done_on`; any snooze ends with it."""
    next_due = next_due_after_done(rule, start=start, due=schedule.next_due, done_on=done_on)
    return Schedule(next_due=next_due, snoozed_until=None)


def snooze(schedule: Schedule, today: date, days: int = DEFAULT_SNOOZE_DAYS) -> Schedule:
    """The schedule with its reminder put off until `days` after today; next_due stays."""
    if days < 1:
        raise ValueError(f"a snooze lasts at least one day, got {days}")
    return replace(schedule, snoozed_until=today + timedelta(days=days))


def reminder_date(schedule: Schedule) -> date:
    """The day the reminder goes: the due date, or the end of a snooze when that is later."""
    if schedule.snoozed_until is not None and schedule.snoozed_until > schedule.next_due:
        return schedule.snoozed_until
    return schedule.next_due


def replan_next_due(
    rule: TaskRule, *, start: date, done_dates: Collection[date], today: date
) -> date:
    """The next due date under a new rule, from the history of done dates, never before today."""
    if not done_dates:
        return first_due(rule, start, not_before=today)
    last_done = max(done_dates)
    if rule.every is not None:
        return max(_add(last_done, rule.every), today)
    assert rule.rrule is not None
    # Without the old plan we cannot tell which occurrence the last completion was early for,
    # so it covers the occurrences on or before its date.
    if last_done >= today:
        return _occurrence_after(rule.rrule, start, last_done, inclusive=False)
    return _occurrence_after(rule.rrule, start, today, inclusive=True)


def days_overdue(next_due: date, today: date) -> int:
    """How many days a task is overdue today (0 when it is not yet overdue)."""
    return max(0, (today - next_due).days)


def follow_up_due(next_due: date, days: int = DEFAULT_FOLLOW_UP_DAYS) -> date:
    """The day a follow-up goes for a task still not done, `days` after it fell due."""
    if days < 1:
        raise ValueError(f"a follow-up comes at least one day after the due date, got {days}")
    return next_due + timedelta(days=days)


# --- digests --------------------------------------------------------------------------------


def digest_date(dues: Iterable[date]) -> date:
    """The day an owner's digest goes: when the first of their outstanding tasks falls due."""
    earliest = min(dues, default=None)
    if earliest is None:
        raise ValueError("a digest needs at least one due date")
    return earliest


def tasks_due_within(dues: Mapping[K, date], today: date, days: int = DIGEST_DAYS) -> list[K]:
    """The tasks due before `today + days` (overdue ones included), earliest first."""
    if days < 1:
        raise ValueError(f"a digest window is at least one day, got {days}")
    end = today + timedelta(days=days)
    return sorted((key for key, due in dues.items() if due < end), key=lambda key: dues[key])


# --- time zones and send times --------------------------------------------------------------


def _zone(tz: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name, with a readable error for an unknown one."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"{tz!r} is not a known time zone (example: Europe/Amsterdam)") from exc


def _require_aware(moment: datetime) -> None:
    """Refuse a naive datetime: it has no single meaning across owners' time zones."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; pass an aware (UTC) datetime")


def send_hour(preferred_hour: int) -> int:
    """The owner's preferred hour moved out of the quiet hours (>= 21 → 20, < 8 → 8)."""
    if isinstance(preferred_hour, bool) or not 0 <= preferred_hour <= 23:
        raise ValueError(f"a preferred hour is 0..23, got {preferred_hour!r}")
    return min(max(preferred_hour, FIRST_SEND_HOUR), QUIET_FROM_HOUR - 1)


def _is_quiet_local(local: datetime) -> bool:
    """Whether a local wall time is in the quiet hours."""
    return not FIRST_SEND_HOUR <= local.hour < QUIET_FROM_HOUR


def _wall_to_utc(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time on a day."""
    # fold=0 picks the first of a repeated hour (autumn) and moves a skipped time to just after
    # the gap. Gaps in the daytime are rare and stay out of the quiet hours: Khartoum skipped
    # 12:00-13:00 in 2000; Samoa (2011) and Kwajalein (1993) skipped whole days, so a reminder
    # for such a day goes at the same hour on the next local day.
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone, fold=0).astimezone(UTC)


def send_time(due: date, tz: str, preferred_hour: int) -> datetime:
    """The moment (aware, UTC) a reminder for `due` goes: the owner's local send hour that day."""
    return _wall_to_utc(due, send_hour(preferred_hour), _zone(tz))


def is_quiet_hours(moment_utc: datetime, tz: str) -> bool:
    """Whether a moment falls in the owner's quiet hours (21:00-08:00 local)."""
    _require_aware(moment_utc)
    return _is_quiet_local(moment_utc.astimezone(_zone(tz)))


def next_send_window(now_utc: datetime, tz: str, preferred_hour: int) -> datetime:
    """The earliest moment (aware, UTC) at or after now, from the owner's send hour to 21:00."""
    _require_aware(now_utc)
    zone = _zone(tz)
    local_day = now_utc.astimezone(zone).date()
    slot = send_time(local_day, tz, preferred_hour)
    if now_utc <= slot:
        return slot
    if not is_quiet_hours(now_utc, tz):
        return now_utc.astimezone(UTC)
    return send_time(local_day + timedelta(days=1), tz, preferred_hour)
