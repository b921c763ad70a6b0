"""One dispatch pass: claim batches, render, send over one connection per channel, record outcomes.

Nothing is held locked while messages go out: a claim commits its lease first, and outcomes are
written afterwards, guarded by that lease. A message is marked sent right after its batch chunk
is sent, so only a crash between sending and marking can send it twice.
Failures retry with exponential backoff and jitter (never into the owner's quiet hours); after
REMINDER_MAX_ATTEMPTS the reminder is failed with its reason. A permanent failure (hard bounce,
invalid or opted-out number) suppresses that address and cancels its other pending reminders.
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import selectinload

from maintenance import metrics, scheduling
from maintenance.events import record_reminder
from maintenance.extensions import db
from maintenance.models import (
    DeliveryEvent,
    Owner,
    Ownership,
    Reminder,
    ReminderItem,
    Task,
    TaskSchedule,
    Unit,
)
from maintenance.notify import Channel, EmailMessage, Message, SendError, channels_from_settings
from maintenance.reminders.claim import DEFAULT_LEASE_SECONDS, Claim, claim_batch
from maintenance.reminders.materialise import _zone
from maintenance.reminders.reachability import is_reachable
from maintenance.reminders.render import Entry, render
from maintenance.transactions import transactional

logger = logging.getLogger("maintenance.reminders")

DEFAULT_BATCH_SIZE = 200
DEFAULT_MAX_ATTEMPTS = 8
# First retry after about 5 minutes, doubling up to 6 hours: 8 attempts cover about 10 hours.
BACKOFF_BASE_SECONDS = 300
BACKOFF_CAP_SECONDS = 6 * 3600
# Outcomes are written every this many sends: fewer commits, and a crash repeats at most these.
MARK_EVERY = 50
# Stop sending this long before the lease ends, so no other dispatcher can have taken the rest.
LEASE_MARGIN_SECONDS = 30


@dataclass
class DispatchResult:
    """Counts of one pass."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    deferred: int = 0
    released: int = 0

    def add(self, other: DispatchResult) -> None:
        """Add another result's counts to this one."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Job:
    """A rendered message ready to go, with what its outcome needs."""

    reminder_id: int
    owner_id: int
    channel: str
    attempts: int
    time_zone: str
    preferred_hour: int
    # None when rendering failed: the failure is recorded like a failed send.
    message: Message | None


@dataclass
class _Outcomes:
    """What happened to a batch's reminders, written in one transaction."""

    sent: list[tuple[_Job, str]] = field(default_factory=list)
    failed: list[tuple[_Job, SendError]] = field(default_factory=list)
    cancelled: list[tuple[int, str]] = field(default_factory=list)
    deferred: list[tuple[int, datetime]] = field(default_factory=list)
    released: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.sent or self.failed or self.cancelled or self.deferred or self.released)


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name) or default)


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """The wait before the next attempt: doubling per attempt, capped, with half of it random."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    # "Equal jitter": never sooner than half the wait, so retries still spread out and back off.
    return timedelta(seconds=ceiling / 2 + rng.uniform(0, ceiling / 2))


def _load(
    claim: Claim,
) -> tuple[list[Reminder], dict[int, Owner], dict[tuple[int, str], Task], set]:
    """The claimed reminders with their items, owners, tasks and the owners' active units."""
    reminders = _with_items(claim.ids)
    owner_ids = {reminder.owner_id for reminder in reminders}
    owners = {o.id: o for o in db.session.scalars(select(Owner).where(Owner.id.in_(owner_ids)))}
    version_ids = {item.schedule.version_id for r in reminders for item in r.items}
    tasks = {
        (task.version_id, task.key): task
        for task in db.session.scalars(select(Task).where(Task.version_id.in_(version_ids)))
    }
    owned = set(
        db.session.execute(
            select(Ownership.owner_id, Ownership.unit_id).where(
                Ownership.owner_id.in_(owner_ids), Ownership.ended_at.is_(None)
            )
        ).tuples()
    )
    return reminders, owners, tasks, owned


def _with_items(ids: list[int]) -> list[Reminder]:
    """Reminders with their items, schedules, units and models, in a few queries in all."""
    return list(
        db.session.scalars(
            select(Reminder)
            .where(Reminder.id.in_(ids))
            .options(
                selectinload(Reminder.items)
                .joinedload(ReminderItem.schedule)
                .joinedload(TaskSchedule.unit)
                .joinedload(Unit.product_model)
            )
            .order_by(Reminder.id)
        )
    )


