"""Due dates, snoozes, re-planning, digests and send times, by example and by property."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maintenance.services.due_dates import (
    Schedule,
    TaskRule,
    after_missed,
    complete,
    days_overdue,
    digest_date,
    first_due,
    follow_up_due,
    is_occurrence,
    is_quiet_hours,
    next_due_after_done,
    next_send_window,
    reminder_date,
    replan_next_due,
    roll_over_date,
    send_hour,
    send_time,
    snooze,
    spaced,
    start_date,
    tasks_due_within,
)

AMSTERDAM = "Europe/Amsterdam"
QUICK = settings(max_examples=200, deadline=None)


def local(moment: datetime, tz: str) -> datetime:
    """A UTC moment as the owner's wall clock shows it."""
    return moment.astimezone(ZoneInfo(tz))


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


# --- rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "exactly one of 'every' or 'rrule', got neither"),
        ({"every": "P1M", "rrule": "FREQ=YEARLY"}, "exactly one of 'every' or 'rrule', got both"),
        ({"every": "PT12H"}, "every: 'PT12H' has hours or minutes"),
        ({"every": "P1M", "first_due": "monthly"}, "first_due: 'monthly' is not an ISO 8601"),
        ({"rrule": "FREQ=HOURLY"}, "FREQ must be one of DAILY, MONTHLY, WEEKLY, YEARLY"),
        ({"rrule": "FREQ=YEARLY;BYMONTH=4;COUNT=3"}, "COUNT cannot be used here"),
        ({"rrule": "FREQ=YEARLY;UNTIL=20300101"}, "UNTIL cannot be used here"),
        ({"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, "never occurs"),
        ({"rrule": "every april"}, "'every april' is not NAME=VALUE"),
    ],
)
def test_a_rule_that_cannot_be_planned_is_refused_with_a_readable_message(
    fields: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        TaskRule(**fields)


def test_a_rule_is_built_from_any_object_with_the_protocol_fields() -> None:
    @dataclass
    class PublishedTask:
        every: str | None
        rrule: str | None

    assert TaskRule.from_task(PublishedTask(every="P1M", rrule=None)) == TaskRule(every="P1M")


def test_an_rrule_may_carry_the_rrule_prefix_and_lower_case() -> None:
    rule = TaskRule(rrule="RRULE:freq=yearly;bymonth=4")
    assert first_due(rule, date(2024, 1, 15)) == date(2024, 4, 1)


# --- first due ------------------------------------------------------------------------------


def test_schedules_count_from_the_sale_date_else_the_sign_up_date() -> None:
    assert start_date(date(2023, 5, 1), date(2024, 2, 2)) == date(2023, 5, 1)
    assert start_date(None, date(2024, 2, 2)) == date(2024, 2, 2)


def test_first_due_is_start_plus_every_or_plus_first_due() -> None:
    assert first_due(TaskRule(every="P1M"), date(2024, 1, 15)) == date(2024, 2, 15)
    assert first_due(TaskRule(every="P1M", first_due="P2W"), date(2024, 1, 15)) == date(2024, 1, 29)


def test_first_due_of_a_yearly_month_rule_is_the_first_of_that_month() -> None:
    rule = TaskRule(rrule="FREQ=YEARLY;BYMONTH=4")
    assert first_due(rule, date(2024, 1, 15)) == date(2024, 4, 1)
    assert first_due(rule, date(2024, 4, 1)) == date(2024, 4, 1)
    assert first_due(rule, date(2024, 4, 2)) == date(2025, 4, 1)


def test_a_named_month_day_is_kept() -> None:
    rule = TaskRule(rrule="FREQ=YEARLY;BYMONTH=10;BYMONTHDAY=15")
    assert first_due(rule, date(2024, 1, 15)) == date(2024, 10, 15)


def test_a_monthly_rule_without_a_day_falls_on_the_first() -> None:
    assert first_due(TaskRule(rrule="FREQ=MONTHLY"), date(2024, 1, 15)) == date(2024, 2, 1)


def test_first_due_of_an_rrule_waits_for_first_due_after_the_start() -> None:
    rule = TaskRule(rrule="FREQ=YEARLY;BYMONTH=4", first_due="P6M")
    # 15 Jan + 6 months = 15 Jul, so this April is skipped.
    assert first_due(rule, date(2024, 1, 15)) == date(2025, 4, 1)


def test_first_due_for_an_old_appliance_is_not_in_the_past() -> None:
    sold = date(2019, 3, 1)
    today = date(2024, 6, 10)
    assert first_due(TaskRule(every="P1M"), sold, not_before=today) == today
    assert first_due(TaskRule(rrule="FREQ=YEARLY;BYMONTH=4"), sold, not_before=today) == date(
        2025, 4, 1
    )


# --- done: every ----------------------------------------------------------------------------


def test_monthly_task_done_on_31_january_is_due_at_the_end_of_february() -> None:
    rule = TaskRule(every="P1M")
    start = date(2023, 12, 31)
    assert next_due_after_done(
        rule, start=start, due=date(2024, 1, 31), done_on=date(2024, 1, 31)
    ) == date(2024, 2, 29)
    assert next_due_after_done(
        rule, start=start, due=date(2025, 1, 31), done_on=date(2025, 1, 31)
    ) == date(2025, 2, 28)


def test_every_counts_from_the_day_it_was_done_early_or_late() -> None:
    rule = TaskRule(every="P3M")
    due = date(2024, 6, 1)
    start = date(2024, 3, 1)
    assert next_due_after_done(rule, start=start, due=due, done_on=date(2024, 5, 20)) == date(
        2024, 8, 20
    )
    assert next_due_after_done(rule, start=start, due=due, done_on=date(2024, 6, 12)) == date(
        2024, 9, 12
    )


# --- done: rrule ----------------------------------------------------------------------------

APRIL = TaskRule(rrule="FREQ=YEARLY;BYMONTH=4")
SOLD = date(2023, 1, 10)


def test_rrule_done_early_keeps_the_calendar_date() -> None:
    due = date(2024, 4, 1)
    assert next_due_after_done(APRIL, start=SOLD, due=due, done_on=date(2024, 3, 20)) == date(
        2025, 4, 1
    )


def test_rrule_done_on_the_day_or_late_is_next_due_at_the_following_occurrence() -> None:
    due = date(2024, 4, 1)
    for done_on in (date(2024, 4, 1), date(2024, 4, 30), date(2025, 3, 31)):
        assert next_due_after_done(APRIL, start=SOLD, due=due, done_on=done_on) == date(2025, 4, 1)


def test_rrule_done_more_than_a_period_late_covers_the_missed_occurrences() -> None:
    rule = TaskRule(rrule="FREQ=MONTHLY;BYMONTHDAY=1")
    due = date(2024, 1, 1)
    assert next_due_after_done(rule, start=SOLD, due=due, done_on=date(2024, 3, 15)) == date(
        2024, 4, 1
    )


def test_rrule_done_before_the_period_of_the_due_occurrence_covers_nothing_new() -> None:
    # April 2025 is due because April 2024 was done early; doing it again in March 2024 does
    # not also cover 2025.
    due = date(2025, 4, 1)
    assert next_due_after_done(APRIL, start=SOLD, due=due, done_on=date(2024, 3, 25)) == due


def test_the_first_occurrence_counts_early_completions_from_the_start_date() -> None:
    start = date(2024, 1, 10)
    due = first_due(APRIL, start)
    assert next_due_after_done(APRIL, start=start, due=due, done_on=date(2024, 2, 1)) == date(
        2025, 4, 1
    )
    assert next_due_after_done(APRIL, start=start, due=due, done_on=date(2024, 1, 1)) == due


# --- snooze ---------------------------------------------------------------------------------


def test_snooze_moves_the_reminder_but_not_the_due_date() -> None:
    schedule = Schedule(next_due=date(2024, 5, 1))
    snoozed = snooze(schedule, today=date(2024, 5, 2), days=7)
    assert snoozed.next_due == date(2024, 5, 1)
    assert reminder_date(snoozed) == date(2024, 5, 9)
    assert reminder_date(schedule) == date(2024, 5, 1)


def test_done_after_a_snooze_counts_from_the_done_date_and_ends_the_snooze() -> None:
    rule = TaskRule(every="P1M")
    snoozed = snooze(Schedule(next_due=date(2024, 5, 1)), today=date(2024, 5, 1), days=14)
    done = complete(snoozed, rule, start=date(2024, 4, 1), done_on=date(2024, 5, 10))
    assert done == Schedule(next_due=date(2024, 6, 10), snoozed_until=None)


def test_a_snooze_of_no_days_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        snooze(Schedule(next_due=date(2024, 5, 1)), today=date(2024, 5, 1), days=0)


def test_a_schedule_is_read_from_a_stored_row() -> None:
    @dataclass
    class Row:
        next_due: date
        snoozed_until: date | None

    row = Row(next_due=date(2024, 5, 1), snoozed_until=date(2024, 5, 8))
    assert reminder_date(Schedule.from_row(row)) == date(2024, 5, 8)


# --- re-planning for a new protocol version -------------------------------------------------


def test_a_new_interval_counts_from_the_last_time_done() -> None:
    history = [date(2024, 1, 5), date(2024, 3, 1)]
    new_rule = TaskRule(every="P6M")
    assert replan_next_due(
        new_rule, start=date(2023, 6, 1), done_dates=history, today=date(2024, 4, 1)
    ) == date(2024, 9, 1)
    assert history == [date(2024, 1, 5), date(2024, 3, 1)]


def test_a_new_version_does_not_make_a_task_overdue_retroactively() -> None:
    new_rule = TaskRule(every="P1M")
    today = date(2024, 6, 1)
    assert (
        replan_next_due(
            new_rule, start=date(2023, 6, 1), done_dates=[date(2024, 1, 5)], today=today
        )
        == today
    )


def test_a_new_calendar_rule_takes_the_next_occurrence_after_the_last_done() -> None:
    new_rule = TaskRule(rrule="FREQ=YEARLY;BYMONTH=9")
    assert replan_next_due(
        new_rule, start=date(2023, 6, 1), done_dates=[date(2024, 2, 1)], today=date(2024, 3, 1)
    ) == date(2024, 9, 1)


def test_replanning_a_task_never_done_uses_the_new_first_due() -> None:
    new_rule = TaskRule(every="P2M")
    assert replan_next_due(
        new_rule, start=date(2024, 2, 1), done_dates=(), today=date(2024, 3, 1)
    ) == date(2024, 4, 1)


# --- overdue and follow-ups -----------------------------------------------------------------


def test_days_overdue_counts_days_past_the_due_date() -> None:
    assert days_overdue(date(2024, 5, 1), date(2024, 5, 11)) == 10
    assert days_overdue(date(2024, 5, 1), date(2024, 5, 1)) == 0
    assert days_overdue(date(2024, 5, 1), date(2024, 4, 20)) == 0


def test_a_follow_up_goes_a_week_after_the_due_date_by_default() -> None:
    assert follow_up_due(date(2024, 5, 1)) == date(2024, 5, 8)
    assert follow_up_due(date(2024, 5, 1), days=3) == date(2024, 5, 4)


# --- digests --------------------------------------------------------------------------------


def test_a_digest_goes_when_the_first_task_falls_due_and_carries_the_week() -> None:
    dues = {
        "filter": date(2024, 5, 3),
        "descale": date(2024, 5, 9),
        "seal": date(2024, 5, 10),
        "overdue-door": date(2024, 4, 20),
    }
    assert digest_date(dues.values()) == date(2024, 4, 20)
    assert tasks_due_within(dues, today=date(2024, 5, 3)) == ["overdue-door", "filter", "descale"]


def test_a_digest_needs_a_due_date() -> None:
    with pytest.raises(ValueError, match="at least one due date"):
        digest_date([])


# --- send times -----------------------------------------------------------------------------


def test_same_local_hour_across_the_spring_dst_change_in_amsterdam() -> None:
    before = send_time(date(2025, 3, 29), AMSTERDAM, 9)
    after = send_time(date(2025, 3, 30), AMSTERDAM, 9)
    assert before == utc(2025, 3, 29, 8)
    assert after == utc(2025, 3, 30, 7)
    assert local(before, AMSTERDAM).hour == local(after, AMSTERDAM).hour == 9


def test_same_local_hour_across_the_autumn_dst_change_in_amsterdam() -> None:
    assert send_time(date(2025, 10, 25), AMSTERDAM, 19) == utc(2025, 10, 25, 17)
    assert send_time(date(2025, 10, 26), AMSTERDAM, 19) == utc(2025, 10, 26, 18)


def test_a_us_time_zone_keeps_its_local_hour_across_its_own_dst_change() -> None:
    assert send_time(date(2025, 3, 8), "America/New_York", 10) == utc(2025, 3, 8, 15)
    assert send_time(date(2025, 3, 9), "America/New_York", 10) == utc(2025, 3, 9, 14)


def test_a_preferred_hour_in_the_quiet_hours_is_moved_into_the_day() -> None:
    assert local(send_time(date(2024, 7, 1), AMSTERDAM, 22), AMSTERDAM).hour == 20
    assert local(send_time(date(2024, 7, 1), AMSTERDAM, 5), AMSTERDAM).hour == 8
    assert send_hour(21) == 20
    assert send_hour(8) == 8


def test_a_day_that_a_time_zone_skipped_sends_on_the_next_local_day() -> None:
    # Samoa moved across the date line: 30 December 2011 did not exist there.
    moment = local(send_time(date(2011, 12, 30), "Pacific/Apia", 9), "Pacific/Apia")
    assert (moment.date(), moment.hour) == (date(2011, 12, 31), 9)


@pytest.mark.parametrize(
    ("tz", "hour", "message"),
    [
        ("Europe/Atlantis", 9, "'Europe/Atlantis' is not a known time zone"),
        ("", 9, "'' is not a known time zone"),
        (AMSTERDAM, 24, "a preferred hour is 0..23"),
    ],
)
def test_an_unknown_time_zone_or_hour_is_refused(tz: str, hour: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        send_time(date(2024, 7, 1), tz, hour)


def test_quiet_hours_run_from_21_00_to_08_00_local() -> None:
    # Amsterdam is UTC+2 in summer.
    assert not is_quiet_hours(utc(2024, 7, 1, 18, 59), AMSTERDAM)
    assert is_quiet_hours(utc(2024, 7, 1, 19, 0), AMSTERDAM)
    assert is_quiet_hours(utc(2024, 7, 1, 5, 59), AMSTERDAM)
    assert not is_quiet_hours(utc(2024, 7, 1, 6, 0), AMSTERDAM)


def test_quiet_hours_refuse_a_naive_moment() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        is_quiet_hours(datetime(2024, 7, 1, 12), AMSTERDAM)


def test_next_send_window_waits_for_the_send_hour_and_skips_the_night() -> None:
    # Amsterdam summer: 09:00 local is 07:00 UTC.
    assert next_send_window(utc(2024, 7, 1, 1), AMSTERDAM, 9) == utc(2024, 7, 1, 7)
    assert next_send_window(utc(2024, 7, 1, 6, 30), AMSTERDAM, 9) == utc(2024, 7, 1, 7)
    assert next_send_window(utc(2024, 7, 1, 12, 5), AMSTERDAM, 9) == utc(2024, 7, 1, 12, 5)
    assert next_send_window(utc(2024, 7, 1, 19, 30), AMSTERDAM, 9) == utc(2024, 7, 2, 7)
    assert next_send_window(utc(2024, 7, 1, 22), AMSTERDAM, 9) == utc(2024, 7, 2, 7)


# --- properties -----------------------------------------------------------------------------

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
ZONES = [
    AMSTERDAM,
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/Santiago",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Apia",
    "Asia/Kolkata",
    "Asia/Tehran",
    "Africa/Khartoum",
    "UTC",
]
zones = st.sampled_from(ZONES)
hours = st.integers(min_value=0, max_value=23)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2049, 12, 31), timezones=st.just(UTC)
)


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
@given(due=dates, tz=zones, hour=hours)
def test_send_time_is_always_between_08_00_and_21_00_local(due: date, tz: str, hour: int) -> None:
    moment = send_time(due, tz, hour)
    assert moment.tzinfo == UTC
    assert 8 <= local(moment, tz).hour < 21
    assert not is_quiet_hours(moment, tz)


