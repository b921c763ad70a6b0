"""Per-unit schedules: first due dates, done/skip, idempotent logging, snooze and re-planning."""

from __future__ import annotations

import os
import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from maintenance.extensions import db
from maintenance.models import MaintenanceLog, ReplanQueue, Unit
from maintenance.services.protocols import load_protocol
from maintenance.services.protocols.publish import publish_protocol
from maintenance.services.schedules.plan import ensure_schedules, find_schedule, upcoming
from maintenance.services.schedules.records import (
    UnknownTask,
    record_done,
    record_skip,
    snooze_task,
)
from maintenance.services.schedules.replan import replan_queued
from tests.builders import gtin, make_model, make_unit

PROTOCOL = """
format: maintenance-protocol/1
category: dishwasher
title: {{nl: Vaatwasser, en: Dishwasher}}
tasks:
  - id: clean-filter
    title: {{nl: Filter, en: Filter}}
    why: {{nl: Schoon, en: Clean}}
    every: {filter_every}
    difficulty: easy
    steps: [{{nl: Doe het, en: Do it}}]
  - id: check-hoses
    title: {{nl: Ontkalken, en: Descale}}
    why: {{nl: Kalk, en: Scale}}
    rrule: "FREQ=YEARLY;BYMONTH=4"
    difficulty: easy
    steps: [{{nl: Doe het, en: Do it}}]
"""


def publish(filter_every: str = "P1M", today: date | None = None) -> object:
    """Publish the test category default for dishwashers; with `today`, re-plan as the scheduler
    would that day."""
    text = PROTOCOL.format(filter_every=filter_every)
    version = publish_protocol(load_protocol(text.encode(), filename="t.yaml")).version
    if today is not None:
        replan_queued(today)
    return version


def test_tasks_are_planned_from_the_sale_date_and_listed_by_due_date(ctx) -> None:
    publish()
    unit = make_unit(sold_on=date(2024, 1, 10))
    tasks = upcoming(unit, date(2024, 1, 20))
    assert [(t.key, t.next_due) for t in tasks] == [
        ("clean-filter", date(2024, 2, 10)),
        ("check-hoses", date(2024, 4, 1)),
    ]


def test_without_a_sale_date_the_plan_starts_today(ctx) -> None:
    publish()
    unit = make_unit(sold_on=None)
    tasks = upcoming(unit, date(2024, 6, 5))
    assert tasks[0].next_due == date(2024, 7, 5)


def test_done_moves_the_next_date_and_logs_once_per_day(ctx) -> None:
    publish()
    unit = make_unit()
    ensure_schedules(unit, date(2024, 1, 10))
    first = record_done(unit, "clean-filter", date(2024, 2, 12), source="reminder")
    again = record_done(unit, "clean-filter", date(2024, 2, 12), source="reminder")
    assert first.created and not again.created
    assert again.log.id == first.log.id
    count = db.session.scalar(select(func.count()).select_from(MaintenanceLog))
    assert count == 1
    assert find_schedule(unit, "clean-filter").next_due == date(2024, 3, 12)
    assert first.log.version_id == find_schedule(unit, "clean-filter").version_id


def test_done_clears_snooze_and_snooze_keeps_the_due_date(ctx) -> None:
    publish()
    unit = make_unit()
    ensure_schedules(unit, date(2024, 1, 10))
    schedule = find_schedule(unit, "clean-filter")
    assert snooze_task(schedule, date(2024, 2, 10), days=7) == date(2024, 2, 17)
    assert schedule.next_due == date(2024, 2, 10)
    record_done(unit, "clean-filter", date(2024, 2, 15))
    assert schedule.snoozed_until is None


def test_skip_moves_to_the_next_occurrence(ctx) -> None:
    publish()
    unit = make_unit()
    ensure_schedules(unit, date(2024, 1, 10))
    record_skip(unit, "check-hoses", date(2024, 3, 20))
    assert find_schedule(unit, "check-hoses").next_due == date(2025, 4, 1)
    log = db.session.scalar(select(MaintenanceLog))
    assert log.action == "skipped"