def _entries(reminder: Reminder, tasks: Mapping[tuple[int, str], Task], owned: set) -> list[Entry]:
    """The items still worth a message: not done or snoozed since, still owned, still a task."""
    entries = []
    for item in reminder.items:
        schedule = item.schedule
        task = tasks.get((schedule.version_id, schedule.task_key))
        if task is None or (reminder.owner_id, schedule.unit_id) not in owned:
            continue
        if scheduling.reminder_date(scheduling.Schedule.from_row(schedule)) != item.due_on:
            continue
        entries.append(Entry(schedule.id, task, schedule.unit, schedule.next_due))
    return sorted(entries, key=lambda entry: (entry.next_due, entry.task.position))


def _prepare(claim: Claim, clock: datetime, outcomes: _Outcomes) -> list[_Job]:
    """Render the claimed reminders; cancel or defer those that must not go now."""
    reminders, owners, tasks, owned = _load(claim)
    jobs = []
    for reminder in reminders:
        owner = owners[reminder.owner_id]
        if not is_reachable(owner, reminder.channel):
            outcomes.cancelled.append((reminder.id, f"owner not reachable by {reminder.channel}"))
            continue
        entries = _entries(reminder, tasks, owned)
        if not entries:
            outcomes.cancelled.append((reminder.id, "nothing left to remind: done or snoozed"))
            continue
        zone = _zone(owner.time_zone).key
        if scheduling.is_quiet_hours(clock, zone):
            # A pass after downtime must not wake people: the message waits for the morning.
            window = scheduling.next_send_window(clock, zone, owner.preferred_hour)
            outcomes.deferred.append((reminder.id, window))
            continue
        job = _Job(
            reminder.id,
            owner.id,
            reminder.channel,
            reminder.attempts,
            zone,
            owner.preferred_hour,
            None,
        )
        try:
            job.message = render(reminder, owner, entries)
        except Exception as error:  # a bad template or text must not stop the other reminders
            logger.exception("reminder %s could not be rendered", reminder.id)
            outcomes.failed.append((job, SendError(f"render failed: {error}", permanent=False)))
            continue
        jobs.append(job)
    # End the read before sending: nothing stays locked while messages go out.
    db.session.rollback()
    return jobs


