"""An owner who never acts: missed occurrences roll on, the trigger keeps going, gently."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from maintenance.extensions import db
from maintenance.models import Event, MaintenanceLog, Reminder, ReminderItem, TaskSchedule
from maintenance.notify import Channel
from maintenance.services.reminders.dispatch import dispatch_once
from maintenance.services.reminders.materialise import materialise_due
from maintenance.services.schedules.pace import set_pace
from maintenance.services.schedules.plan import find_schedule
from maintenance.services.schedules.records import record_done, snooze_task
from tests.builders import make_owner, make_planned_unit, own, reminders, set_due
from tests.fakes import FakeSmtpServer, TwilioDouble

SOLD = date(2026, 11, 2)
# 08:30 UTC: 09:30 in Amsterdam in winter, 10:30 in summer; after the 09:00 send hour.
FIRST_PASS = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
WEEKS = 27


def _weekly_passes(channels: dict[str, Channel], weeks: int = WEEKS) -> list[datetime]:
    """What `maintenance dispatch --now` does, once a week for `weeks` weeks."""
    moments = [FIRST_PASS + timedelta(weeks=week) for week in range(weeks)]
    for now in moments:
        materialise_due(now)
        dispatch_once(now, channels=channels)
    return moments


def _items(unit_id: int, task_key: str) -> list[tuple[date, str, str]]:
    """(occurrence's reminder date, reminder kind, status) of every message about a task."""
    db.session.expire_all()
    return list(
        db.session.execute(
            select(ReminderItem.due_on, Reminder.kind, Reminder.status)
            .join(Reminder, Reminder.id == ReminderItem.reminder_id)
            .join(TaskSchedule, TaskSchedule.id == ReminderItem.schedule_id)
            .where(TaskSchedule.unit_id == unit_id, TaskSchedule.task_key == task_key)
            .order_by(Reminder.send_on)
        ).tuples()
    )


def _missed(unit_id: int, task_key: str) -> list[date]:
    return list(
        db.session.scalars(
            select(MaintenanceLog.done_on)
            .where(
                MaintenanceLog.unit_id == unit_id,
                MaintenanceLog.task_key == task_key,
                MaintenanceLog.action == "missed",
            )
            .order_by(MaintenanceLog.done_on)
        )
    )


def test_an_owner_who_never_acts_hears_of_the_monthly_task_every_month(
    db: object, channels: dict[str, Channel], smtp_server: FakeSmtpServer
) -> None:
    owner = make_owner(language="en")
    # Clean the filter monthly, refill the salt quarterly, check the hoses twice a year.
    unit = make_planned_unit(SOLD)
    own(owner, unit)

    _weekly_passes(channels)

    items = _items(unit.id, "clean-filter")
    occurrences = sorted({due for due, _, _ in items})
    # Due on 2 December, then a month after each missed one: reminded again every month.
    assert occurrences == [date(2026, 12, 2) + _months(n) for n in range(6)]
    for occurrence in occurrences:
        kinds = [kind for due, kind, status in items if due == occurrence and status == "sent"]
        assert kinds.count("due") == 1
        assert kinds.count("follow-up") <= 1
    # Nothing stays "overdue since" a date long gone: each passed occurrence is in the history.
    missed = _missed(unit.id, "clean-filter")
    assert missed == occurrences[:5]
    schedule = find_schedule(unit, "clean-filter")
    assert schedule is not None and schedule.next_due == occurrences[-1]
    assert db.session.scalar(
        select(Event.id).where(Event.kind == "task_missed", Event.task_key == "clean-filter")
    )
    # The weekly cap held: never more than three messages in any seven days.
    sent_on = sorted(r.send_on for r in reminders() if r.status == "sent")
    for first in sent_on:
        assert sum(first <= day < first + timedelta(days=7) for day in sent_on) <= 3
    # From the third miss, the reminder asks whether the interval suits; not before.
    texts = [
        (message["Subject"], message.get_body(("plain",)).get_content())
        for message in smtp_server.messages
    ]
    asking = [text for subject, text in texts if "Remind me less often" in text]
    assert asking, "no reminder asked whether the interval suits"
    first_ask = next(i for i, (_, text) in enumerate(texts) if "Remind me less often" in text)
    # The first ask comes with the fourth occurrence: three reminders of the task went before it.
    reminded = [
        text
        for subject, text in texts[:first_ask]
        if "due" in subject and "Still to do" not in subject and "Clean the filter" in text
    ]
    assert len(reminded) >= 3
    assert "slipped by last time" in texts[first_ask][1]


def _months(n: int) -> timedelta:
    """Days from 2 December 2026 to the 2nd of the n-th month after it."""
    month = 12 + n
    year, month = 2026 + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, 2) - date(2026, 12, 2)


