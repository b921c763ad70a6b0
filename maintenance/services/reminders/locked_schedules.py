"""The task schedules a materialise pass locks, as plain data: read, rolled on, written back."""

# An occurrence left alone until its roll-over day is logged as missed (in the unit's history and
# as an anonymous event) and the task's next occurrence takes its place.

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select

from maintenance.db.bulk import insert_rows, update_rows
from maintenance.models import MaintenanceLog, ProductModel, Task, TaskSchedule, Unit
from maintenance.services import due_dates
from maintenance.services.due_dates import Schedule, TaskRule
from maintenance.services.events import UnitFacts, add_events, event_row
from maintenance.services.schedules.pace import pace_factor
from maintenance.services.schedules.preview import cached_rule

# Occurrences rolled on for one schedule in one pass (a weekly task two years behind); the next
# pass goes on from there.
MAX_ROLLS_PER_PASS = 104


@dataclass
class LockedSchedule:
    """A locked schedule as plain data, changed in memory and written back once."""

    id: int
    task_key: str
    version_id: int
    start_on: date
    next_due: date
    snoozed_until: date | None
    follow_up_sent_on: date | None
    next_action_on: date | None
    missed_in_row: int
    pace: str
    rule: TaskRule
    facts: UnitFacts
    # Every reachable active owner of the unit, locked in this chunk or not.
    owners: list[int] = field(default_factory=list)
    loaded: tuple[Any, ...] = ()
    _rolls_for: Schedule | None = None
    _roll_over_on: date = date.min

    def state(self) -> tuple[Any, ...]:
        """What a pass may change (written back only when it did)."""
        return (
            self.next_due,
            self.snoozed_until,
            self.follow_up_sent_on,
            self.next_action_on,
            self.missed_in_row,
        )

    @property
    def reminder_on(self) -> date:
        """The day the current occurrence is reminded (a snooze's end when later)."""
        return due_dates.reminder_date(Schedule(self.next_due, self.snoozed_until))

    @property
    def roll_over_on(self) -> date:
        """The day the current occurrence counts as missed when left alone."""
        schedule = Schedule(self.next_due, self.snoozed_until)
        if self._rolls_for != schedule:  # once per occurrence: it expands an rrule
            self._rolls_for = schedule
            self._roll_over_on = due_dates.roll_over_date(self.rule, schedule, start=self.start_on)
        return self._roll_over_on


_SCHEDULE_COLUMNS = (
    TaskSchedule.id,
    TaskSchedule.task_key,
    TaskSchedule.version_id,
    TaskSchedule.start_on,
    TaskSchedule.next_due,
    TaskSchedule.snoozed_until,
    TaskSchedule.follow_up_sent_on,
    TaskSchedule.next_action_on,
    TaskSchedule.missed_in_row,
    TaskSchedule.pace,
    Task.every,
    Task.rrule,
    Task.first_due,
    Unit.id,
    ProductModel.id,
    ProductModel.organisation_id,
    Unit.retailer_id,
    ProductModel.category,
)


def schedule_query() -> Any:
    """The schedules with their task's rule and their unit's facts, locked, skipping others'."""
    return (
        select(*_SCHEDULE_COLUMNS)
        .join(
            Task,
            and_(Task.version_id == TaskSchedule.version_id, Task.key == TaskSchedule.task_key),
        )
        .join(Unit, Unit.id == TaskSchedule.unit_id)
        .join(ProductModel, ProductModel.id == Unit.product_model_id)
        .with_for_update(of=TaskSchedule, skip_locked=True)
    )


def locked_schedule(row: Any) -> LockedSchedule:
    """A LockedSchedule from a row of _SCHEDULE_COLUMNS (read by position: rows are many)."""
    fields: tuple[Any, ...] = (
        *row[:10],
        cached_rule(row[10], row[11], row[12]),  # rule
        UnitFacts(*row[13:18]),  # facts
    )
    schedule = LockedSchedule(*fields)
    schedule.loaded = schedule.state()
    return schedule


def roll_on(
    schedule: LockedSchedule, today: date, missed: list[tuple[LockedSchedule, date]]
) -> None:
    """Let each occurrence whose roll-over day has come pass as missed; note (schedule, due)."""
    factor = pace_factor(schedule.pace)
    for _ in range(MAX_ROLLS_PER_PASS):
        if schedule.roll_over_on > today:
            return
        missed.append((schedule, schedule.next_due))
        schedule.next_due = due_dates.after_missed(
            schedule.rule, start=schedule.start_on, due=schedule.next_due, factor=factor
        )
        schedule.snoozed_until = None
        schedule.follow_up_sent_on = None
        schedule.missed_in_row += 1


def log_missed(missed: list[tuple[LockedSchedule, date]], today: date, now: datetime) -> None:
    """The missed occurrences into each unit's history and the anonymous events, in bulk."""
    if not missed:
        return
    insert_rows(
        MaintenanceLog.__table__,
        [
            {
                "unit_id": schedule.facts.unit_id,
                "task_key": schedule.task_key,
                "version_id": schedule.version_id,
                "action": "missed",
                "done_on": due,
                "logged_at": now,
                "source": "scheduler",
            }
            for schedule, due in missed
        ],
    )
    add_events(
        event_row(
            "task_missed",
            facts=schedule.facts,
            day=today,
            at=now,
            task_key=schedule.task_key,
            version_id=schedule.version_id,
            due_on=due,
        )
        for schedule, due in missed
    )


def write_back(schedules: list[LockedSchedule]) -> None:
    """Store the changed schedules in one statement."""
    update_rows(
        TaskSchedule.__table__,
        [
            {
                "id": s.id,
                "next_due": s.next_due,
                "snoozed_until": s.snoozed_until,
                "follow_up_sent_on": s.follow_up_sent_on,
                "next_action_on": s.next_action_on,
                "missed_in_row": s.missed_in_row,
            }
            for s in schedules
        ],
    )
