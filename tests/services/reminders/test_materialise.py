"""Materialising due tasks into reminder rows: digests, per-task, follow-ups, the weekly cap."""

from __future__ import annotations

import os
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from maintenance.services.reminders.materialise import MaterialiseResult, materialise_due
from tests.builders import make_owner, make_planned_unit, own, reminders, set_due

TODAY = date(2025, 3, 10)
# 06:00 UTC = 07:00 in Amsterdam: before the 09:00 send hour.
NOW = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)


def test_tasks_due_this_week_on_two_appliances_make_one_digest(db: object) -> None:
    owner = make_owner()
    washer, dryer = make_planned_unit(TODAY), make_planned_unit(TODAY)
    own(owner, washer)
    own(owner, dryer)
    set_due(washer, clean_filter=TODAY, refill_salt=TODAY + timedelta(days=3))
    set_due(dryer, clean_filter=TODAY + timedelta(days=6), refill_salt=TODAY + timedelta(days=20))

    result = materialise_due(NOW)

    [reminder] = reminders()
    assert result.reminders == 1
    assert len(reminder.items) == 3
    assert reminder.send_on == TODAY
    assert reminder.next_attempt_at == datetime(2025, 3, 10, 8, 0, tzinfo=UTC)  # 09:00 local


def test_materialise_twice_adds_nothing(db: object) -> None:
    owner = make_owner()
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY)

    materialise_due(NOW)
    again = materialise_due(NOW + timedelta(minutes=5))
    next_day = materialise_due(NOW + timedelta(days=1))

    assert again.reminders == 0 and next_day.reminders == 0
    assert len(reminders()) == 1


def test_owner_who_chose_one_message_per_task_gets_one_each(db: object) -> None:
    owner = make_owner(digest=False)
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY, refill_salt=TODAY - timedelta(days=1))

    materialise_due(NOW)

    rows = reminders()
    assert len(rows) == 2
    assert all(len(reminder.items) == 1 for reminder in rows)


def test_unverified_paused_or_former_owners_get_nothing(db: object) -> None:
    unit = make_planned_unit(TODAY)
    set_due(unit, clean_filter=TODAY)
    unverified = make_owner()
    unverified.email_verified_at = None
    paused = make_owner()
    paused.paused = True
    former = make_owner()
    db.session.commit()  # type: ignore[attr-defined]
    for owner in (unverified, paused, former):
        own(owner, unit)
    former.ownerships[0].ended_at = NOW
    db.session.commit()  # type: ignore[attr-defined]

    assert materialise_due(NOW).reminders == 0


def _send_everything(now: datetime) -> None:
    """Mark every pending reminder as sent, as a dispatch pass would."""
    from maintenance.extensions import db

    for reminder in reminders():
        if reminder.status == "pending":
            reminder.status = "sent"
            reminder.sent_at = now
    db.session.commit()


def test_one_follow_up_a_week_after_the_reminder_then_nothing_until_the_owner_acts(
    db: object,
) -> None:
    from maintenance.services.schedules.records import record_done

    owner = make_owner()
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY)
    materialise_due(NOW)
    _send_everything(NOW)

    added = {}
    for days in range(1, 15):
        result = materialise_due(NOW + timedelta(days=days))
        added[days] = (result.reminders, result.follow_ups)
        _send_everything(NOW + timedelta(days=days))

    assert added[7] == (1, 1)
    assert all(added[day] == (0, 0) for day in added if day != 7)
    assert [reminder.kind for reminder in reminders()] == ["due", "follow-up"]

    record_done(unit, "clean-filter", TODAY + timedelta(days=15), owner=owner)
    assert materialise_due(NOW + timedelta(days=16)).reminders == 0


def test_at_most_three_messages_a_week_whatever_is_due(db: object) -> None:
    owner = make_owner(digest=False)
    for _ in range(2):
        unit = make_planned_unit(TODAY)
        own(owner, unit)
        set_due(unit, clean_filter=TODAY, refill_salt=TODAY, check_hoses=TODAY)

    first = materialise_due(NOW)
    during_week = [materialise_due(NOW + timedelta(days=day)).reminders for day in range(1, 7)]
    week_later = materialise_due(NOW + timedelta(days=7))

    assert first.reminders == 3 and first.held_by_cap == 3
    assert during_week == [0] * 6
    assert week_later.reminders == 3


def test_a_snoozed_task_is_reminded_again_when_the_snooze_ends(db: object) -> None:
    from maintenance.services.schedules.plan import find_schedule
    from maintenance.services.schedules.records import snooze_task

    owner = make_owner()
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY)
    materialise_due(NOW)
    _send_everything(NOW)
    snooze_task(find_schedule(unit, "clean-filter"), TODAY, 7)

    before = [materialise_due(NOW + timedelta(days=day)).reminders for day in range(1, 7)]
    at_end = materialise_due(NOW + timedelta(days=7))

    assert before == [0] * 6
    assert at_end.reminders == 1 and at_end.follow_ups == 0
    assert reminders()[-1].items[0].due_on == TODAY + timedelta(days=7)


@pytest.mark.skipif(
    "postgresql" not in os.environ.get("TEST_DATABASE_URL", ""),
    reason="needs PostgreSQL (set TEST_DATABASE_URL): SQLite has no row locks to share work by",
)
def test_two_schedulers_divide_a_pass_and_make_each_reminder_once_on_postgresql(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from maintenance.extensions import db
    from maintenance.models import Reminder
    from maintenance.services.reminders import materialise

    monkeypatch.setattr(materialise, "OWNERS_PER_TRANSACTION", 5)
    with app.app_context():
        for _ in range(60):
            owner = make_owner()
            unit = make_planned_unit(TODAY)
            own(owner, unit)
            set_due(unit, clean_filter=TODAY)
    start = threading.Barrier(2)
    results: list[MaterialiseResult] = []

    def scheduler() -> None:
        with app.app_context():
            start.wait()
            results.append(materialise_due(NOW))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(result.reminders for result in results) == 60
    with app.app_context():
        per_owner = db.session.execute(
            select(Reminder.owner_id, func.count()).group_by(Reminder.owner_id)
        ).all()
    assert len(per_owner) == 60 and {count for _, count in per_owner} == {1}


def test_a_pass_just_after_local_midnight_finds_that_days_reminders(db: object) -> None:
    owner = make_owner()  # Europe/Amsterdam
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY + timedelta(days=1))

    before_midnight = materialise_due(datetime(2025, 3, 10, 22, 50, tzinfo=UTC))  # 23:50 local
    after_midnight = materialise_due(datetime(2025, 3, 10, 23, 10, tzinfo=UTC))  # 00:10 local

    assert before_midnight.reminders == 0
    assert after_midnight.reminders == 1
    [reminder] = reminders()
    assert reminder.send_on == TODAY + timedelta(days=1)