def test_the_interval_question_comes_with_the_reminder_after_the_third_miss(
    db: object, channels: dict[str, Channel], smtp_server: FakeSmtpServer
) -> None:
    owner = make_owner(language="nl")
    unit = make_planned_unit(SOLD)
    own(owner, unit)
    set_due(unit, clean_filter=date(2026, 11, 2))

    asked_after = []
    for week in range(20):
        now = FIRST_PASS + timedelta(weeks=week)
        before = len(smtp_server.messages)
        materialise_due(now)
        dispatch_once(now, channels=channels)
        for message in smtp_server.messages[before:]:
            if "Herinner me minder vaak" in message.get_body(("plain",)).get_content():
                asked_after.append(len(_missed(unit.id, "clean-filter")))

    assert asked_after and asked_after[0] == 3
    # Until answered, it keeps asking; every ask comes with a reminder of the task itself.
    assert all(count >= 3 for count in asked_after)


def test_a_weekly_task_rolls_on_when_it_is_due_again_and_a_yearly_one_after_four_weeks(
    db: object,
) -> None:
    owner = make_owner()
    unit = make_planned_unit(SOLD)
    own(owner, unit)
    # The quarterly salt task: reminded on its day, a follow-up a week later, missed 28 days on.
    set_due(unit, refill_salt=date(2026, 11, 2))
    day = FIRST_PASS
    for _ in range(27):
        materialise_due(day)
        _deliver_all()
        day += timedelta(days=1)
    assert _missed(unit.id, "refill-salt") == []
    materialise_due(FIRST_PASS + timedelta(days=28))
    assert _missed(unit.id, "refill-salt") == [date(2026, 11, 2)]
    schedule = find_schedule(unit, "refill-salt")
    assert schedule is not None
    # As if done on its due date: the task keeps its quarterly rhythm.
    assert schedule.next_due == date(2027, 2, 2)
    kinds = [kind for _, kind, _ in _items(unit.id, "refill-salt")]
    assert kinds == ["due", "follow-up"]


def test_a_snoozed_occurrence_rolls_on_counted_from_the_end_of_the_snooze(db: object) -> None:
    owner = make_owner()
    unit = make_planned_unit(SOLD)
    own(owner, unit)
    set_due(unit, refill_salt=date(2026, 11, 2))
    schedule = find_schedule(unit, "refill-salt")
    assert schedule is not None
    snooze_task(schedule, date(2026, 11, 2), 14)

    materialise_due(FIRST_PASS + timedelta(days=29))
    assert _missed(unit.id, "refill-salt") == []
    materialise_due(FIRST_PASS + timedelta(days=14 + 28))
    assert _missed(unit.id, "refill-salt") == [date(2026, 11, 2)]


def test_done_after_a_miss_starts_the_count_again(db: object) -> None:
    owner = make_owner()
    unit = make_planned_unit(SOLD)
    own(owner, unit)
    set_due(unit, clean_filter=date(2026, 11, 2))
    materialise_due(FIRST_PASS + timedelta(days=28))
    schedule = find_schedule(unit, "clean-filter")
    assert schedule is not None and schedule.missed_in_row == 1

    record_done(unit, "clean-filter", date(2026, 12, 3), owner=owner)

    db.session.refresh(schedule)
    assert schedule.missed_in_row == 0
    assert schedule.next_due == date(2027, 1, 3)
    assert schedule.next_action_on == date(2027, 1, 3)


def test_remind_less_often_from_the_email_link_spaces_the_task_and_shows_in_history(
    app: Flask,
    client: FlaskClient,
    channels: dict[str, Channel],
    smtp_server: FakeSmtpServer,
) -> None:
    with app.app_context():
        owner = make_owner(language="en")
        unit = make_planned_unit(SOLD)
        own(owner, unit)
        unit_id = unit.id
        _weekly_passes(channels, weeks=20)
        link = _link_in_last_ask(smtp_server, "Remind me less often")

    page = client.get(link)
    assert page.status_code == 200
    assert b"every other time" in page.data
    with app.app_context():
        schedule = db.session.scalar(
            select(TaskSchedule).where(
                TaskSchedule.unit_id == unit_id, TaskSchedule.task_key == "clean-filter"
            )
        )
        assert schedule is not None and schedule.pace == "normal"  # a GET changes nothing

    token = page.data.decode()
    csrf = token.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    done = client.post(link, data={"csrf_token": csrf})
    again = client.post(link, data={"csrf_token": csrf})

    assert done.status_code == 200 and b"every other time from now on" in done.data
    assert b"already chose this" in again.data
    with app.app_context():
        schedule = db.session.scalar(
            select(TaskSchedule).where(
                TaskSchedule.unit_id == unit_id, TaskSchedule.task_key == "clean-filter"
            )
        )
        assert schedule is not None and schedule.pace == "slower"
        logged = db.session.scalars(
            select(MaintenanceLog.action).where(MaintenanceLog.source == "reminder")
        ).all()
        assert logged == ["slower"]
        due = schedule.next_due
        unit = schedule.unit
        record_done(unit, "clean-filter", due, owner=None)
        db.session.refresh(schedule)
        # Every other occurrence: two months on instead of one.
        assert schedule.next_due == _add_months(due, 2)


