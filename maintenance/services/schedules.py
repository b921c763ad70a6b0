"""Per-unit task schedules: plan, list, mark done or skipped, snooze, re-plan on a new version.

The date arithmetic lives in maintenance.services.due_dates (pure functions); this module reads and
writes the TaskSchedule and MaintenanceLog rows around it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast
from typing import Protocol as Interface

from sqlalchemy import ColumnElement, and_, case, exists, or_, select, update
from sqlalchemy.orm import QueryableAttribute

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import (
    MaintenanceLog,
    Owner,
    Ownership,
    ProductModel,
    Protocol,
    ProtocolVersion,
    ReplanQueue,
    Task,
    TaskSchedule,
    Unit,
)
from maintenance.models._base import utcnow
from maintenance.services.catalog import (
    TaskInfo,
    VersionInfo,
    VersionKey,
    current_version_for_model,
    protocol_for_model,
)
from maintenance.services.due_dates import (
    DEFAULT_SNOOZE_DAYS,
    Schedule,
    TaskRule,
    after_missed,
    days_overdue,
    first_due,
    next_due_after_done,
    reminder_date,
    replan_next_due,
    roll_over_date,
    snooze,
    spaced,
)
from maintenance.services.events import record_task_logged, record_task_snoozed
from maintenance.services.webhooks import protocol_replanned

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

# Units re-planned per transaction when working off the queue: short locks, steady progress.
REPLAN_CHUNK = 500
# The household's answers to "does this interval suit you" (TaskSchedule.pace), as logged.
PACES = ("kept", "slower", "stopped", "resumed")
# From this many misses in a row, a reminder asks whether the task's interval suits.
ASK_AFTER_MISSED = 3
# "slower" reminds every other occurrence.
SLOWER_FACTOR = 2
# The longest failure reason kept on a queue entry.
REPLAN_FAILURE_CHARS = 500

logger = logging.getLogger(__name__)


class UnknownTask(LookupError):
    """The unit's protocol has no task with this key."""


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


@dataclass(frozen=True)
class Recorded:
    """A log entry and whether this call created it (False: the same event was logged before)."""

    log: MaintenanceLog
    created: bool


def current_version(unit: Unit) -> ProtocolVersion | None:
    """The protocol version in force for a unit's model."""
    return current_version_for_model(unit.product_model)


def has_records(unit_id: ColumnElement[int] | QueryableAttribute[int]) -> ColumnElement[bool]:
    """SQL: whether the unit has a schedule or a log entry (without either, preview reads none)."""
    return or_(
        exists().where(TaskSchedule.unit_id == unit_id),
        exists().where(MaintenanceLog.unit_id == unit_id),
    )


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
            _look_again(row)
        result.append(row)
    for gone in existing.values():
        # The task left the protocol: it has no future date, its history stays in the log.
        _delete_schedule(gone)
    db.session.flush()
    return result


def pace_factor(pace: str) -> int:
    """How many occurrences one reminded occurrence stands for: 2 when the household asked."""
    return SLOWER_FACTOR if pace == "slower" else 1


def _look_again(row: TaskSchedule) -> None:
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
    from maintenance.models import ReminderItem

    for item in db.session.scalars(select(ReminderItem).where(ReminderItem.schedule_id == row.id)):
        db.session.delete(item)
    db.session.delete(row)


def models_using(protocol: Protocol) -> list[ProductModel]:
    """The product models for which this protocol is the one in force."""
    if protocol.scope != "default":
        candidates = select(ProductModel).where(ProductModel.protocol_id == protocol.id)
    else:
        candidates = select(ProductModel).where(
            ProductModel.category == protocol.category, ProductModel.protocol_id.is_(None)
        )
    return [
        model
        for model in db.session.scalars(candidates)
        if (found := protocol_for_model(model)) is not None and found.id == protocol.id
    ]


def queue_replan(protocol: Protocol) -> None:
    """Have the scheduler re-plan the units of the protocol's models (in the caller's commit).

    A newer version re-plans future dates; a protocol already queued starts over, as every
    unit is now behind the newest version.
    """
    queued = db.session.get(ReplanQueue, protocol.id)
    if queued is None:
        db.session.add(ReplanQueue(protocol_id=protocol.id))
    else:
        queued.after_unit_id, queued.queued_at = 0, utcnow()


def replan_queued(today: date, chunk: int = REPLAN_CHUNK) -> int:
    """Re-plan the queued protocols' units, a chunk per transaction, until none is left; how many.

    Pages and "my appliances" re-plan a unit on sight meanwhile, so what waits here is the
    stored plan that reminders are made from. An entry whose units cannot be planned is marked
    failed with its reason and skipped, so it never holds up the others; publishing the
    protocol again queues it anew. Several schedulers share one protocol's chunks.
    """
    total = 0
    while (claimed := _claim_replan_chunk(chunk)) is not None:
        protocol_id, unit_ids = claimed
        try:
            total += _replan_units(protocol_id, unit_ids, today)
        except _ReplanFailed as failed:  # its chunk was rolled back; mark it in a fresh one
            _mark_replan_failed(failed.protocol_id, failed.reason)
    return total


