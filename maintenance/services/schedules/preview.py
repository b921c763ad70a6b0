"""A unit's plan for a page view, worked out without writing: from its rows or from scratch."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Protocol as Interface

from sqlalchemy import select

from maintenance.extensions import db
from maintenance.models import MaintenanceLog, ProtocolVersion, TaskSchedule
from maintenance.services.catalog import VersionInfo, VersionKey
from maintenance.services.due_dates import TaskRule, first_due, replan_next_due
from maintenance.services.schedules.plan import UpcomingTask


class PlannedUnit(Interface):
    """What planning needs of a unit: an ORM Unit, or the plain copy a scan reads."""

    @property
    def id(self) -> int: ...

    @property
    def sold_on(self) -> date | None: ...


def _done_dates_by_task(unit: PlannedUnit) -> dict[str, list[date]]:
    """Every day each task was done on this unit, by any owner or anonymously: one query."""
    done: dict[str, list[date]] = {}
    for task_key, done_on in db.session.execute(
        select(MaintenanceLog.task_key, MaintenanceLog.done_on).where(
            MaintenanceLog.unit_id == unit.id, MaintenanceLog.action == "done"
        )
    ):
        done.setdefault(task_key, []).append(done_on)
    return done


def preview(
    unit: PlannedUnit,
    version: ProtocolVersion | VersionInfo,
    today: date,
) -> list[UpcomingTask]:
    """The plan as `upcoming` gives it, without writing: for page views of a unit's plan."""
    rows = {
        row.task_key: row
        for row in db.session.scalars(select(TaskSchedule).where(TaskSchedule.unit_id == unit.id))
    }
    start = unit.sold_on or today
    done_by_task: dict[str, list[date]] | None = None
    items = []
    for task in version.tasks:
        row = rows.get(task.key)
        if row is None or row.version_id != version.id:
            rule = TaskRule.from_task(task)
            if done_by_task is None:  # read once, and only when some task needs planning
                done_by_task = _done_dates_by_task(unit)
            done = done_by_task.get(task.key, [])
            planned_start = row.start_on if row is not None else start
            next_due = (
                replan_next_due(rule, start=planned_start, done_dates=done, today=today)
                if done or row is not None
                else first_due(rule, start)
            )
            # Not added to the session: a page view never writes a plan.
            row = TaskSchedule(
                task_key=task.key, version_id=version.id, start_on=planned_start, next_due=next_due
            )
        items.append(UpcomingTask(task, row))
    return sorted(items, key=lambda item: (item.schedule.next_due, item.task.position))


# First plans by (version, start): a unit nobody registered is planned from its sale date alone,
# and many units share a version and a sale date. Published versions never change.
_first_plans: dict[tuple[VersionKey, date], list[tuple[str, date]]] = {}
FIRST_PLANS_CACHE_SIZE = 8192


def due_order(
    unit: PlannedUnit | None, version: VersionInfo, today: date, *, unit_has_records: bool
) -> list[tuple[str, date]]:
    """Each task's key and next due date, earliest first (then protocol order): the unit page.

    The plan of a unit without schedules or log entries depends only on the version and the
    sale date (today's for an unregistered unit), so it is worked out once per pair.
    """
    if unit is not None and unit_has_records:
        return [(item.key, item.next_due) for item in preview(unit, version, today)]
    start = (unit.sold_on if unit is not None else None) or today
    key = (version.key, start)
    plan = _first_plans.get(key)
    if plan is None:
        plan = first_plan(version, start)
        if len(_first_plans) >= FIRST_PLANS_CACHE_SIZE:
            _first_plans.clear()  # more than in use: start over rather than track age
        _first_plans[key] = plan
    return plan


def first_plan(version: VersionInfo, start: date) -> list[tuple[str, date]]:
    """Each task's key and first due date from `start`, earliest first: a unit with no records.

    Plain dates, no schedule objects: a unit page with a sale date the cache has not seen
    works this out on the request.
    """
    plan = [
        (first_due(cached_rule(t.every, t.rrule, t.first_due), start), t) for t in version.tasks
    ]
    plan.sort(key=lambda pair: (pair[0], pair[1].position))
    return [(task.key, due) for due, task in plan]


@lru_cache(maxsize=1024)
def cached_rule(every: str | None, rrule: str | None, first: str | None) -> TaskRule:
    """A task's rule, checked once: published versions never change."""
    return TaskRule(every=every, rrule=rrule, first_due=first)
