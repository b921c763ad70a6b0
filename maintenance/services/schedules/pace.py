"""The household's answer to "does this interval suit you": keep, slower, stop or resume."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import MaintenanceLog, Owner, Task, TaskSchedule
from maintenance.services.due_dates import Schedule, TaskRule, after_missed, roll_over_date
from maintenance.services.schedules.plan import look_again

# The household's answers (TaskSchedule.pace), as logged.
PACES = ("kept", "slower", "stopped", "resumed")
# From this many misses in a row, a reminder asks whether the task's interval suits.
ASK_AFTER_MISSED = 3
# "slower" reminds every other occurrence.
SLOWER_FACTOR = 2


def pace_factor(pace: str) -> int:
    """How many occurrences one reminded occurrence stands for: 2 when the household asked."""
    return SLOWER_FACTOR if pace == "slower" else 1


def _catch_up(schedule: TaskSchedule, today: date) -> None:
    """Move a stopped task on to its current occurrence: nobody was reminded, nothing missed."""
    task = db.session.scalar(
        select(Task).where(Task.version_id == schedule.version_id, Task.key == schedule.task_key)
    )
    if task is None:
        return
    rule = TaskRule.from_task(task)
    while roll_over_date(rule, Schedule.from_row(schedule), start=schedule.start_on) <= today:
        schedule.next_due = after_missed(rule, start=schedule.start_on, due=schedule.next_due)
        schedule.snoozed_until = None
        schedule.follow_up_sent_on = None


@transactional
def set_pace(
    schedule: TaskSchedule, pace: str, today: date, *, owner: Owner | None, source: str
) -> bool:
    """Keep the household's answer for this unit's task and log it; False when it was so already.

    "kept": remind as before and stop asking; "slower": every other occurrence; "stopped": no
    reminders for this task; "resumed": reminders again after a stop.
    """
    if pace not in PACES:
        raise ValueError(f"unknown pace {pace!r}")
    stored = "normal" if pace == "resumed" else pace
    if schedule.pace == stored:
        return False
    if schedule.pace == "stopped":
        _catch_up(schedule, today)
    schedule.pace = stored
    schedule.missed_in_row = 0
    look_again(schedule)
    db.session.add(
        MaintenanceLog(
            unit_id=schedule.unit_id,
            task_key=schedule.task_key,
            version_id=schedule.version_id,
            action=pace,
            done_on=today,
            owner_id=owner.id if owner is not None else None,
            source=source,
        )
    )
    db.session.flush()
    return True
