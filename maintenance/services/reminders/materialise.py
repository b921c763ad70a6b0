"""Turn the task schedules whose next action has come into reminder rows (the outbox)."""

# Each schedule stores the day it next needs the scheduler (TaskSchedule.next_action_on): its
# reminder, its follow-up, or its occurrence rolling on as missed. A pass reads only those, so it
# costs what is due today, not what was ever ignored.
#
# - Reminder: one per owner, channel and send date: a digest of every task whose reminder date
#   falls within a week of the first one (due_dates.tasks_due_within), or one per task when the
#   owner chose that. A task is reminded once per reminder date (its due date, or a snooze's end).
# - Follow-up: one, FOLLOW_UP_DAYS after the delivered reminder, while the task is still open and
#   the occurrence has not rolled on by then.
# - Missed: an occurrence left alone until due_dates.roll_over_date is logged as missed (an
#   anonymous event too) and the task's next occurrence takes its place, with its own reminder and
#   follow-up. From schedules.ASK_AFTER_MISSED misses in a row the reminder asks whether the
#   interval suits the household.
# - At most MAX_MESSAGES_PER_WEEK reminders per owner in any 7 days: tasks over the cap wait a day.
#
# Several scheduler processes divide a pass: each locks chunks of owners (and their schedules)
# with FOR UPDATE SKIP LOCKED, in its own random order, and never waits for another; what one
# skips, the other is doing. The unique dedupe_key stays the last line of defence.

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, func, select

from maintenance.clock import local_today
from maintenance.db.bulk import id_in
from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import Owner, Ownership, TaskSchedule
from maintenance.services import due_dates
from maintenance.services.reminders.locked_schedules import (
    LockedSchedule,
    locked_schedule,
    log_missed,
    roll_on,
    schedule_query,
    write_back,
)
from maintenance.services.reminders.planning import (
    AlreadySent,
    PlannedReminder,
    already_sent,
    insert_planned,
    next_action,
    plan_reminders,
    sent_this_week,
)
from maintenance.services.reminders.reachability import reachable_clause

# Owners handled per transaction: short row locks, bounded memory.
OWNERS_PER_TRANSACTION = 200
# Schedules that no reachable owner hears about, rolled on per transaction.
SCHEDULES_PER_TRANSACTION = 1000


