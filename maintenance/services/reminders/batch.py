"""A claimed batch of reminders: read once as plain data, then rendered into messages to send."""

# What must not go now is set aside as an outcome: cancelled (owner unreachable, nothing left to
# remind), deferred (the owner's quiet hours) or failed (the message could not be rendered).

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from maintenance.clock import time_zone
from maintenance.db.bulk import id_in
from maintenance.extensions import db
from maintenance.models import (
    Owner,
    Ownership,
    ProductModel,
    Reminder,
    ReminderItem,
    Task,
    TaskSchedule,
    Unit,
)
from maintenance.notify import Message, SendError
from maintenance.services import due_dates
from maintenance.services.events import UnitFacts
from maintenance.services.notices import outbox as notice_outbox
from maintenance.services.reminders.claim import Claim
from maintenance.services.reminders.reachability import is_reachable
from maintenance.services.reminders.render import Entry, asks_about_pace, render

logger = logging.getLogger("maintenance.services.reminders")


@dataclass(frozen=True)
class ClaimedItem:
    """One task of a claimed reminder, with what its message and its events need."""

    schedule_id: int
    task_key: str
    version_id: int
    next_due: date
    snoozed_until: date | None
    missed_in_row: int
    pace: str
    due_on: date
    appliance: str
    facts: UnitFacts


@dataclass
class ClaimedReminder:
    """A claimed reminder as plain data: read once, used to render, send and record."""

    id: int
    owner_id: int
    channel: str
    kind: str
    send_on: date
    attempts: int
    message_id: str | None
    dedupe_key: str
    items: list[ClaimedItem] = field(default_factory=list)


@dataclass
class ClaimedOwner:
    """A claimed reminder's owner as plain data: what reachability, rendering and retries read."""

    id: int
    channel: str
    paused: bool
    email: str | None
    email_verified_at: datetime | None
    email_suppressed_at: datetime | None
    phone: str | None
    phone_verified_at: datetime | None
    phone_suppressed_at: datetime | None
    language: str
    time_zone: str
    preferred_hour: int


@dataclass(frozen=True)
class TaskText:
    """What a message shows of a task: its key, place in the protocol and published text."""

    key: str
    position: int
    spec: dict[str, Any]


class TaskTexts:
    """The tasks of the protocol versions a pass has met, read once per version.

    A published version and its tasks never change (a new text is a new version), so later
    batches reuse them instead of reading and JSON-decoding the same specs again.
    """

    def __init__(self) -> None:
        self._by_key: dict[tuple[int, str], TaskText] = {}
        self._versions: set[int] = set()

    def load(self, version_ids: set[int]) -> None:
        """Read the tasks of the versions not read yet."""
        missing = list(version_ids - self._versions)
        if not missing:
            return
        table = Task.__table__
        rows = db.session.execute(
            select(table.c.version_id, table.c.key, table.c.position, table.c.spec).where(
                id_in(table.c.version_id, missing)
            )
        )
        for version_id, key, position, spec in rows:
            self._by_key[(version_id, key)] = TaskText(key, position, spec)
        self._versions.update(missing)

    def get(self, version_id: int, key: str) -> TaskText | None:
        """The task with this key in this version, if the version has it."""
        return self._by_key.get((version_id, key))


# Owner's columns that ClaimedOwner copies, in its order.
_OWNER_COLUMNS = [Owner.__table__.c[name] for name in ClaimedOwner.__dataclass_fields__]


@dataclass
class Job:
    """A rendered message ready to go, with what its outcome needs."""

    reminder: ClaimedReminder
    time_zone: str
    preferred_hour: int
    # None when rendering failed: the failure is recorded like a failed send.
    message: Message | None

    @property
    def reminder_id(self) -> int:
        """The reminder's id."""
        return self.reminder.id


@dataclass
class Outcomes:
    """What happened to a batch's reminders, written in one transaction."""

    sent: list[tuple[Job, str]] = field(default_factory=list)
    failed: list[tuple[Job, SendError]] = field(default_factory=list)
    cancelled: list[tuple[int, str]] = field(default_factory=list)
    deferred: list[tuple[int, datetime]] = field(default_factory=list)
    released: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.sent or self.failed or self.cancelled or self.deferred or self.released)

    def add(self, other: Outcomes) -> None:
        """Add another chunk's outcomes to these."""
        self.sent += other.sent
        self.failed += other.failed
        self.cancelled += other.cancelled
        self.deferred += other.deferred
        self.released += other.released


def read_batch(
    claim: Claim, tasks: TaskTexts
) -> tuple[list[ClaimedReminder], dict[int, ClaimedOwner], set[tuple[int, int]]]:
    """The claimed reminders with their items, owners and the owners' active units.

    Their tasks are added to `tasks`, which keeps the ones earlier batches of the pass read.
    """
    reminders = _claimed_reminders(claim.ids)
    owner_ids = list({reminder.owner_id for reminder in reminders})
    # Plain rows, not ORM owners: rendering needs none of their loading and expiring.
    owners = {
        row.id: ClaimedOwner(*row)
        for row in db.session.execute(
            select(*_OWNER_COLUMNS).where(id_in(Owner.__table__.c.id, owner_ids))
        )
    }
    tasks.load({item.version_id for r in reminders for item in r.items})
    owned = set(
        db.session.execute(
            select(Ownership.owner_id, Ownership.unit_id).where(
                id_in(Ownership.owner_id, owner_ids), Ownership.ended_at.is_(None)
            )
        ).tuples()
    )
    return reminders, owners, owned


