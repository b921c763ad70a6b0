"""Due dates by example: rules, first due, done, snooze, re-planning, follow-ups, missed tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from maintenance.services.due_dates import (
    Schedule,
    TaskRule,
    after_missed,
    complete,
    days_overdue,
    first_due,
    follow_up_due,
    next_due_after_done,
    reminder_date,
    replan_next_due,
    roll_over_date,
    snooze,
    spaced,
    start_date,
)

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


# --- missed occurrences ---------------------------------------------------------------------


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
