"""Turn due task schedules of reachable owners into reminder rows (the outbox).

One reminder per owner, channel and send date: a digest of every task due within a week of the
first one (scheduling.tasks_due_within), or one reminder per task when the owner chose that.
A task is reminded once per reminder date (its due date, or the end of a snooze); a single
follow-up goes FOLLOW_UP_DAYS after that reminder, then nothing until the owner acts (done,
skipped or snoozed, which moves the reminder date). At most MAX_MESSAGES_PER_WEEK reminders per
owner in any 7 days: tasks over the cap wait for a later pass. The unique dedupe_key makes a
second pass, or a second scheduler process at the same time, add nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from maintenance import scheduling
from maintenance.extensions import db
from maintenance.models import Owner, Ownership, Reminder, ReminderItem, TaskSchedule
from maintenance.reminders.reachability import reachable_clause
from maintenance.transactions import transactional

logger = logging.getLogger("maintenance.reminders")

# Owners handled per transaction: short row locks, bounded memory.
OWNERS_PER_TRANSACTION = 200
# Reminders that count against the weekly cap (cancelled and failed ones never reached anyone).
COUNTED_STATES = ("pending", "sending", "sent", "delivered", "undelivered")
DELIVERED_STATES = ("sent", "delivered")


@dataclass
class MaterialiseResult:
    """What one pass added."""

    reminders: int = 0
    items: int = 0
    follow_ups: int = 0
    held_by_cap: int = 0


@dataclass(frozen=True)
class _Candidate:
    """A schedule of one owner that may need a reminder or a follow-up."""

    schedule_id: int
    owner_id: int
    next_due: date
    reminder_on: date
    follow_up_sent_on: date | None
    reminded_on: date | None
    delivered_on: date | None


@dataclass
class _Planned:
    """A reminder to insert, with its items as (schedule_id, reminder date, is follow-up)."""

    dedupe_key: str
    send_on: date
    items: list[tuple[int, date, bool]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "follow-up" if all(follow_up for _, _, follow_up in self.items) else "due"


def _reminder_date_sql() -> Any:
    """scheduling.reminder_date as SQL: the snooze end when later than the due date."""
    return case(
        (
            and_(
                TaskSchedule.snoozed_until.is_not(None),
                TaskSchedule.snoozed_until > TaskSchedule.next_due,
            ),
            TaskSchedule.snoozed_until,
        ),
        else_=TaskSchedule.next_due,
    )


def _candidates(now: datetime) -> dict[int, list[_Candidate]]:
    """Schedules with a reminder date within the digest window, per reachable owner."""
    reminder_on = _reminder_date_sql()
    # Local dates run at most a day ahead of UTC; the digest looks a week further.
    horizon = now.astimezone(UTC).date() + timedelta(days=1 + scheduling.DIGEST_DAYS)

    def reminded(states: tuple[str, ...]) -> Any:
        return (
            select(func.min(Reminder.send_on))
            .join(ReminderItem, ReminderItem.reminder_id == Reminder.id)
            .where(
                ReminderItem.schedule_id == TaskSchedule.id,
                ReminderItem.due_on == reminder_on,
                Reminder.owner_id == Owner.id,
                Reminder.status.in_(states),
            )
            .scalar_subquery()
        )

    rows = db.session.execute(
        select(
            TaskSchedule.id,
            Owner.id,
            TaskSchedule.next_due,
            reminder_on,
            TaskSchedule.follow_up_sent_on,
            reminded((*COUNTED_STATES, "failed")),
            reminded(DELIVERED_STATES),
        )
        .join(Ownership, Ownership.unit_id == TaskSchedule.unit_id)
        .join(Owner, Owner.id == Ownership.owner_id)
        .where(Ownership.ended_at.is_(None), reachable_clause(), reminder_on <= horizon)
        .order_by(Owner.id, reminder_on, TaskSchedule.id)
    ).all()
    found: dict[int, list[_Candidate]] = defaultdict(list)
    for row in rows:
        found[row[1]].append(_Candidate(*row))
    return found


def _local_today(owner: Owner, now: datetime) -> date:
    """The owner's calendar date at `now`."""
    return now.astimezone(_zone(owner.time_zone)).date()


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or scheduling.DEFAULT_TIME_ZONE)
    except (ValueError, KeyError):
        # A stored zone that no longer exists must not stop everyone else's reminders.
        return ZoneInfo(scheduling.DEFAULT_TIME_ZONE)


def send_at(owner: Owner, send_on: date, now: datetime) -> datetime:
    """When a reminder for send_on goes: the owner's send hour, or the next window after now."""
    zone = _zone(owner.time_zone).key
    hour = owner.preferred_hour if owner.preferred_hour is not None else 9
    at = scheduling.send_time(send_on, zone, hour)
    return at if at >= now else scheduling.next_send_window(now, zone, hour)