def test_unknown_task_is_refused(ctx) -> None:
    publish()
    unit = make_unit()
    with pytest.raises(UnknownTask):
        record_done(unit, "polish-the-moon", date(2024, 2, 1))


def test_a_new_version_replans_future_dates_and_keeps_history(ctx) -> None:
    first_version = publish("P1M")
    unit = make_unit()
    ensure_schedules(unit, date(2024, 1, 10))
    record_done(unit, "clean-filter", date(2024, 2, 1))
    second_version = publish("P2M", today=date(2024, 2, 5))
    assert replan_queued(date(2024, 2, 5)) == 0, "the queue was worked off"
    schedule = find_schedule(unit, "clean-filter")
    assert schedule.next_due == date(2024, 4, 1)
    assert schedule.version_id == second_version.id
    log = db.session.scalar(select(MaintenanceLog))
    assert log.version_id == first_version.id


def test_a_new_version_never_makes_a_task_overdue(ctx) -> None:
    publish("P6M")
    unit = make_unit(sold_on=date(2024, 1, 1))
    ensure_schedules(unit, date(2024, 1, 1))
    publish("P1M", today=date(2024, 5, 1))
    assert find_schedule(unit, "clean-filter").next_due == date(2024, 5, 1)


@pytest.mark.parametrize(
    "start", [date(2024, 1, 31), date(2024, 2, 29), date(2025, 6, 15), date(2025, 12, 31)]
)
def test_the_first_plan_of_every_library_protocol_is_the_previewed_plan(
    library, start: date
) -> None:
    """The unit page's direct first plan gives the dates and order preview gives a new unit."""
    from types import SimpleNamespace

    from maintenance.models import ProtocolVersion
    from maintenance.services.catalog import VersionKey, version_info
    from maintenance.services.schedules.preview import first_plan, preview

    new_unit = SimpleNamespace(id=0, sold_on=start)  # no unit has id 0: no schedules, no logs
    versions = db.session.scalars(select(ProtocolVersion)).all()
    assert len(versions) >= 28
    for row in versions:
        version = version_info(VersionKey(row.id, row.number, row.content_hash))
        previewed = [(item.key, item.next_due) for item in preview(new_unit, version, start)]
        assert first_plan(version, start) == previewed, row.id


def _units_under_maintenance(count: int) -> list[Unit]:
    units = [make_unit(serial=f"SN{number}") for number in range(count)]
    for unit in units:
        ensure_schedules(unit, date(2024, 1, 10))
    db.session.commit()
    return units


def test_publishing_queues_the_replan_instead_of_doing_it(ctx) -> None:
    """A model with many units must not hold up the publish request: the scheduler re-plans."""
    publish("P1M")
    (unit,) = _units_under_maintenance(1)
    version = publish("P2M")
    assert find_schedule(unit, "clean-filter").version_id != version.id
    assert db.session.get(ReplanQueue, version.protocol_id) is not None
    assert replan_queued(date(2024, 2, 5)) == 1
    assert find_schedule(unit, "clean-filter").version_id == version.id
    assert db.session.scalar(select(func.count()).select_from(ReplanQueue)) == 0


def test_the_queue_is_worked_off_in_chunks_and_a_new_version_starts_over(ctx) -> None:
    publish("P1M")
    units = _units_under_maintenance(5)
    first = publish("P2M")
    from maintenance.services.schedules.replan import _claim_replan_chunk, _replan_units

    protocol_id, chunk = _claim_replan_chunk(2)
    assert _replan_units(protocol_id, chunk, date(2024, 2, 5)) == 2
    assert db.session.get(ReplanQueue, first.protocol_id).after_unit_id == units[1].id
    second = publish("P3M")  # before the queue was worked off
    assert db.session.get(ReplanQueue, first.protocol_id).after_unit_id == 0
    assert replan_queued(date(2024, 2, 5), chunk=2) == 5  # the two done already are behind too
    for unit in units:
        for key in ("clean-filter", "check-hoses"):
            assert find_schedule(unit, key).version_id == second.id
    assert replan_queued(date(2024, 2, 5)) == 0
    assert db.session.get(ReplanQueue, first.protocol_id) is None