@dataclass
class MaterialiseResult:
    """What one pass added."""

    reminders: int = 0
    items: int = 0
    follow_ups: int = 0
    held_by_cap: int = 0
    missed: int = 0

    def add(self, other: MaterialiseResult) -> None:
        """Add another result's counts to this one."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _horizon(now: datetime) -> date:
    """The latest next-action day a pass looks at: today in the service's own time zone.

    Not the latest date anywhere on earth: from 10:00 UTC that is tomorrow, and every pass
    would read all of tomorrow's actions only to leave them. An owner in a zone ahead of the
    service's gets their day's reminders once it is that day here too: a few hours later, still
    within their send window (sent at their own hour, never in their quiet hours).
    """
    service_today = local_today(current_app.config.get("DEFAULT_TIME_ZONE"), now)
    return max(now.astimezone(UTC).date(), service_today)


def _due_owners(now: datetime) -> list[int]:
    """Reachable owners with a schedule whose next action has come on their own calendar."""
    rows = db.session.execute(
        select(Owner.id, Owner.time_zone, func.min(TaskSchedule.next_action_on))
        .join(Ownership, and_(Ownership.owner_id == Owner.id, Ownership.ended_at.is_(None)))
        .join(TaskSchedule, TaskSchedule.unit_id == Ownership.unit_id)
        .where(TaskSchedule.next_action_on <= _horizon(now), reachable_clause())
        .group_by(Owner.id, Owner.time_zone)
    )
    return sorted(owner_id for owner_id, zone, first in rows if first <= local_today(zone, now))


def _has_due_schedule(now: datetime) -> Any:
    """SQL: the owner has a schedule whose day may have come."""
    return exists().where(
        Ownership.owner_id == Owner.id,
        Ownership.ended_at.is_(None),
        TaskSchedule.unit_id == Ownership.unit_id,
        TaskSchedule.next_action_on <= _horizon(now),
    )


@transactional
def _materialise_owners(owner_ids: list[int], now: datetime) -> MaterialiseResult:
    """Plan and insert the reminders of some owners in one transaction."""
    config = current_app.config
    follow_up_days = int(config.get("FOLLOW_UP_DAYS", due_dates.DEFAULT_FOLLOW_UP_DAYS))
    cap = int(config.get("MAX_MESSAGES_PER_WEEK", 3))
    result = MaterialiseResult()
    # Another scheduler holding an owner is doing that owner: skip it, never wait. One that
    # has no due schedule left was done by another scheduler already: skip it too.
    owners = db.session.execute(
        select(Owner.id, Owner.channel, Owner.digest, Owner.time_zone, Owner.preferred_hour)
        .where(id_in(Owner.id, owner_ids), reachable_clause(), _has_due_schedule(now))
        .order_by(Owner.id)
        .with_for_update(skip_locked=True)
    ).all()
    if not owners:
        return result
    todays = {owner.id: local_today(owner.time_zone, now) for owner in owners}
    window_end = max(todays.values()) + timedelta(days=due_dates.DIGEST_DAYS)
    units = select(Ownership.unit_id).where(
        id_in(Ownership.owner_id, list(todays)), Ownership.ended_at.is_(None)
    )
    schedules: dict[int, LockedSchedule] = {}
    by_owner: dict[int, list[LockedSchedule]] = defaultdict(list)
    # The schedules of these owners' units, with every reachable owner of each (a household
    # shares a unit): the next action must wait for the owners of other chunks too.
    for row in db.session.execute(
        schedule_query()
        .add_columns(Ownership.owner_id)
        .join(Ownership, Ownership.unit_id == TaskSchedule.unit_id)
        .join(Owner, Owner.id == Ownership.owner_id)
        .where(
            TaskSchedule.unit_id.in_(units),
            TaskSchedule.next_action_on <= window_end,
            Ownership.ended_at.is_(None),
            reachable_clause(),
        )
    ):
        schedule = schedules.get(row[0])
        if schedule is None:
            schedule = schedules[row[0]] = locked_schedule(row)
        schedule.owners.append(row[-1])
        if row[-1] in todays:
            by_owner[row[-1]].append(schedule)
    # An occurrence rolls on once for all its owners, on the earliest calendar among them.
    missed: list[tuple[LockedSchedule, date]] = []
    today_of = {
        s.id: min(todays[owner_id] for owner_id in s.owners if owner_id in todays)
        for s in schedules.values()
    }
    for schedule in schedules.values():
        roll_on(schedule, today_of[schedule.id], missed)
    log_missed(missed, min(todays.values()), now)
    result.missed = len(missed)
    sent = already_sent(
        schedules, sorted({owner_id for s in schedules.values() for owner_id in s.owners})
    )
    counts = sent_this_week(owners, todays)
    to_insert: list[PlannedReminder] = []
    for owner in owners:
        today = todays[owner.id]
        mine = [s for s in by_owner[owner.id] if s.pace != "stopped"]
        planned = plan_reminders(owner, mine, sent, today, follow_up_days)
        room = max(0, cap - counts[owner.id])
        result.held_by_cap += sum(len(p.items) for p in planned[room:])
        to_insert += planned[:room]
    for _reminder_id, plan in insert_planned(to_insert, now):
        for schedule, follow_up in plan.items:
            sent.setdefault(
                (schedule.id, plan.owner.id, schedule.reminder_on),
                AlreadySent(plan.send_on, None, True),
            )
            if follow_up:
                schedule.follow_up_sent_on = plan.send_on
                result.follow_ups += 1
        result.reminders += 1
        result.items += len(plan.items)
    for schedule in schedules.values():
        schedule.next_action_on = next_action(schedule, sent, today_of[schedule.id], follow_up_days)
    write_back([s for s in schedules.values() if s.state() != s.loaded])
    return result


def _nobody_hears() -> Any:
    """SQL: the schedule's unit has no active owner who can be reached."""
    return ~exists().where(
        Ownership.unit_id == TaskSchedule.unit_id,
        Ownership.ended_at.is_(None),
        Owner.id == Ownership.owner_id,
        reachable_clause(),
    )


@transactional
def _roll_unheard(today: date, now: datetime) -> tuple[int, int]:
    """Roll on missed occurrences of schedules no reachable owner hears about, one chunk.

    Returns how many schedules were read (0 when none was left) and how many occurrences were
    missed. Each one read gets its next action after today, so the next chunk reads others.
    Their pages stay true, and when the owner can be reached again (wake_owner) the current
    occurrence is reminded.
    """
    rows = db.session.execute(
        schedule_query()
        .where(TaskSchedule.next_action_on <= today, _nobody_hears())
        .limit(SCHEDULES_PER_TRANSACTION)
    ).all()
    missed: list[tuple[LockedSchedule, date]] = []
    schedules = [locked_schedule(row) for row in rows]
    for schedule in schedules:
        roll_on(schedule, today, missed)
        schedule.next_action_on = (
            None
            if schedule.pace == "stopped"
            else max(schedule.roll_over_on, today + timedelta(days=1))
        )
    log_missed(missed, today, now)
    write_back(schedules)
    return len(rows), len(missed)


def materialise_due(now: datetime) -> MaterialiseResult:
    """Add the reminders due at `now` (aware) for every reachable owner; safe to run again."""
    if now.tzinfo is None:
        raise ValueError("pass an aware datetime")
    owner_ids = _due_owners(now)
    db.session.rollback()  # end the read; each chunk of owners is its own transaction
    chunks = [
        owner_ids[start : start + OWNERS_PER_TRANSACTION]
        for start in range(0, len(owner_ids), OWNERS_PER_TRANSACTION)
    ]
    # Each process in its own order: two schedulers mostly take different chunks, and where
    # they meet, SKIP LOCKED sends each past the other's.
    random.shuffle(chunks)
    total = MaterialiseResult()
    for chunk in chunks:
        total.add(_materialise_owners(chunk, now))
    today = now.astimezone(UTC).date()
    while True:
        read, missed = _roll_unheard(today, now)
        total.missed += missed
        if not read:
            return total
