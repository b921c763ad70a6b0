"""What the links in a reminder do: mark done, snooze a week, show the steps, unsubscribe."""

# Every action is idempotent: a second click finds the first one's result and changes nothing.

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update

from maintenance.clock import local_today
from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import (
    MaintenanceLog,
    Owner,
    Reminder,
    ReminderItem,
    Task,
    TaskSchedule,
    Unit,
)
from maintenance.services import due_dates
from maintenance.services.events import record_event
from maintenance.services.reminders.links import InvalidLink, read_short_token, read_token
from maintenance.services.reminders.render import PACE_CHOICES
from maintenance.services.schedules.pace import set_pace
from maintenance.services.schedules.records import record_done, snooze_task


@dataclass(frozen=True)
class TaskLink:
    """A reminder's task as a signed link names it."""

    reminder: Reminder
    item: ReminderItem
    schedule: TaskSchedule
    task: Task
    unit: Unit
    owner: Owner


@dataclass(frozen=True)
class Outcome:
    """The result of an action: whether this click changed anything, and the date it set."""

    changed: bool
    on: date | None = None


def _task_of(schedule: TaskSchedule) -> Task | None:
    return db.session.scalar(
        select(Task).where(Task.version_id == schedule.version_id, Task.key == schedule.task_key)
    )


def resolve_task_link(action: str, token: str) -> TaskLink:
    """The task a done/snooze/steps token names, or InvalidLink."""
    return _task_link(read_token(action, token))


def resolve_pace_link(token: str) -> tuple[TaskLink, str]:
    """The task and the household's choice a pace token names, or InvalidLink."""
    payload = read_token("pace", token)
    choice = payload.get("p")
    if choice not in PACE_CHOICES:
        raise InvalidLink("unknown choice")
    return _task_link(payload), choice


def _task_link(payload: dict[str, object]) -> TaskLink:
    """The reminder's task a token's payload names, or InvalidLink."""
    reminder_id, schedule_id = payload.get("r"), payload.get("s")
    item = db.session.scalar(
        select(ReminderItem).where(
            ReminderItem.reminder_id == reminder_id, ReminderItem.schedule_id == schedule_id
        )
    )
    if item is None:
        raise InvalidLink("unknown reminder or task")
    task = _task_of(item.schedule)
    owner = db.session.get(Owner, item.reminder.owner_id)
    if task is None or owner is None:
        raise InvalidLink("the task no longer exists")
    return TaskLink(item.reminder, item, item.schedule, task, item.schedule.unit, owner)


def resolve_short_link(token: str) -> tuple[Reminder, list[TaskLink]]:
    """The reminder a short SMS token names, with its tasks, or InvalidLink."""
    reminder = db.session.get(Reminder, read_short_token(token))
    if reminder is None:
        raise InvalidLink("unknown reminder")
    owner = db.session.get(Owner, reminder.owner_id)
    if owner is None:
        raise InvalidLink("unknown owner")
    links = []
    for item in reminder.items:
        task = _task_of(item.schedule)
        if task is not None:
            links.append(TaskLink(reminder, item, item.schedule, task, item.schedule.unit, owner))
    return reminder, links


def done_by_this_reminder(link: TaskLink) -> MaintenanceLog | None:
    """The done log an earlier click on this reminder's link made, if any."""
    return db.session.scalar(
        select(MaintenanceLog).where(
            MaintenanceLog.reminder_id == link.reminder.id,
            MaintenanceLog.unit_id == link.unit.id,
            MaintenanceLog.task_key == link.schedule.task_key,
            MaintenanceLog.action == "done",
        )
    )


@transactional
def mark_done(link: TaskLink, now: datetime) -> Outcome:
    """Log the task as done today (owner's date), once per reminder."""
    earlier = done_by_this_reminder(link)
    if earlier is not None:
        return Outcome(changed=False, on=earlier.done_on)
    recorded = record_done(
        link.unit,
        link.schedule.task_key,
        local_today(link.owner.time_zone, now),
        owner=link.owner,
        source="reminder",
        reminder=link.reminder,
    )
    return Outcome(changed=recorded.created, on=recorded.log.done_on)


def snoozed_since_reminder(link: TaskLink) -> date | None:
    """The snooze end when the task was snoozed after this reminder went, else None."""
    until = link.schedule.snoozed_until
    return until if until is not None and until > link.item.due_on else None


@transactional
def snooze_week(link: TaskLink, now: datetime) -> Outcome:
    """Put the reminder off a week from today, once per reminder."""
    already = snoozed_since_reminder(link)
    if already is not None or done_by_this_reminder(link) is not None:
        return Outcome(changed=False, on=already)
    until = snooze_task(
        link.schedule, local_today(link.owner.time_zone, now), due_dates.DEFAULT_SNOOZE_DAYS
    )
    return Outcome(changed=True, on=until)


@transactional
def choose_pace(link: TaskLink, choice: str, now: datetime) -> Outcome:
    """Keep the household's answer to the interval question; a second click changes nothing."""
    changed = set_pace(
        link.schedule,
        choice,
        local_today(link.owner.time_zone, now),
        owner=link.owner,
        source="reminder",
    )
    return Outcome(changed=changed)


def resolve_unsubscribe(token: str) -> tuple[Owner, str]:
    """The owner and channel an unsubscribe token names, or InvalidLink."""
    payload = read_token("unsubscribe", token)
    owner = db.session.get(Owner, payload.get("o"))
    channel = payload.get("c")
    if owner is None or channel not in ("email", "sms"):
        raise InvalidLink("unknown owner")
    return owner, channel


@transactional
def unsubscribe(owner: Owner, now: datetime) -> Outcome:
    """Stop all reminders to the owner (they can resume in "my appliances"); cancel queued ones."""
    if owner.paused:
        return Outcome(changed=False)
    owner.paused = True
    record_event("unsubscribed", at=now, channel=owner.channel)
    db.session.execute(
        update(Reminder)
        # A recall still goes (its own message has its own stop): GPSR Art. 35(3).
        .where(
            Reminder.owner_id == owner.id, Reminder.status == "pending", Reminder.kind != "notice"
        )
        .values(status="cancelled", last_error="owner unsubscribed")
        .execution_options(synchronize_session=False)
    )
    return Outcome(changed=True, on=local_today(owner.time_zone, now))