class _ReplanFailed(Exception):
    """The units of a queued protocol could not be re-planned."""

    def __init__(self, protocol_id: int, reason: str) -> None:
        super().__init__(reason)
        self.protocol_id, self.reason = protocol_id, reason


@transactional
def _claim_replan_chunk(chunk: int) -> tuple[int, list[int]] | None:
    """The next `chunk` stale units of a queued protocol, its cursor moved past them.

    The queue row is locked only while a chunk is chosen (milliseconds), not while it is
    re-planned, so several schedulers re-plan one protocol's chunks side by side. At the end the
    cursor goes back to the start once: units of a chunk whose scheduler died are still stale
    and are found again; only when none is left is the entry removed.
    """
    # A failed entry waits until the protocol is queued again (a new publish moves queued_at
    # past failed_at).
    queued = db.session.scalars(
        select(ReplanQueue)
        .where(or_(ReplanQueue.failed_at.is_(None), ReplanQueue.queued_at > ReplanQueue.failed_at))
        .order_by(ReplanQueue.queued_at)
        .with_for_update()
    ).first()
    if queued is None:
        return None
    protocol = db.session.get(Protocol, queued.protocol_id)
    model_ids = [model.id for model in models_using(protocol)] if protocol else []
    unit_ids: list[int] = []
    if protocol is not None and protocol.versions and model_ids:
        # In unit id order from where the last chunk stopped, so each unit is read once.
        unit_ids = list(
            db.session.scalars(
                select(TaskSchedule.unit_id)
                .join(Unit, Unit.id == TaskSchedule.unit_id)
                .where(
                    Unit.product_model_id.in_(model_ids),
                    TaskSchedule.version_id != protocol.current.id,
                    TaskSchedule.unit_id > queued.after_unit_id,
                )
                .group_by(TaskSchedule.unit_id)
                .order_by(TaskSchedule.unit_id)
                .limit(chunk)
            )
        )
    if unit_ids:
        queued.after_unit_id = unit_ids[-1]
    elif queued.after_unit_id:
        queued.after_unit_id = 0  # once more from the start, for chunks that did not finish
    else:
        db.session.delete(queued)
        protocol_replanned(queued.protocol_id)
    return queued.protocol_id, unit_ids


@transactional
def _replan_units(protocol_id: int, unit_ids: list[int], today: date) -> int:
    """Re-plan some units of a queued protocol in one transaction; how many."""
    try:
        for unit in db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids))):
            ensure_schedules(unit, today)
    except (ValueError, ArithmeticError, LookupError, TypeError) as exc:
        # A version that cannot be planned (a duration past the calendar's end, stored before
        # durations were bounded): the same error on every run, so retrying would only block
        # the queue. Database errors are not caught: they pass and the chunk is retried.
        raise _ReplanFailed(protocol_id, f"{type(exc).__name__}: {exc}") from exc
    return len(unit_ids)


@transactional
def _mark_replan_failed(protocol_id: int, reason: str) -> None:
    """Mark a queue entry failed with its reason, so the scheduler skips it from now on."""
    queued = db.session.get(ReplanQueue, protocol_id)
    if queued is None:
        return
    queued.failed_at = max(utcnow(), queued.queued_at)
    queued.failure = reason[:REPLAN_FAILURE_CHARS]
    # The protocol id and the error only: no unit, serial or owner reaches the log.
    logger.warning(
        "re-plan of protocol %s failed and is skipped until it is published again: %s",
        protocol_id,
        queued.failure,
    )


def upcoming(unit: Unit, today: date) -> list[UpcomingTask]:
    """The unit's tasks with their schedules, earliest due first (then protocol order)."""
    version = current_version(unit)
    if version is None:
        return []
    rows = {row.task_key: row for row in ensure_schedules(unit, today)}
    items = [UpcomingTask(task, rows[task.key]) for task in version.tasks if task.key in rows]
    return sorted(items, key=lambda item: (item.schedule.next_due, item.task.position))


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
        # A second tap on the same message link, or two household members on the same day.
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
    _look_again(schedule)
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
) -> Recorded:
    """Log a task as done (with the version in force) and move its next due date by the rule."""
    return _record(
        unit,
        task_key,
        "done",
        done_on,
        owner_id=_id(owner),
        source=source,
        reminder_id=_id(reminder),
        note=note,
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
    _look_again(schedule)
    record_task_snoozed(schedule, today)
    db.session.flush()
    return reminder_date(snoozed)


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
    _look_again(schedule)
    db.session.add(
        MaintenanceLog(
            unit_id=schedule.unit_id,
            task_key=schedule.task_key,
            version_id=schedule.version_id,
            action=pace,
            done_on=today,
            owner_id=_id(owner),
            source=source,
        )
    )
    db.session.flush()
    return True


def find_schedule(unit: Unit, task_key: str) -> TaskSchedule | None:
    """The schedule of one task of a unit, if planned."""
    return db.session.scalar(
        select(TaskSchedule).where(
            TaskSchedule.unit_id == unit.id, TaskSchedule.task_key == task_key
        )
    )