def _claimed_reminders(ids: list[int]) -> list[ClaimedReminder]:
    """Reminders with their items, schedules, units and models, in one query of plain rows."""
    r, i, s = Reminder.__table__, ReminderItem.__table__, TaskSchedule.__table__
    u, m = Unit.__table__, ProductModel.__table__
    rows = db.session.execute(
        select(
            r.c.id,
            r.c.owner_id,
            r.c.channel,
            r.c.kind,
            r.c.send_on,
            r.c.attempts,
            r.c.message_id,
            r.c.dedupe_key,
            i.c.due_on,
            s.c.id.label("schedule_id"),
            s.c.task_key,
            s.c.version_id,
            s.c.next_due,
            s.c.snoozed_until,
            s.c.missed_in_row,
            s.c.pace,
            s.c.unit_id,
            u.c.retailer_id,
            m.c.id.label("model_id"),
            m.c.organisation_id,
            m.c.category,
            m.c.brand,
            m.c.name,
        )
        # Outer joins: a reminder without items must still be seen, so it can be cancelled.
        .select_from(
            r.outerjoin(i, i.c.reminder_id == r.c.id)
            .outerjoin(s, s.c.id == i.c.schedule_id)
            .outerjoin(u, u.c.id == s.c.unit_id)
            .outerjoin(m, m.c.id == u.c.product_model_id)
        )
        .where(id_in(r.c.id, ids))
        .order_by(r.c.id, i.c.id)
    )
    reminders: dict[int, ClaimedReminder] = {}
    # By position, not by name: a Row finds a name only after a failed attribute lookup, an
    # AttributeError raised and caught for every column read.
    for row in rows:
        reminder = reminders.get(row[0])
        if reminder is None:
            reminder = reminders[row[0]] = ClaimedReminder(*row[:8])  # the reminder's own columns
        (
            due_on,
            schedule_id,
            task_key,
            version_id,
            next_due,
            snoozed_until,
            missed_in_row,
            pace,
            unit_id,
            retailer_id,
            model_id,
            organisation_id,
            category,
            brand,
            name,
        ) = row[8:]
        if schedule_id is not None:
            reminder.items.append(
                ClaimedItem(
                    schedule_id,
                    task_key,
                    version_id,
                    next_due,
                    snoozed_until,
                    missed_in_row,
                    pace,
                    due_on,
                    f"{brand} {name}",
                    UnitFacts(unit_id, model_id, organisation_id, retailer_id, category),
                )
            )
    return list(reminders.values())


def _entries(
    reminder: ClaimedReminder, tasks: TaskTexts, owned: set[tuple[int, int]]
) -> list[Entry]:
    """The items still worth a message: not done or snoozed since, still owned, still a task."""
    entries = []
    for item in reminder.items:
        task = tasks.get(item.version_id, item.task_key)
        if task is None or (reminder.owner_id, item.facts.unit_id) not in owned:
            continue
        if due_dates.reminder_date(due_dates.Schedule.from_row(item)) != item.due_on:
            continue
        entries.append(
            Entry(
                item.schedule_id,
                task,
                item.appliance,
                item.next_due,
                missed=item.missed_in_row,
                ask=asks_about_pace(item.missed_in_row, item.pace),
            )
        )
    return sorted(entries, key=lambda entry: (entry.next_due, entry.task.position))


def prepare(claim: Claim, clock: datetime, outcomes: Outcomes, tasks: TaskTexts) -> list[Job]:
    """Render the claimed reminders; cancel or defer those that must not go now."""
    reminders, owners, owned = read_batch(claim, tasks)
    jobs: list[Job] = []
    notices = notice_outbox.contents([r for r in reminders if r.kind == notice_outbox.KIND])
    for reminder in reminders:
        owner = owners[reminder.owner_id]
        if reminder.kind == notice_outbox.KIND:  # a recall or notice: its own rules
            _prepare_notice(reminder, owner, notices.get(reminder.id), clock, outcomes, jobs)
            continue
        if not is_reachable(owner, reminder.channel):
            outcomes.cancelled.append((reminder.id, _unreachable(owner, reminder.channel)))
            continue
        entries = _entries(reminder, tasks, owned)
        if not entries:
            outcomes.cancelled.append((reminder.id, "nothing left to remind: done or snoozed"))
            continue
        zone = time_zone(owner.time_zone).key
        if due_dates.is_quiet_hours(clock, zone):
            # A pass after downtime must not wake people: the message waits for the morning.
            window = due_dates.next_send_window(clock, zone, owner.preferred_hour)
            outcomes.deferred.append((reminder.id, window))
            continue
        job = Job(reminder, zone, owner.preferred_hour, None)
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


def _prepare_notice(
    reminder: Any,
    owner: ClaimedOwner,
    row: Any,
    clock: datetime,
    outcomes: Outcomes,
    jobs: list[Job],
) -> None:
    """A notice goes now, paused or not, whatever the send hour (services/notices/outbox.py)."""
    job = Job(reminder, time_zone(owner.time_zone).key, due_dates.FIRST_SEND_HOUR, None)
    try:
        decision = notice_outbox.decide(reminder, owner, row, clock)
    except Exception as error:  # a bad text must not stop the other messages
        logger.exception("notice message %s could not be rendered", reminder.id)
        outcomes.failed.append((job, SendError(f"render failed: {error}", permanent=False)))
        return
    if decision.cancel is not None:
        outcomes.cancelled.append((reminder.id, decision.cancel))
    elif decision.at is not None:
        outcomes.deferred.append((reminder.id, decision.at))
    else:
        job.message = decision.message
        jobs.append(job)


def _unreachable(owner: ClaimedOwner, channel: str) -> str:
    """Why a reminder cannot go to its owner: suppression named as such, so a bounce shows."""
    suppressed = owner.email_suppressed_at if channel == "email" else owner.phone_suppressed_at
    if suppressed is not None:
        return f"{channel} suppressed"
    return f"owner not reachable by {channel}"