def test_stopping_a_task_ends_its_reminders_and_resuming_brings_them_back(db: object) -> None:
    owner = make_owner()
    unit = make_planned_unit(SOLD)
    own(owner, unit)
    set_due(unit, clean_filter=date(2026, 11, 2))
    schedule = find_schedule(unit, "clean-filter")
    assert schedule is not None

    set_pace(schedule, "stopped", date(2026, 11, 1), owner=owner, source="owner")
    stopped = [materialise_due(FIRST_PASS + timedelta(days=d)).reminders for d in range(0, 90, 7)]
    set_pace(schedule, "resumed", date(2027, 2, 1), owner=owner, source="owner")
    resumed = materialise_due(datetime(2027, 2, 2, 8, 30, tzinfo=UTC))

    assert stopped == [0] * len(stopped)
    # Back on the task's own calendar, with nothing counted as missed while it was stopped.
    assert resumed.reminders == 1 and resumed.missed == 0
    assert _missed(unit.id, "clean-filter") == []
    db.session.refresh(schedule)
    assert schedule.next_due == date(2027, 2, 2)
    actions = db.session.scalars(select(MaintenanceLog.action).order_by(MaintenanceLog.id)).all()
    assert actions[:1] == ["stopped"] and "resumed" in actions


def test_a_paused_owners_tasks_roll_on_and_resuming_reminds_what_is_due_now(db: object) -> None:
    from maintenance.services.owners.settings import Settings, update_settings

    owner = make_owner()
    unit = make_planned_unit(SOLD)
    own(owner, unit)
    set_due(unit, clean_filter=date(2026, 11, 2))
    owner.paused = True
    db.session.commit()

    paused = [materialise_due(FIRST_PASS + timedelta(weeks=w)).reminders for w in range(10)]
    assert paused == [0] * 10
    assert len(_missed(unit.id, "clean-filter")) == 2  # the page does not say "since November"

    update_settings(
        owner,
        Settings(
            channel="email",
            language=owner.language,
            preferred_hour=9,
            time_zone="Europe/Amsterdam",
            digest=True,
            paused=False,
        ),
    )
    back = materialise_due(FIRST_PASS + timedelta(weeks=10))

    assert back.reminders == 1
    [reminder] = [r for r in reminders() if r.owner_id == owner.id]
    assert [item.due_on for item in reminder.items] == [date(2027, 1, 2)]


def _deliver_all() -> None:
    """Mark every pending reminder sent, as a dispatch pass would."""
    for reminder in reminders():
        if reminder.status == "pending":
            reminder.status = "sent"
    db.session.commit()


def _link_in_last_ask(smtp_server: FakeSmtpServer, label: str) -> str:
    """The path of the link after `label` in the newest email that asks about the interval."""
    for message in reversed(smtp_server.messages):
        text = message.get_body(("plain",)).get_content()
        for line in text.splitlines():
            if line.strip().startswith(label + ":"):
                return line.split(": ", 1)[1].strip().removeprefix("http://localhost")
    raise AssertionError("no email asked about the interval")


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)


def test_an_sms_owner_gets_the_interval_question_on_the_reminder_page(
    app: Flask,
    client: FlaskClient,
    channels: dict[str, Channel],
    twilio_double: TwilioDouble,
) -> None:
    with app.app_context():
        owner = make_owner(channel="sms", language="en")
        unit = make_planned_unit(SOLD)
        own(owner, unit)
        set_due(unit, clean_filter=date(2026, 11, 2))
        for week in range(14):
            now = FIRST_PASS + timedelta(weeks=week)
            materialise_due(now)
            dispatch_once(now, channels=channels)
        assert len(_missed(unit.id, "clean-filter")) == 3

    bodies = [message["body"] for message in twilio_double.messages]
    assert all(len(body) <= 160 for body in bodies)
    link = bodies[-1].rsplit(" ", 1)[-1].removeprefix("http://localhost")
    page = client.get(link)

    assert page.status_code == 200
    assert b"Would it suit your household better" in page.data
    assert b"/a/pace/" in page.data
