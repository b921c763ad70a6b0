"""The services record anonymous events where things happen, in the same transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from maintenance.extensions import db
from maintenance.models import Event, Reminder, ReminderItem, TaskSchedule
from maintenance.services.owners.erase import delete_owner
from maintenance.services.owners.ownership import add_unit, end_ownership
from maintenance.services.reminders.delivery import record_status
from maintenance.services.schedules.records import record_done, record_skip, snooze_task
from tests.builders import make_owner, make_planned_unit

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def events(kind: str) -> list[Event]:
    db.session.expire_all()
    return list(db.session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))


def sent_reminder(owner, unit, sent: datetime) -> Reminder:
    """A reminder for the unit's clean-filter task, as the dispatcher leaves it after sending."""
    schedule = db.session.scalar(
        select(TaskSchedule).where(
            TaskSchedule.unit_id == unit.id, TaskSchedule.task_key == "clean-filter"
        )
    )
    reminder = Reminder(
        dedupe_key=f"{owner.id}:email:{sent.date()}:due",
        owner_id=owner.id,
        channel="email",
        send_on=sent.date(),
        status="sent",
        next_attempt_at=sent,
        sent_at=sent,
        provider_id="SM-test-1",
    )
    reminder.items.append(ReminderItem(schedule_id=schedule.id, due_on=schedule.next_due))
    db.session.add(reminder)
    db.session.commit()
    return reminder


def test_an_owner_journey_leaves_anonymous_events(ctx) -> None:
    unit = make_planned_unit(TODAY)
    owner = make_owner()
    add_unit(owner, unit, NOW)
    [confirmed] = events("confirmed")
    assert (confirmed.unit_id, confirmed.product_model_id, confirmed.channel) == (
        unit.id,
        unit.product_model_id,
        "email",
    )
    reminder = sent_reminder(owner, unit, NOW)
    record_status("SM-test-1", "delivered", None, NOW)
    [delivered] = events("reminder_delivered")
    assert delivered.task_key == "clean-filter" and delivered.channel == "email"

    due = db.session.get(TaskSchedule, reminder.items[0].schedule_id).next_due
    record_done(
        unit,
        "clean-filter",
        TODAY + timedelta(days=3),
        owner=owner,
        source="reminder",
        reminder=reminder,
    )
    [done] = events("task_done")
    assert done.from_reminder is True
    assert done.due_on == due and done.days_late == (TODAY + timedelta(days=3) - due).days

    # Through the same reminder's link, but weeks later: not "done after the reminder".
    record_skip(
        unit,
        "refill-salt",
        TODAY + timedelta(days=30),
        owner=owner,
        source="reminder",
        reminder=reminder,
    )
    [skipped] = events("task_skipped")
    assert skipped.from_reminder is False

    schedule = db.session.scalar(
        select(TaskSchedule).where(
            TaskSchedule.unit_id == unit.id, TaskSchedule.task_key == "check-hoses"
        )
    )
    snooze_task(schedule, TODAY)
    assert [e.task_key for e in events("task_snoozed")] == ["check-hoses"]

    end_ownership(owner, unit, NOW + timedelta(days=40))
    assert len(events("ownership_ended")) == 1

    # Erasing the owner leaves every event as it was: there was nothing of them in it.
    before = len(events("task_done")) + len(events("confirmed"))
    delete_owner(owner)
    assert len(events("task_done")) + len(events("confirmed")) == before
