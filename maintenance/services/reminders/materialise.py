"""Turn the task schedules whose next action has come into reminder rows (the outbox).

Each schedule stores the day it next needs the scheduler (TaskSchedule.next_action_on): its
reminder, its follow-up, or its occurrence rolling on as missed. A pass reads only those, so it
costs what is due today, not what was ever ignored.

- Reminder: one per owner, channel and send date: a digest of every task whose reminder date
  falls within a week of the first one (due_dates.tasks_due_within), or one per task when the
  owner chose that. A task is reminded once per reminder date (its due date, or a snooze's end).
- Follow-up: one, FOLLOW_UP_DAYS after the delivered reminder, while the task is still open and
  the occurrence has not rolled on by then.
- Missed: an occurrence left alone until due_dates.roll_over_date is logged as missed (an
  anonymous event too) and the task's next occurrence takes its place, with its own reminder and
  follow-up. From schedules.ASK_AFTER_MISSED misses in a row the reminder asks whether the
  interval suits the household.
- At most MAX_MESSAGES_PER_WEEK reminders per owner in any 7 days: tasks over the cap wait a day.

Several scheduler processes divide a pass: each locks chunks of owners (and their schedules)
with FOR UPDATE SKIP LOCKED, in its own random order, and never waits for another; what one
skips, the other is doing. The unique dedupe_key stays the last line of defence.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, func, select

from maintenance.clock import local_today, time_zone
from maintenance.db.bulk import id_in, insert_new_rows, insert_rows, update_rows
from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import (
    MaintenanceLog,
    Owner,
    Ownership,
    ProductModel,
    Reminder,
    ReminderItem,
    Task,
    TaskSchedule,
    Unit,
)
from maintenance.services import due_dates
from maintenance.services.due_dates import Schedule, TaskRule
from maintenance.services.events import UnitFacts, add_events, event_row
from maintenance.services.reminders.reachability import reachable_clause
from maintenance.services.schedules import cached_rule, pace_factor

# Owners handled per transaction: short row locks, bounded memory.
OWNERS_PER_TRANSACTION = 200
# Schedules that no reachable owner hears about, rolled on per transaction.
SCHEDULES_PER_TRANSACTION = 1000
# Reminders that count against the weekly cap (cancelled and failed ones never reached anyone).
COUNTED_STATES = ("pending", "sending", "sent", "delivered", "undelivered")
DELIVERED_STATES = ("sent", "delivered")
_OPEN_STATES = ("pending", "sending")
# Occurrences rolled on for one schedule in one pass (a weekly task two years behind); the next
# pass goes on from there.
MAX_ROLLS_PER_PASS = 104


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


@dataclass
class _Schedule:
    """A locked schedule as plain data, changed in memory and written back once."""

    id: int
    task_key: str
    version_id: int
    start_on: date
    next_due: date
    snoozed_until: date | None
    follow_up_sent_on: date | None
    next_action_on: date | None
    missed_in_row: int
    pace: str
    rule: TaskRule
    facts: UnitFacts
    # Every reachable active owner of the unit, locked in this chunk or not.
    owners: list[int] = field(default_factory=list)
    loaded: tuple[Any, ...] = ()
    _rolls_for: Schedule | None = None
    _roll_over_on: date = date.min

    def state(self) -> tuple[Any, ...]:
        """What a pass may change (written back only when it did)."""
        return (
            self.next_due,
            self.snoozed_until,
            self.follow_up_sent_on,
            self.next_action_on,
            self.missed_in_row,
        )

    @property
    def reminder_on(self) -> date:
        """The day the current occurrence is reminded (a snooze's end when later)."""
        return due_dates.reminder_date(Schedule(self.next_due, self.snoozed_until))

    @property
    def roll_over_on(self) -> date:
        """The day the current occurrence counts as missed when left alone."""
        schedule = Schedule(self.next_due, self.snoozed_until)
        if self._rolls_for != schedule:  # worked out once per occurrence: rrules are slow
            self._rolls_for = schedule
            self._roll_over_on = due_dates.roll_over_date(self.rule, schedule, start=self.start_on)
        return self._roll_over_on


@dataclass(frozen=True)
class _Sent:
    """What an owner already has for a schedule's reminder date."""

    made_on: date
    delivered_on: date | None
    # Still pending or being sent: whether it gets delivered is not known yet.
    open: bool


@dataclass
class _Planned:
    """A reminder to insert, with its items as (schedule, is follow-up)."""

    dedupe_key: str
    owner: Any
    send_on: date
    items: list[tuple[_Schedule, bool]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "follow-up" if all(follow_up for _, follow_up in self.items) else "due"


def send_at(owner: Any, send_on: date, now: datetime) -> datetime:
    """When a reminder for send_on goes: the owner's send hour, or the next window after now."""
    key = time_zone(owner.time_zone).key
    hour = owner.preferred_hour if owner.preferred_hour is not None else 9
    at = due_dates.send_time(send_on, key, hour)
    return at if at >= now else due_dates.next_send_window(now, key, hour)


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


_SCHEDULE_COLUMNS = (
    TaskSchedule.id,
    TaskSchedule.task_key,
    TaskSchedule.version_id,
    TaskSchedule.start_on,
    TaskSchedule.next_due,
    TaskSchedule.snoozed_until,
    TaskSchedule.follow_up_sent_on,
    TaskSchedule.next_action_on,
    TaskSchedule.missed_in_row,
    TaskSchedule.pace,
    Task.every,
    Task.rrule,
    Task.first_due,
    Unit.id,
    ProductModel.id,
    ProductModel.organisation_id,
    Unit.retailer_id,
    ProductModel.category,
)


def _has_due_schedule(now: datetime) -> Any:
    """SQL: the owner has a schedule whose day may have come."""
    return exists().where(
        Ownership.owner_id == Owner.id,
        Ownership.ended_at.is_(None),
        TaskSchedule.unit_id == Ownership.unit_id,
        TaskSchedule.next_action_on <= _horizon(now),
    )


def _schedule_query() -> Any:
    """The schedules with their task's rule and their unit's facts, locked, skipping others'."""
    return (
        select(*_SCHEDULE_COLUMNS)
        .join(
            Task,
            and_(Task.version_id == TaskSchedule.version_id, Task.key == TaskSchedule.task_key),
        )
        .join(Unit, Unit.id == TaskSchedule.unit_id)
        .join(ProductModel, ProductModel.id == Unit.product_model_id)
        .with_for_update(of=TaskSchedule, skip_locked=True)
    )


def _schedule(row: Any) -> _Schedule:
    """A _Schedule from a row of _SCHEDULE_COLUMNS (read by position: rows are many)."""
    fields: tuple[Any, ...] = (
        *row[:10],
        cached_rule(row[10], row[11], row[12]),  # rule
        UnitFacts(*row[13:18]),  # facts
    )
    schedule = _Schedule(*fields)
    schedule.loaded = schedule.state()
    return schedule


def _roll_on(schedule: _Schedule, today: date, missed: list[tuple[_Schedule, date]]) -> None:
    """Let each occurrence whose roll-over day has come pass as missed; note (schedule, due)."""
    factor = pace_factor(schedule.pace)
    for _ in range(MAX_ROLLS_PER_PASS):
        if schedule.roll_over_on > today:
            return
        missed.append((schedule, schedule.next_due))
        schedule.next_due = due_dates.after_missed(
            schedule.rule, start=schedule.start_on, due=schedule.next_due, factor=factor
        )
        schedule.snoozed_until = None
        schedule.follow_up_sent_on = None
        schedule.missed_in_row += 1


def _log_missed(missed: list[tuple[_Schedule, date]], today: date, now: datetime) -> None:
    """The missed occurrences into each unit's history and the anonymous events, in bulk."""
    if not missed:
        return
    insert_rows(
        MaintenanceLog.__table__,
        [
            {
                "unit_id": schedule.facts.unit_id,
                "task_key": schedule.task_key,
                "version_id": schedule.version_id,
                "action": "missed",
                "done_on": due,
                "logged_at": now,
                "source": "scheduler",
            }
            for schedule, due in missed
        ],
    )
    add_events(
        event_row(
            "task_missed",
            facts=schedule.facts,
            day=today,
            at=now,
            task_key=schedule.task_key,
            version_id=schedule.version_id,
            due_on=due,
        )
        for schedule, due in missed
    )


def _already_sent(
    schedules: dict[int, _Schedule], owner_ids: list[int]
) -> dict[tuple[int, int, date], _Sent]:
    """What each owner already has per (schedule, owner, reminder date): one query."""
    if not schedules:
        return {}
    earliest = min(schedule.reminder_on for schedule in schedules.values())
    counted = (*COUNTED_STATES, "failed")
    rows = db.session.execute(
        select(ReminderItem.schedule_id, Reminder.owner_id, ReminderItem.due_on, Reminder.status)
        .add_columns(Reminder.send_on)
        .join(Reminder, Reminder.id == ReminderItem.reminder_id)
        .where(
            id_in(ReminderItem.schedule_id, list(schedules)),
            id_in(Reminder.owner_id, owner_ids),
            ReminderItem.due_on >= earliest,
            Reminder.status.in_(counted),
        )
    )
    found: dict[tuple[int, int, date], _Sent] = {}
    for schedule_id, owner_id, due_on, status, send_on in rows:
        key = (schedule_id, owner_id, due_on)
        sent = _Sent(
            send_on, send_on if status in DELIVERED_STATES else None, status in _OPEN_STATES
        )
        before = found.get(key)
        if before is not None:
            delivered = [d for d in (before.delivered_on, sent.delivered_on) if d is not None]
            sent = _Sent(
                min(send_on, before.made_on),
                min(delivered, default=None),
                before.open or sent.open,
            )
        found[key] = sent
    return found


def _sent_this_week(owners: Sequence[Any], todays: dict[int, date]) -> dict[int, int]:
    """Reminders counted against each owner's cap in the 7 days ending their today: one query."""
    first = min(todays.values()) - timedelta(days=6)
    rows = db.session.execute(
        select(Reminder.owner_id, Reminder.send_on, func.count(Reminder.id))
        .where(
            id_in(Reminder.owner_id, [owner.id for owner in owners]),
            Reminder.send_on >= first,
            Reminder.status.in_(COUNTED_STATES),
            Reminder.kind != "notice",  # safety notices never count against the cap
        )
        .group_by(Reminder.owner_id, Reminder.send_on)
    )
    counts: dict[int, int] = defaultdict(int)
    for owner_id, send_on, count in rows:
        today = todays[owner_id]
        if today - timedelta(days=7) < send_on <= today:
            counts[owner_id] += count
    return counts


def _follow_up_on(
    schedule: _Schedule, sent: _Sent | None, follow_up_days: int, today: date
) -> date | None:
    """The day this owner's follow-up for the current occurrence is due, if one still goes."""
    reminder_on = schedule.reminder_on
    if sent is None or (schedule.follow_up_sent_on or date.min) >= reminder_on:
        return None
    if sent.delivered_on is None and not sent.open:
        return None  # failed or undelivered: no follow-up
    # Not delivered yet: the earliest it could go is a follow-up period after today's send,
    # and then it is looked at again; a reminder still waiting by then, every day after.
    delivered_on = sent.delivered_on or max(sent.made_on, today)
    on = max(reminder_on, delivered_on) + timedelta(days=follow_up_days)
    if sent.delivered_on is None and on <= today:
        on = today + timedelta(days=1)
    return on if on < schedule.roll_over_on else None


def _plan(
    owner: Any,
    schedules: list[_Schedule],
    sent: dict[tuple[int, int, date], _Sent],
    today: date,
    follow_up_days: int,
) -> list[_Planned]:
    """The reminders this owner needs today, before the weekly cap."""
    due = [s for s in schedules if (s.id, owner.id, s.reminder_on) not in sent]
    follow_ups = []
    for s in schedules:
        on = _follow_up_on(s, sent.get((s.id, owner.id, s.reminder_on)), follow_up_days, today)
        if on is not None and on <= today and s.next_due < today:
            follow_ups.append(s)
    prefix = f"o{owner.id}:{owner.channel}:{today.isoformat()}"
    if owner.digest:
        items: list[tuple[_Schedule, bool]] = []
        if any(s.reminder_on <= today for s in due):
            by_id = {s.id: s for s in due}
            within = due_dates.tasks_due_within({s.id: s.reminder_on for s in due}, today)
            items += [(by_id[sid], False) for sid in within]
        items += [(s, True) for s in follow_ups]
        return [_Planned(f"{prefix}:digest", owner, today, items)] if items else []
    planned = [
        _Planned(f"{prefix}:task{s.id}:due", owner, today, [(s, False)])
        for s in due
        if s.reminder_on <= today
    ]
    planned += [
        _Planned(f"{prefix}:task{s.id}:follow-up", owner, today, [(s, True)]) for s in follow_ups
    ]
    return planned


def _insert(planned: list[_Planned], now: datetime) -> list[tuple[int, _Planned]]:
    """Insert the reminders and their items in bulk; the ones made now (not there before)."""
    if not planned:
        return []
    by_key = {plan.dedupe_key: plan for plan in planned}
    rows = insert_new_rows(
        Reminder.__table__,
        [
            {
                "dedupe_key": plan.dedupe_key,
                "owner_id": plan.owner.id,
                "channel": plan.owner.channel,
                "kind": plan.kind,
                "send_on": plan.send_on,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": send_at(plan.owner, plan.send_on, now),
                "created_at": now,
            }
            for plan in planned
        ],
        unique="dedupe_key",
        returning=("id", "dedupe_key"),
    )
    made = [(reminder_id, by_key[key]) for reminder_id, key in rows]
    insert_rows(
        ReminderItem.__table__,
        [
            {"reminder_id": reminder_id, "schedule_id": s.id, "due_on": s.reminder_on}
            for reminder_id, plan in made
            for s, _ in plan.items
        ],
    )
    return made


def _next_action(
    schedule: _Schedule,
    sent: dict[tuple[int, int, date], _Sent],
    today: date,
    follow_up_days: int,
) -> date | None:
    """The next day this schedule needs the scheduler, given what its owners have now."""
    if schedule.pace == "stopped":
        return None
    tomorrow = today + timedelta(days=1)
    reminder_on = schedule.reminder_on
    candidates = [schedule.roll_over_on]
    for owner_id in schedule.owners:
        got = sent.get((schedule.id, owner_id, reminder_on))
        if got is None:
            # Not reminded yet: on its day, or tomorrow when the cap or the day's digest held it.
            candidates.append(max(reminder_on, tomorrow))
        elif (on := _follow_up_on(schedule, got, follow_up_days, today)) is not None:
            candidates.append(on)
    return max(min(candidates), tomorrow)


def _write_back(schedules: list[_Schedule]) -> None:
    """Store the changed schedules in one statement."""
    update_rows(
        TaskSchedule.__table__,
        [
            {
                "id": s.id,
                "next_due": s.next_due,
                "snoozed_until": s.snoozed_until,
                "follow_up_sent_on": s.follow_up_sent_on,
                "next_action_on": s.next_action_on,
                "missed_in_row": s.missed_in_row,
            }
            for s in schedules
        ],
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
    schedules: dict[int, _Schedule] = {}
    by_owner: dict[int, list[_Schedule]] = defaultdict(list)
    # The schedules of these owners' units, with every reachable owner of each (a household
    # shares a unit): the next action must wait for the owners of other chunks too.
    for row in db.session.execute(
        _schedule_query()
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
            schedule = schedules[row[0]] = _schedule(row)
        schedule.owners.append(row[-1])
        if row[-1] in todays:
            by_owner[row[-1]].append(schedule)
    # An occurrence rolls on once for all its owners, on the earliest calendar among them.
    missed: list[tuple[_Schedule, date]] = []
    today_of = {
        s.id: min(todays[owner_id] for owner_id in s.owners if owner_id in todays)
        for s in schedules.values()
    }
    for schedule in schedules.values():
        _roll_on(schedule, today_of[schedule.id], missed)
    _log_missed(missed, min(todays.values()), now)
    result.missed = len(missed)
    sent = _already_sent(
        schedules, sorted({owner_id for s in schedules.values() for owner_id in s.owners})
    )
    counts = _sent_this_week(owners, todays)
    to_insert: list[_Planned] = []
    for owner in owners:
        today = todays[owner.id]
        mine = [s for s in by_owner[owner.id] if s.pace != "stopped"]
        planned = _plan(owner, mine, sent, today, follow_up_days)
        room = max(0, cap - counts[owner.id])
        result.held_by_cap += sum(len(p.items) for p in planned[room:])
        to_insert += planned[:room]
    for _reminder_id, plan in _insert(to_insert, now):
        for schedule, follow_up in plan.items:
            sent.setdefault(
                (schedule.id, plan.owner.id, schedule.reminder_on), _Sent(plan.send_on, None, True)
            )
            if follow_up:
                schedule.follow_up_sent_on = plan.send_on
                result.follow_ups += 1
        result.reminders += 1
        result.items += len(plan.items)
    for schedule in schedules.values():
        schedule.next_action_on = _next_action(
            schedule, sent, today_of[schedule.id], follow_up_days
        )
    _write_back([s for s in schedules.values() if s.state() != s.loaded])
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
        _schedule_query()
        .where(TaskSchedule.next_action_on <= today, _nobody_hears())
        .limit(SCHEDULES_PER_TRANSACTION)
    ).all()
    missed: list[tuple[_Schedule, date]] = []
    schedules = [_schedule(row) for row in rows]
    for schedule in schedules:
        _roll_on(schedule, today, missed)
        schedule.next_action_on = (
            None
            if schedule.pace == "stopped"
            else max(schedule.roll_over_on, today + timedelta(days=1))
        )
    _log_missed(missed, today, now)
    _write_back(schedules)
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
