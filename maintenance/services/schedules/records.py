"""Logging a task done or skipped on a unit (once a day), snoozing it, and the unit's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import MaintenanceLog, Task, TaskSchedule, Unit
from maintenance.services.due_dates import (
    DEFAULT_SNOOZE_DAYS,
    Schedule,
    TaskRule,
    next_due_after_done,
    reminder_date,
    snooze,
    spaced,
)
from maintenance.services.events import record_task_logged, record_task_snoozed
from maintenance.services.schedules.pace import pace_factor
from maintenance.services.schedules.plan import current_version, ensure_schedules, look_again


class UnknownTask(LookupError):
    """The unit's protocol has no task with this key."""


@dataclass(frozen=True)
class Recorded:
    """A log entry and whether this call created it (False: the same event was logged before)."""

    log: MaintenanceLog
    created: bool


def history(unit: Unit) -> list[MaintenanceLog]:
    """Everything done or skipped on a unit, newest first."""
    return list(
        db.session.scalars(
            select(MaintenanceLog)
            .where(MaintenanceLog.unit_id == unit.id)
            .order_by(MaintenanceLog.done_on.desc(), MaintenanceLog.id.desc())
        )
    )


def _schedule_and_task(unit: Unit, task_key: str, today: date) -> tuple[TaskSchedule, Task]:
    """The schedule and task of the current version for a key, or UnknownTask."""
    version = current_version(unit)
    if version is None:
        raise UnknownTask(task_key)
    task = next((task for task in version.tasks if task.key == task_key), None)
    if task is None:
        raise UnknownTask(task_key)
    rows = {row.task_key: row for row in ensure_schedules(unit, today)}
    return rows[task_key], task


def _record(
    unit: Unit,
    task_key: str,
    action: str,
    done_on: date,
    *,
    owner_id: int | None,
    source: str,
    reminder_id: int | None,
    note: str | None,
    partner_id: int | None = None,
) -> Recorded:
    """Log a done or skipped task once per unit, task, action and day; move its schedule."""
    schedule, task = _schedule_and_task(unit, task_key, done_on)
    existing = db.session.scalar(
        select(MaintenanceLog).where(
            MaintenanceLog.unit_id == unit.id,
            MaintenanceLog.task_key == task_key,
            MaintenanceLog.action == action,
            MaintenanceLog.done_on == done_on,
        )
    )
    if existing is not None:
        # A second tap on the same message link, or two household members on the same day; a
        # partner's visit logged by the owner too still says who did it.
        existing.partner_id = existing.partner_id or partner_id
        return Recorded(existing, created=False)
    log = MaintenanceLog(
        unit_id=unit.id,
        task_key=task_key,
        version_id=schedule.version_id,
        action=action,
        done_on=done_on,
        owner_id=owner_id,
        note=(note or "").strip() or None,
        source=source,
        reminder_id=reminder_id,
        partner_id=partner_id,
    )
    db.session.add(log)
    record_task_logged(log, due_on=schedule.next_due)
    rule = TaskRule.from_task(task)
    if action == "done":
        following = next_due_after_done(
            rule, start=schedule.start_on, due=schedule.next_due, done_on=done_on
        )
        if schedule.last_done_on is None or done_on > schedule.last_done_on:
            schedule.last_done_on = done_on
    else:
        # Skipping lets the outstanding occurrence pass: plan as if done when it fell due.
        passed = max(done_on, schedule.next_due)
        following = next_due_after_done(
            rule, start=schedule.start_on, due=schedule.next_due, done_on=passed
        )
    schedule.next_due = spaced(
        rule, start=schedule.start_on, next_due=following, factor=pace_factor(schedule.pace)
    )
    schedule.snoozed_until = None
    schedule.follow_up_sent_on = None
    schedule.missed_in_row = 0
    look_again(schedule)
    db.session.flush()
    return Recorded(log, created=True)


def _id(thing: object | None) -> int | None:
    return getattr(thing, "id", None) if thing is not None else None


@transactional
def record_done(
    unit: Unit,
    task_key: str,
    done_on: date,
    *,
    owner: object | None = None,
    source: str = "page",
    reminder: object | None = None,
    note: str | None = None,
    partner_id: int | None = None,
) -> Recorded:
    """Log a task as done (with the version in force) and move its next due date by the rule.

    `partner_id`: the service partner that did it, which the unit's history names.
    """
    return _record(
        unit,
        task_key,
        "done",
        done_on,
        owner_id=_id(owner),
        source=source,
        reminder_id=_id(reminder),
        note=note,
        partner_id=partner_id,
    )


@transactional
def record_skip(
    unit: Unit,
    task_key: str,
    done_on: date,
    *,
    owner: object | None = None,
    source: str = "page",
    reminder: object | None = None,
    note: str | None = None,
) -> Recorded:
    """Log a task as skipped and move it to its next occurrence."""
    return _record(
        unit,
        task_key,
        "skipped",
        done_on,
        owner_id=_id(owner),
        source=source,
        reminder_id=_id(reminder),
        note=note,
    )


@transactional
def snooze_task(schedule: TaskSchedule, today: date, days: int = DEFAULT_SNOOZE_DAYS) -> date:
    """Put the reminder off for `days`; the due date stays. Returns the new reminder date."""
    snoozed = snooze(Schedule.from_row(schedule), today, days)
    schedule.snoozed_until = snoozed.snoozed_until
    # Putting it off is an answer too: the occurrence is not being ignored.
    schedule.missed_in_row = 0
    look_again(schedule)
    record_task_snoozed(schedule, today)
    db.session.flush()
    return reminder_date(snoozed)