@QUICK
@given(now=moments, tz=zones, hour=hours)
def test_next_send_window_is_the_earliest_allowed_moment(now: datetime, tz: str, hour: int) -> None:
    window = next_send_window(now, tz, hour)
    assert window >= now
    assert not is_quiet_hours(window, tz)
    assert local(window, tz).hour >= send_hour(hour)
    assert next_send_window(window, tz, hour) == window


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


@pytest.mark.parametrize(
    ("rule", "due", "snoozed_until", "missed_on", "next_due"),
    [
        # Weekly: missed when it is due again, and the next one is that day.
        (TaskRule(every="P7D"), date(2026, 11, 2), None, date(2026, 11, 9), date(2026, 11, 9)),
        # Monthly: four weeks after the reminder, before the next one falls due.
        (TaskRule(every="P1M"), date(2026, 11, 2), None, date(2026, 11, 30), date(2026, 12, 2)),
        # Yearly and snoozed: four weeks after the snooze ends; it keeps its yearly rhythm.
        (
            TaskRule(every="P1Y"),
            date(2026, 11, 2),
            date(2026, 11, 16),
            date(2026, 12, 14),
            date(2027, 11, 2),
        ),
        # A calendar task stays on its calendar: every April, missed at the end of April.
        (
            TaskRule(rrule="FREQ=YEARLY;BYMONTH=4"),
            date(2027, 4, 1),
            None,
            date(2027, 4, 29),
            date(2028, 4, 1),
        ),
    ],
)
def test_a_missed_occurrence_rolls_on_to_the_next_one_on_the_tasks_own_rhythm(
    rule: TaskRule, due: date, snoozed_until: date | None, missed_on: date, next_due: date
) -> None:
    start = date(2026, 1, 15)
    schedule = Schedule(next_due=due, snoozed_until=snoozed_until)

    assert roll_over_date(rule, schedule, start=start) == missed_on
    assert after_missed(rule, start=start, due=due) == next_due


def test_every_other_occurrence_when_the_household_asked_for_fewer_reminders() -> None:
    start = date(2026, 1, 15)
    assert spaced(TaskRule(every="P1M"), start=start, next_due=date(2026, 12, 2), factor=2) == (
        date(2027, 1, 2)
    )
    april = TaskRule(rrule="FREQ=YEARLY;BYMONTH=4")
    assert after_missed(april, start=start, due=date(2027, 4, 1), factor=2) == date(2029, 4, 1)