def _plan(
    owner: Owner, candidates: list[_Candidate], today: date, follow_up_days: int
) -> list[_Planned]:
    """The reminders this owner needs today, before the weekly cap."""
    due = [c for c in candidates if c.reminded_on is None]
    follow_ups = [
        c
        for c in candidates
        if c.reminded_on is not None
        and c.delivered_on is not None
        and c.next_due < today
        and (c.follow_up_sent_on is None or c.follow_up_sent_on < c.reminder_on)
        and today >= max(c.reminder_on, c.delivered_on) + timedelta(days=follow_up_days)
    ]
    prefix = f"o{owner.id}:{owner.channel}:{today.isoformat()}"
    if owner.digest:
        items: list[tuple[int, date, bool]] = []
        if any(c.reminder_on <= today for c in due):
            by_id = {c.schedule_id: c for c in due}
            within = scheduling.tasks_due_within({c.schedule_id: c.reminder_on for c in due}, today)
            items += [(sid, by_id[sid].reminder_on, False) for sid in within]
        items += [(c.schedule_id, c.reminder_on, True) for c in follow_ups]
        return [_Planned(f"{prefix}:digest", today, items)] if items else []
    planned = [
        _Planned(
            f"{prefix}:task{c.schedule_id}:due", today, [(c.schedule_id, c.reminder_on, False)]
        )
        for c in due
        if c.reminder_on <= today
    ]
    planned += [
        _Planned(
            f"{prefix}:task{c.schedule_id}:follow-up", today, [(c.schedule_id, c.reminder_on, True)]
        )
        for c in follow_ups
    ]
    return planned


def _sent_this_week(owner_id: int, today: date) -> int:
    """Reminders counted against the cap in the 7 days ending today."""
    return (
        db.session.scalar(
            select(func.count(Reminder.id)).where(
                Reminder.owner_id == owner_id,
                Reminder.send_on > today - timedelta(days=7),
                Reminder.send_on <= today,
                Reminder.status.in_(COUNTED_STATES),
            )
        )
        or 0
    )


def _insert_reminder(owner: Owner, planned: _Planned, now: datetime) -> int | None:
    """Insert the reminder unless its dedupe key exists; its id, or None when it existed."""
    dialect = db.session.get_bind().dialect.name
    values = {
        "dedupe_key": planned.dedupe_key,
        "owner_id": owner.id,
        "channel": owner.channel,
        "kind": planned.kind,
        "send_on": planned.send_on,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": send_at(owner, planned.send_on, now),
    }
    if dialect == "postgresql":
        statement: Any = (
            postgresql.insert(Reminder)
            .values(values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
    elif dialect == "sqlite":
        statement = (
            sqlite.insert(Reminder)
            .values(values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
    else:  # pragma: no cover - other databases are not supported
        raise RuntimeError(f"unsupported database {dialect}")
    return db.session.execute(statement.returning(Reminder.id)).scalar_one_or_none()


@transactional
def _materialise_owners(
    owners: list[int], candidates: dict[int, list[_Candidate]], now: datetime
) -> MaterialiseResult:
    """Plan and insert the reminders of some owners in one transaction."""
    config = current_app.config
    follow_up_days = int(config.get("FOLLOW_UP_DAYS", scheduling.DEFAULT_FOLLOW_UP_DAYS))
    cap = int(config.get("MAX_MESSAGES_PER_WEEK", 3))
    result = MaterialiseResult()
    # Locking the owners makes the cap hold when several scheduler processes materialise at once.
    locked = db.session.scalars(
        select(Owner)
        .where(Owner.id.in_(owners), reachable_clause())
        .order_by(Owner.id)
        .with_for_update()
    ).all()
    for owner in locked:
        today = _local_today(owner, now)
        planned = _plan(owner, candidates[owner.id], today, follow_up_days)
        if not planned:
            continue
        room = max(0, cap - _sent_this_week(owner.id, today))
        result.held_by_cap += sum(len(p.items) for p in planned[room:])
        for plan in planned[:room]:
            reminder_id = _insert_reminder(owner, plan, now)
            if reminder_id is None:
                continue  # made by an earlier pass or another process
            db.session.execute(
                insert(ReminderItem),
                [
                    {"reminder_id": reminder_id, "schedule_id": sid, "due_on": due_on}
                    for sid, due_on, _ in plan.items
                ],
            )
            follow_up_ids = [sid for sid, _, follow_up in plan.items if follow_up]
            if follow_up_ids:
                db.session.execute(
                    update(TaskSchedule)
                    .where(TaskSchedule.id.in_(follow_up_ids))
                    .values(follow_up_sent_on=plan.send_on)
                )
            result.reminders += 1
            result.items += len(plan.items)
            result.follow_ups += len(follow_up_ids)
    return result


def materialise_due(now: datetime) -> MaterialiseResult:
    """Add the reminders due at `now` (aware) for every reachable owner; safe to run again."""
    if now.tzinfo is None:
        raise ValueError("pass an aware datetime")
    candidates = _candidates(now)
    db.session.rollback()  # end the read; each chunk of owners is its own transaction
    total = MaterialiseResult()
    owner_ids = sorted(candidates)
    for start in range(0, len(owner_ids), OWNERS_PER_TRANSACTION):
        part = _materialise_owners(
            owner_ids[start : start + OWNERS_PER_TRANSACTION], candidates, now
        )
        total.reminders += part.reminders
        total.items += part.items
        total.follow_ups += part.follow_ups
        total.held_by_cap += part.held_by_cap
    return total
