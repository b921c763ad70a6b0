"""Due dates by property: done, snoozed or re-planned, the next due date keeps its rules."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from maintenance.services.due_dates import (
    Schedule,
    TaskRule,
    complete,
    first_due,
    is_occurrence,
    next_due_after_done,
    reminder_date,
    replan_next_due,
    snooze,
)

QUICK = settings(max_examples=200, deadline=None)
EVERY = ["P1D", "P3D", "P1W", "P2W", "P1M", "P3M", "P6M", "P1Y", "P1Y6M", "P1M15D"]


def _last_of_month(day: date) -> bool:
    """Whether a day is the last day of its month."""
    return day.day == calendar.monthrange(day.year, day.month)[1]


# Each rrule with an independent check of its calendar.
CALENDARS: dict[str, Callable[[date], bool]] = {
    "FREQ=YEARLY;BYMONTH=4": lambda d: (d.month, d.day) == (4, 1),
    "FREQ=YEARLY;BYMONTH=3,9;BYMONTHDAY=15": lambda d: d.month in (3, 9) and d.day == 15,
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29": lambda d: (d.month, d.day) == (2, 29),
    "FREQ=MONTHLY;BYMONTHDAY=1": lambda d: d.day == 1,
    "FREQ=MONTHLY;BYMONTHDAY=-1": _last_of_month,
    "FREQ=MONTHLY;INTERVAL=3": lambda d: d.day == 1,
    "FREQ=WEEKLY;BYDAY=MO": lambda d: d.weekday() == 0,
    "FREQ=MONTHLY;BYDAY=1SA": lambda d: d.weekday() == 5 and d.day <= 7,
}

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
every_rules = st.sampled_from(EVERY).map(lambda text: TaskRule(every=text))
rrule_texts = st.sampled_from(sorted(CALENDARS))
rrule_rules = st.builds(
    TaskRule,
    rrule=rrule_texts,
    first_due=st.sampled_from([None, "P1M", "P6M"]),
)
rules = st.one_of(every_rules, rrule_rules)


@QUICK
@given(rule=rules, start=dates, due_after=st.integers(0, 800), done_shift=st.integers(-900, 900))
def test_next_due_is_always_after_the_done_date(
    rule: TaskRule, start: date, due_after: int, done_shift: int
) -> None:
    due = first_due(rule, start, not_before=start + timedelta(days=due_after))
    done_on = due + timedelta(days=done_shift)
    assert next_due_after_done(rule, start=start, due=due, done_on=done_on) > done_on


@QUICK
@given(rule=every_rules, due=dates, first=dates, second=dates)
def test_every_next_due_never_goes_back_when_done_later(
    rule: TaskRule, due: date, first: date, second: date
) -> None:
    early, late = sorted([first, second])
    start = date(2000, 1, 1)
    assert next_due_after_done(rule, start=start, due=due, done_on=early) <= next_due_after_done(
        rule, start=start, due=due, done_on=late
    )


@QUICK
@given(
    text=rrule_texts, start=dates, due_after=st.integers(0, 800), done_shift=st.integers(-900, 900)
)
def test_rrule_next_due_is_always_on_the_calendar(
    text: str, start: date, due_after: int, done_shift: int
) -> None:
    rule = TaskRule(rrule=text)
    due = first_due(rule, start, not_before=start + timedelta(days=due_after))
    done_on = due + timedelta(days=done_shift)
    next_due = next_due_after_done(rule, start=start, due=due, done_on=done_on)
    assert CALENDARS[text](due)
    assert CALENDARS[text](next_due)
    assert is_occurrence(rule, start, next_due)


@QUICK
@given(rule=rrule_rules, start=dates, due_after=st.integers(0, 800), data=st.data())
def test_rrule_done_early_gives_the_same_next_due_as_done_on_the_day(
    rule: TaskRule, start: date, due_after: int, data: st.DataObject
) -> None:
    # The occurrence before the outstanding one was done; anything in between is early for it.
    previous = first_due(rule, start, not_before=start + timedelta(days=due_after))
    due = next_due_after_done(rule, start=start, due=previous, done_on=previous)
    early = previous + timedelta(days=data.draw(st.integers(0, (due - previous).days - 1)))
    on_the_day = next_due_after_done(rule, start=start, due=due, done_on=due)
    assert next_due_after_done(rule, start=start, due=due, done_on=early) == on_the_day
    assert CALENDARS[rule.rrule or ""](on_the_day)


@QUICK
@given(
    rule=rules,
    start=dates,
    due=dates,
    today=dates,
    days=st.integers(1, 60),
    done_shift=st.integers(0, 90),
)
def test_snooze_never_changes_the_due_date_or_the_next_one(
    rule: TaskRule, start: date, due: date, today: date, days: int, done_shift: int
) -> None:
    schedule = Schedule(next_due=due)
    snoozed = snooze(schedule, today=today, days=days)
    done_on = today + timedelta(days=done_shift)
    assert snoozed.next_due == due
    assert reminder_date(snoozed) >= due
    assert complete(snoozed, rule, start=start, done_on=done_on) == complete(
        schedule, rule, start=start, done_on=done_on
    )


@QUICK
@given(
    rule=rules,
    start=dates,
    history=st.lists(dates, max_size=5),
    today=dates,
)
def test_replanning_is_pure_and_never_in_the_past(
    rule: TaskRule, start: date, history: list[date], today: date
) -> None:
    kept = list(history)
    first = replan_next_due(rule, start=start, done_dates=history, today=today)
    again = replan_next_due(rule, start=start, done_dates=history, today=today)
    assert history == kept
    assert first == again
    assert first >= today
    if history:
        assert first > max(history)
    if rule.rrule is not None:
        assert CALENDARS[rule.rrule](first)
