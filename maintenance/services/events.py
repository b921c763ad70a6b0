"""Record anonymous events for the dashboards where things happen (no commit of their own)."""

# Each call adds one row to the caller's session; the caller's @transactional service commits
# it together with the change it describes, so an event exists exactly when the change does.
# Bulk paths (the reminder dispatcher) build the same rows with event_row and insert them with
# add_events, without loading ORM objects.

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from maintenance.db.bulk import insert_rows
from maintenance.extensions import db
from maintenance.models import EVENT_KINDS, Event, MaintenanceLog, Reminder, TaskSchedule, Unit
from maintenance.models._base import utcnow

# A task done through a reminder's link counts as "done after a reminder" within this window.
REMINDER_WINDOW_DAYS = 14


@dataclass(frozen=True)
class UnitFacts:
    """What an event copies from a unit: the unit, its model, manufacturer, retailer, category."""

    unit_id: int
    product_model_id: int
    manufacturer_id: int
    retailer_id: int | None
    category: str

    @classmethod
    def of(cls, unit: Unit) -> UnitFacts:
        """The facts of a loaded unit (reads its product model)."""
        model = unit.product_model
        return cls(unit.id, model.id, model.organisation_id, unit.retailer_id, model.category)


def event_row(
    kind: str,
    *,
    facts: UnitFacts | None = None,
    day: date | None = None,
    at: datetime | None = None,
    task_key: str | None = None,
    version_id: int | None = None,
    channel: str | None = None,
    due_on: date | None = None,
    from_reminder: bool = False,
) -> dict[str, Any]:
    """The column values of one anonymous event (see record_event)."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    at = at or utcnow()
    day = day or at.date()
    return {
        "kind": kind,
        "day": day,
        "month": day.replace(day=1),
        "at": at,
        "unit_id": facts.unit_id if facts else None,
        "product_model_id": facts.product_model_id if facts else None,
        "manufacturer_id": facts.manufacturer_id if facts else None,
        "retailer_id": facts.retailer_id if facts else None,
        "category": facts.category if facts else None,
        "task_key": task_key,
        "version_id": version_id,
        "channel": channel,
        "due_on": due_on,
        "days_late": (day - due_on).days if due_on is not None else None,
        "from_reminder": from_reminder,
    }


def record_event(
    kind: str,
    *,
    unit: Unit | None = None,
    day: date | None = None,
    at: datetime | None = None,
    task_key: str | None = None,
    version_id: int | None = None,
    channel: str | None = None,
    due_on: date | None = None,
    from_reminder: bool = False,
) -> Event:
    """Add one anonymous event; model, manufacturer, retailer and category come from the unit."""
    event = Event(
        **event_row(
            kind,
            facts=UnitFacts.of(unit) if unit is not None else None,
            day=day,
            at=at,
            task_key=task_key,
            version_id=version_id,
            channel=channel,
            due_on=due_on,
            from_reminder=from_reminder,
        )
    )
    db.session.add(event)
    return event


def add_events(rows: Iterable[dict[str, Any]]) -> int:
    """Insert event_row rows in one statement in the caller's transaction; how many."""
    return insert_rows(Event.__table__, list(rows))


def came_from_reminder(log: MaintenanceLog) -> bool:
    """Whether a log entry was made through a reminder's link within the window after it."""
    if log.source != "reminder" or log.reminder_id is None:
        return False
    reminder = db.session.get(Reminder, log.reminder_id)
    if reminder is None:
        return False
    sent = (reminder.sent_at.date() if reminder.sent_at else None) or reminder.send_on
    return timedelta(0) <= log.done_on - sent <= timedelta(days=REMINDER_WINDOW_DAYS)


def record_task_logged(log: MaintenanceLog, due_on: date) -> Event:
    """The event for a task done or skipped, with the due date it answered."""
    unit = db.session.get(Unit, log.unit_id)
    return record_event(
        "task_done" if log.action == "done" else "task_skipped",
        unit=unit,
        day=log.done_on,
        task_key=log.task_key,
        version_id=log.version_id,
        due_on=due_on,
        from_reminder=came_from_reminder(log),
    )


def record_task_snoozed(schedule: TaskSchedule, today: date) -> Event:
    """The event for a reminder put off."""
    return record_event(
        "task_snoozed",
        unit=schedule.unit,
        day=today,
        task_key=schedule.task_key,
        version_id=schedule.version_id,
        due_on=schedule.next_due,
    )


def record_reminder(kind: str, reminder: Reminder, at: datetime) -> list[Event]:
    """One event per task in a message (sent, delivered or failed), with its channel."""
    return [
        record_event(
            kind,
            unit=item.schedule.unit,
            at=at,
            task_key=item.schedule.task_key,
            version_id=item.schedule.version_id,
            channel=reminder.channel,
            due_on=item.due_on,
        )
        for item in reminder.items
    ]
