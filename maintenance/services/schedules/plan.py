"""Per-unit task schedules: plan one per task of the version in force, list them, wake them.

The date arithmetic lives in maintenance.services.due_dates (pure functions); this package reads
and writes the TaskSchedule and MaintenanceLog rows around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, and_, case, exists, or_, select, update
from sqlalchemy.orm import QueryableAttribute

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import (
    MaintenanceLog,
    Ownership,
    ProtocolVersion,
    ReminderItem,
    Task,
    TaskSchedule,
    Unit,
)
from maintenance.services.catalog import TaskInfo, current_version_for_model
from maintenance.services.due_dates import (
    Schedule,
    TaskRule,
    days_overdue,
    first_due,
    reminder_date,
    replan_next_due,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult


@dataclass(frozen=True)
class UpcomingTask:
    """One task of a unit with its schedule: what to do and when it is due."""

    task: Task | TaskInfo
    schedule: TaskSchedule

    @property
    def key(self) -> str:
        """The uniform task id."""
        return self.task.key

    @property
    def next_due(self) -> date:
        """The day the task falls due."""
        return self.schedule.next_due

    @property
    def reminder_on(self) -> date:
        """The day the reminder goes (later than next_due while snoozed)."""
        return reminder_date(Schedule.from_row(self.schedule))

    def overdue_days(self, today: date) -> int:
        """Days past due today (0 when not overdue)."""
        return days_overdue(self.schedule.next_due, today)


def current_version(unit: Unit) -> ProtocolVersion | None:
    """The protocol version in force for a unit's model."""
    return current_version_for_model(unit.product_model)


def has_records(unit_id: ColumnElement[int] | QueryableAttribute[int]) -> ColumnElement[bool]:
    """SQL: whether the unit has a schedule or a log entry (without either, preview reads none)."""
    return or_(
        exists().where(TaskSchedule.unit_id == unit_id),
        exists().where(MaintenanceLog.unit_id == unit_id),
    )


def _done_dates(unit: Unit, task_key: str) -> list[date]:
    """Every day this task was done on this unit, by any owner or anonymously."""
    return list(
        db.session.scalars(
            select(MaintenanceLog.done_on).where(
                MaintenanceLog.unit_id == unit.id,
                MaintenanceLog.task_key == task_key,
                MaintenanceLog.action == "done",
            )
        )
    )


@transactional
def ensure_schedules(unit: Unit, today: date) -> list[TaskSchedule]:
    """Create or refresh one schedule per task of the unit's current protocol version."""
    version = current_version(unit)
    existing = {
        row.task_key: row
        for row in db.session.scalars(select(TaskSchedule).where(TaskSchedule.unit_id == unit.id))
    }
    if version is None:
        return []
    start = unit.sold_on or today
    result: list[TaskSchedule] = []
    for task in version.tasks:
        rule = TaskRule.from_task(task)
        row = existing.pop(task.key, None)
        if row is None:
            done = _done_dates(unit, task.key)
            # A unit whose earlier history exists (a re-added task) plans from that history.
            next_due = (
                replan_next_due(rule, start=start, done_dates=done, today=today)
                if done
                else first_due(rule, start)
            )
            row = TaskSchedule(
                unit_id=unit.id,
                task_key=task.key,
                version_id=version.id,
                start_on=start,
                last_done_on=max(done) if done else None,
                next_due=next_due,
                next_action_on=next_due,
            )
            db.session.add(row)
        elif row.version_id != version.id:
            # A newer version re-plans future dates from the history; logs stay untouched.
            row.next_due = replan_next_due(
                rule, start=row.start_on, done_dates=_done_dates(unit, task.key), today=today
            )
            row.version_id = version.id
            row.follow_up_sent_on = None
            look_again(row)
        result.append(row)
    for gone in existing.values():
        # The task left the protocol: it has no future date, its history stays in the log.
        _delete_schedule(gone)
    db.session.flush()
    return result


def look_again(row: TaskSchedule) -> None:
    """Have the scheduler look at a changed schedule on its reminder date (none when stopped).

    The scheduler works out the exact next action then; looking early is always safe.
    """
    row.next_action_on = None if row.pace == "stopped" else reminder_date(Schedule.from_row(row))


def wake_owner(owner_id: int) -> int:
    """Have the scheduler look again at an owner's schedules (in the caller's commit); how many.

    For an owner who became reachable (confirmed, resumed, sent START, added a unit): while
    they were not, the scheduler only rolled missed occurrences on for their units.
    """
    reminder_on = case(
        (
            and_(
                TaskSchedule.snoozed_until.is_not(None),
                TaskSchedule.snoozed_until > TaskSchedule.next_due,
            ),
            TaskSchedule.snoozed_until,
        ),
        else_=TaskSchedule.next_due,
    )
    units = select(Ownership.unit_id).where(
        Ownership.owner_id == owner_id, Ownership.ended_at.is_(None)
    )
    result = db.session.execute(
        update(TaskSchedule)
        .where(
            TaskSchedule.unit_id.in_(units),
            TaskSchedule.pace != "stopped",
            or_(TaskSchedule.next_action_on.is_(None), TaskSchedule.next_action_on > reminder_on),
        )
        .values(next_action_on=reminder_on)
        .execution_options(synchronize_session=False)
    )
    # An UPDATE or DELETE gives a CursorResult; Session.execute is typed with the plain Result.
    return cast("CursorResult[Any]", result).rowcount or 0


def _delete_schedule(row: TaskSchedule) -> None:
    """Remove a schedule of a task that no longer exists, with any reminder items for it."""
    for item in db.session.scalars(select(ReminderItem).where(ReminderItem.schedule_id == row.id)):
        db.session.delete(item)
    db.session.delete(row)


def upcoming(unit: Unit, today: date) -> list[UpcomingTask]:
    """The unit's tasks with their schedules, earliest due first (then protocol order)."""
    version = current_version(unit)
    if version is None:
        return []
    rows = {row.task_key: row for row in ensure_schedules(unit, today)}
    items = [UpcomingTask(task, rows[task.key]) for task in version.tasks if task.key in rows]
    return sorted(items, key=lambda item: (item.schedule.next_due, item.task.position))


def find_schedule(unit: Unit, task_key: str) -> TaskSchedule | None:
    """The schedule of one task of a unit, if planned."""
    return db.session.scalar(
        select(TaskSchedule).where(
            TaskSchedule.unit_id == unit.id, TaskSchedule.task_key == task_key
        )
    )