@transactional
def _record(
    outcomes: _Outcomes, claim: Claim, clock: datetime, rng: random.Random, result: DispatchResult
) -> None:
    """Write a chunk of outcomes; each change only applies while our lease still holds."""
    table = Reminder.__table__
    ours = (
        (table.c.id == bindparam("b_id"))
        & (table.c.status == "sending")
        & (table.c.lease_until == claim.lease_until)
    )
    connection = db.session.connection()
    if outcomes.sent:
        connection.execute(
            update(table)
            .where(ours)
            .values(
                status="sent",
                provider_id=bindparam("b_provider"),
                message_id=func.coalesce(table.c.message_id, bindparam("b_message_id")),
                sent_at=clock,
                lease_until=None,
                last_error=None,
            ),
            [
                {"b_id": job.reminder_id, "b_provider": provider, "b_message_id": _mid(job)}
                for job, provider in outcomes.sent
            ],
        )
        result.sent += len(outcomes.sent)
        # Loaded together: one query per reminder and task would cost more than the sending.
        for reminder in _with_items([job.reminder_id for job, _provider in outcomes.sent]):
            record_reminder("reminder_sent", reminder, clock)
    for reminder_id, reason in outcomes.cancelled:
        connection.execute(
            update(table)
            .where(ours)
            .values(status="cancelled", last_error=reason, lease_until=None),
            {"b_id": reminder_id},
        )
        result.cancelled += 1
    for reminder_id, at in outcomes.deferred:
        connection.execute(
            update(table)
            .where(ours)
            .values(
                status="pending",
                next_attempt_at=at,
                lease_until=None,
                attempts=table.c.attempts - 1,
            ),
            {"b_id": reminder_id},
        )
        result.deferred += 1
    if outcomes.released:
        connection.execute(
            update(table)
            .where(ours)
            .values(status="pending", lease_until=None, attempts=table.c.attempts - 1),
            [{"b_id": reminder_id} for reminder_id in outcomes.released],
        )
        result.released += len(outcomes.released)
    max_attempts = _setting("REMINDER_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)
    for job, error in outcomes.failed:
        final = error.permanent or job.attempts >= max_attempts
        values: dict[str, Any] = {
            "last_error": str(error),
            "lease_until": None,
            "message_id": func.coalesce(table.c.message_id, _mid(job)),
        }
        if final:
            values["status"] = "failed"
        else:
            values["status"] = "pending"
            retry_at = clock + backoff(job.attempts, rng)
            values["next_attempt_at"] = scheduling.next_send_window(
                retry_at, job.time_zone, job.preferred_hour
            )
        changed = connection.execute(
            update(table).where(ours).values(**values), {"b_id": job.reminder_id}
        )
        if changed.rowcount != 1:
            continue  # another dispatcher owns it now; its outcome counts
        connection.execute(
            insert(DeliveryEvent.__table__),
            {
                "reminder_id": job.reminder_id,
                "at": clock,
                "status": "failed" if final else "retry",
                "detail": error.reason,
                "code": error.code,
            },
        )
        if final:
            result.failed += 1
            record_reminder("reminder_failed", db.session.get(Reminder, job.reminder_id), clock)
        else:
            result.retried += 1
        metrics.count_failure(
            job.channel, error.code or ("permanent" if error.permanent else "temporary")
        )
        if error.permanent:
            suppress_channel(job.owner_id, job.channel, clock, reason=error.reason)


def _mid(job: _Job) -> str | None:
    return job.message.message_id if isinstance(job.message, EmailMessage) else None


@transactional
def suppress_channel(owner_id: int, channel: str, at: datetime, *, reason: str) -> int:
    """Stop sending to an owner's address or number; cancels its pending reminders (count)."""
    column = "email_suppressed_at" if channel == "email" else "phone_suppressed_at"
    owner_table = Owner.__table__
    db.session.execute(
        update(owner_table)
        .where(owner_table.c.id == owner_id, owner_table.c[column].is_(None))
        .values({column: at})
    )
    cancelled = db.session.execute(
        update(Reminder.__table__)
        .where(
            Reminder.__table__.c.owner_id == owner_id,
            Reminder.__table__.c.channel == channel,
            Reminder.__table__.c.status == "pending",
        )
        .values(status="cancelled", last_error=f"{channel} suppressed: {reason}")
    )
    logger.info("owner %s: %s suppressed (%s)", owner_id, channel, reason)
    return cancelled.rowcount or 0


def _send_jobs(
    jobs: list[_Job],
    channels: Mapping[str, Channel],
    claim: Claim,
    clock: datetime,
    deadline: float,
    rng: random.Random,
    result: DispatchResult,
) -> None:
    """Send each channel's jobs over one connection, recording outcomes every MARK_EVERY sends."""
    by_channel: dict[str, list[_Job]] = defaultdict(list)
    for job in jobs:
        by_channel[job.channel].append(job)
    for name, channel_jobs in by_channel.items():
        outcomes = _Outcomes()
        with channels[name] as channel:
            for position, job in enumerate(channel_jobs):
                if time.monotonic() > deadline:
                    # Our lease is about to end: hand the rest back untouched.
                    outcomes.released.extend(j.reminder_id for j in channel_jobs[position:])
                    break
                assert job.message is not None
                try:
                    sent = channel.send(job.message)
                    outcomes.sent.append((job, sent.provider_id))
                except SendError as error:
                    outcomes.failed.append((job, error))
                except Exception as error:  # a bug in one message must not strand the batch
                    logger.exception("reminder %s: unexpected send error", job.reminder_id)
                    outcomes.failed.append((job, SendError(repr(error), permanent=False)))
                if len(outcomes.sent) + len(outcomes.failed) >= MARK_EVERY:
                    _record(outcomes, claim, clock, rng, result)
                    outcomes = _Outcomes()
        if outcomes:
            _record(outcomes, claim, clock, rng, result)


def dispatch_once(
    now: datetime,
    batch_size: int = DEFAULT_BATCH_SIZE,
    *,
    channels: Mapping[str, Channel] | None = None,
    rng: random.Random | None = None,
    max_batches: int | None = None,
) -> DispatchResult:
    """Send every reminder due at `now` (aware): claim batches until none is left."""
    if now.tzinfo is None:
        raise ValueError("pass an aware datetime")
    channels = channels or channels_from_settings(current_app.config)
    rng = rng or random.Random()
    lease_seconds = _setting("REMINDER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
    started = time.monotonic()
    total = DispatchResult()
    batches = 0
    while max_batches is None or batches < max_batches:
        # Time moves on during a long pass; leases and due times follow it.
        clock = now + timedelta(seconds=time.monotonic() - started)
        claimed_at = time.monotonic()
        claim = claim_batch(clock, batch_size, lease_seconds)
        if not claim.ids:
            break
        batches += 1
        total.claimed += len(claim.ids)
        outcomes = _Outcomes()
        jobs = _prepare(claim, clock, outcomes)
        if outcomes:
            _record(outcomes, claim, clock, rng, total)
        deadline = claimed_at + lease_seconds - min(LEASE_MARGIN_SECONDS, lease_seconds / 10)
        _send_jobs(jobs, channels, claim, clock, deadline, rng, total)
        metrics.observe_dispatch(time.monotonic() - claimed_at)
    return total