def test_a_chunk_whose_scheduler_died_is_planned_in_the_sweep_at_the_end(ctx) -> None:
    from maintenance.services.schedules.replan import _claim_replan_chunk

    publish("P1M")
    units = _units_under_maintenance(5)
    second = publish("P2M")
    _claim_replan_chunk(2)  # claimed, then the scheduler died before re-planning it

    assert replan_queued(date(2024, 2, 5), chunk=2) == 5
    for unit in units:
        assert find_schedule(unit, "clean-filter").version_id == second.id
    assert db.session.get(ReplanQueue, second.protocol_id) is None


WASHER_GTIN = gtin("871234599998")
WASHER = """
format: maintenance-protocol/1
category: washing-machine
title: {nl: Wasmachine, en: Washing machine}
tasks:
  - id: clean-filter
    title: {nl: Filter, en: Filter}
    why: {nl: Schoon, en: Clean}
    every: EVERY
    difficulty: easy
    steps: [{nl: Doe het, en: Do it}]
"""


def _publish_washer(every: str) -> object:
    text = WASHER.replace("EVERY", every)
    return publish_protocol(load_protocol(text.encode(), filename="w.yaml")).version


def test_a_queue_entry_that_cannot_be_planned_is_marked_and_skipped(
    ctx, caplog: pytest.LogCaptureFixture
) -> None:
    """A version stored before durations were bounded must not hold up other publishes."""
    publish("P1M")
    _publish_washer("P1M")
    (dishwasher,) = _units_under_maintenance(1)
    make_model(gtin=WASHER_GTIN, category="washing-machine")
    washer = make_unit(gtin=WASHER_GTIN, serial="WM-SECRET-1")
    ensure_schedules(washer, date(2024, 1, 10))
    bad = publish("P2M")
    # As stored before item 10: a duration that runs past the end of the calendar.
    for task in bad.tasks:
        if task.key == "clean-filter":
            task.every = "P9999Y"
    db.session.commit()
    good = _publish_washer("P2M")  # queued after the bad one

    with caplog.at_level("WARNING", logger="maintenance.services.schedules.replan"):
        assert replan_queued(date(2024, 2, 5)) == 1

    assert find_schedule(washer, "clean-filter").version_id == good.id
    assert find_schedule(dishwasher, "clean-filter").version_id != bad.id
    entry = db.session.get(ReplanQueue, bad.protocol_id)
    assert entry.failed_at is not None
    assert "out of range" in entry.failure
    logged = caplog.text
    assert f"re-plan of protocol {bad.protocol_id} failed" in logged
    assert "SN0" not in logged and "WM-SECRET-1" not in logged
    # Skipped from now on: the next run neither raises nor tries it again.
    assert replan_queued(date(2024, 2, 6)) == 0
    # Published again (fixed), the protocol is queued anew and planned.
    fixed = publish("P3M")
    assert replan_queued(date(2024, 2, 7)) == 1
    assert find_schedule(dishwasher, "clean-filter").version_id == fixed.id
    assert db.session.get(ReplanQueue, bad.protocol_id) is None


@pytest.mark.skipif(
    "postgresql" not in os.environ.get("TEST_DATABASE_URL", ""),
    reason="needs PostgreSQL (set TEST_DATABASE_URL): SQLite has no row locks to share work by",
)
def test_two_schedulers_share_one_protocols_re_plan(app) -> None:
    with app.app_context():
        publish("P1M")
        units = [unit.id for unit in _units_under_maintenance(12)]
        second = publish("P2M").id
    start = threading.Barrier(2)
    done: list[int] = []

    def scheduler() -> None:
        with app.app_context():
            start.wait()
            done.append(replan_queued(date(2024, 2, 5), chunk=2))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(done) >= 12
    with app.app_context():
        for unit_id in units:
            unit = db.session.get(Unit, unit_id)
            assert find_schedule(unit, "clean-filter").version_id == second
        assert db.session.scalar(select(func.count()).select_from(ReplanQueue)) == 0
