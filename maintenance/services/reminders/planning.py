"""Which reminders an owner needs today: digests or one per task, follow-ups; inserted in bulk."""

# Also each schedule's next action: the next day it needs the scheduler, given what its owners
# have been sent.

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from maintenance.clock import time_zone
from maintenance.db.bulk import id_in, insert_new_rows, insert_rows
from maintenance.extensions import db
from maintenance.models import Reminder, ReminderItem
from maintenance.services import due_dates
from maintenance.services.reminders.locked_schedules import LockedSchedule

# Reminders that count against the weekly cap (cancelled and failed ones never reached anyone).
COUNTED_STATES = ("pending", "sending", "sent", "delivered", "undelivered")
DELIVERED_STATES = ("sent", "delivered")
_OPEN_STATES = ("pending", "sending")


@dataclass(frozen=True)
class AlreadySent:
    """What an owner already has for a schedule's reminder date."""

    made_on: date
    delivered_on: date | None
    # Still pending or being sent: whether it gets delivered is not known yet.
    open: bool


@dataclass
class PlannedReminder:
    """A reminder to insert, with its items as (schedule, is follow-up)."""

    dedupe_key: str
    owner: Any
    send_on: date
    items: list[tuple[LockedSchedule, bool]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "follow-up" if all(follow_up for _, follow_up in self.items) else "due"


def send_at(owner: Any, send_on: date, now: datetime) -> datetime:
    """When a reminder for send_on goes: the owner's send hour, or the next window after now."""
    key = time_zone(owner.time_zone).key
    hour = owner.preferred_hour if owner.preferred_hour is not None else 9
    at = due_dates.send_time(send_on, key, hour)
    return at if at >= now else due_dates.next_send_window(now, key, hour)


def already_sent(
    schedules: dict[int, LockedSchedule], owner_ids: list[int]
) -> dict[tuple[int, int, date], AlreadySent]:
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
    found: dict[tuple[int, int, date], AlreadySent] = {}
    for schedule_id, owner_id, due_on, status, send_on in rows:
        key = (schedule_id, owner_id, due_on)
        sent = AlreadySent(
            send_on, send_on if status in DELIVERED_STATES else None, status in _OPEN_STATES
        )
        before = found.get(key)
        if before is not None:
            delivered = [d for d in (before.delivered_on, sent.delivered_on) if d is not None]
            sent = AlreadySent(
                min(send_on, before.made_on),
                min(delivered, default=None),
                before.open or sent.open,
            )
        found[key] = sent
    return found


def sent_this_week(owners: Sequence[Any], todays: dict[int, date]) -> dict[int, int]:
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
    schedule: LockedSchedule, sent: AlreadySent | None, follow_up_days: int, today: date
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


def plan_reminders(
    owner: Any,
    schedules: list[LockedSchedule],
    sent: dict[tuple[int, int, date], AlreadySent],
    today: date,
    follow_up_days: int,
) -> list[PlannedReminder]:
    """The reminders this owner needs today, before the weekly cap."""
    due = [s for s in schedules if (s.id, owner.id, s.reminder_on) not in sent]
    follow_ups = []
    for s in schedules:
        on = _follow_up_on(s, sent.get((s.id, owner.id, s.reminder_on)), follow_up_days, today)
        if on is not None and on <= today and s.next_due < today:
            follow_ups.append(s)
    prefix = f"o{owner.id}:{owner.channel}:{today.isoformat()}"
    if owner.digest:
        items: list[tuple[LockedSchedule, bool]] = []
        if any(s.reminder_on <= today for s in due):
            by_id = {s.id: s for s in due}
            within = due_dates.tasks_due_within({s.id: s.reminder_on for s in due}, today)
            items += [(by_id[sid], False) for sid in within]
        items += [(s, True) for s in follow_ups]
        return [PlannedReminder(f"{prefix}:digest", owner, today, items)] if items else []
    planned = [
        PlannedReminder(f"{prefix}:task{s.id}:due", owner, today, [(s, False)])
        for s in due
        if s.reminder_on <= today
    ]
    planned += [
        PlannedReminder(f"{prefix}:task{s.id}:follow-up", owner, today, [(s, True)])
        for s in follow_ups
    ]
    return planned


def insert_planned(
    planned: list[PlannedReminder], now: datetime
) -> list[tuple[int, PlannedReminder]]:
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


def next_action(
    schedule: LockedSchedule,
    sent: dict[tuple[int, int, date], AlreadySent],
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
