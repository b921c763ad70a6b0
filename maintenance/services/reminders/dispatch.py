"""One dispatch pass: claim batches, render, send over one connection per channel, record outcomes.

Nothing is held locked while messages go out: a claim commits its lease first, and outcomes are
written afterwards, guarded by that lease. A message is marked sent right after its batch chunk
is sent, so only a crash between sending and marking can send it twice.
Failures retry with exponential backoff and jitter (never into the owner's quiet hours); after
REMINDER_MAX_ATTEMPTS the reminder is failed with its reason. A permanent failure (hard bounce,
invalid or opted-out number) suppresses that address and cancels its other pending reminders.
"""

from __future__ import annotations

import json
import logging
import random
import time
import typing
from collections import defaultdict
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import (
    ARRAY,
    JSON,
    Integer,
    String,
    any_,
    bindparam,
    cast,
    column,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import CursorResult

from maintenance.clock import time_zone
from maintenance.db.bulk import id_in
from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import (
    DeliveryEvent,
    Owner,
    Ownership,
    ProductModel,
    Reminder,
    ReminderItem,
    Task,
    TaskSchedule,
    Unit,
)
from maintenance.notify import Channel, EmailMessage, Message, SendError, channels_from_settings
from maintenance.ops import metrics
from maintenance.services import due_dates
from maintenance.services.events import UnitFacts, add_events, event_row
from maintenance.services.notices import outbox as notice_outbox
from maintenance.services.reminders.claim import DEFAULT_LEASE_SECONDS, Claim, claim_batch
from maintenance.services.reminders.reachability import is_reachable
from maintenance.services.reminders.render import Entry, asks_about_pace, render

logger = logging.getLogger("maintenance.services.reminders")

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


@dataclass(frozen=True)
class _Item:
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
class _Claimed:
    """A claimed reminder as plain data: read once, used to render, send and record."""

    id: int
    owner_id: int
    channel: str
    kind: str
    send_on: date
    attempts: int
    message_id: str | None
    dedupe_key: str
    items: list[_Item] = field(default_factory=list)


@dataclass
class _Owner:
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
class _Task:
    """What a message shows of a task: its key, place in the protocol and published text."""

    key: str
    position: int
    spec: dict[str, Any]


class _Tasks:
    """The tasks of the protocol versions a pass has met, read once per version.

    A published version and its tasks never change (a new text is a new version), so later
    batches reuse them instead of reading and JSON-decoding the same specs again.
    """

    def __init__(self) -> None:
        self._by_key: dict[tuple[int, str], _Task] = {}
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
            self._by_key[(version_id, key)] = _Task(key, position, spec)
        self._versions.update(missing)

    def get(self, version_id: int, key: str) -> _Task | None:
        """The task with this key in this version, if the version has it."""
        return self._by_key.get((version_id, key))


# Owner's columns that _Owner copies, in its order.
_OWNER_COLUMNS = [Owner.__table__.c[name] for name in _Owner.__dataclass_fields__]


@dataclass
class _Job:
    """A rendered message ready to go, with what its outcome needs."""

    reminder: _Claimed
    time_zone: str
    preferred_hour: int
    # None when rendering failed: the failure is recorded like a failed send.
    message: Message | None

    @property
    def reminder_id(self) -> int:
        """The reminder's id."""
        return self.reminder.id


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

    def add(self, other: _Outcomes) -> None:
        """Add another chunk's outcomes to these."""
        self.sent += other.sent
        self.failed += other.failed
        self.cancelled += other.cancelled
        self.deferred += other.deferred
        self.released += other.released


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name) or default)


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """The wait before the next attempt: doubling per attempt, capped, with half of it random."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    # "Equal jitter": never sooner than half the wait, so retries still spread out and back off.
    return timedelta(seconds=ceiling / 2 + rng.uniform(0, ceiling / 2))


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _load(
    claim: Claim, tasks: _Tasks
) -> tuple[list[_Claimed], dict[int, _Owner], set[tuple[int, int]]]:
    """The claimed reminders with their items, owners and the owners' active units.

    Their tasks are added to `tasks`, which keeps the ones earlier batches of the pass read.
    """
    reminders = _claimed(claim.ids)
    owner_ids = list({reminder.owner_id for reminder in reminders})
    # Plain rows: ORM owners cost more to load (and to expire again) than rendering used them.
    owners = {
        row.id: _Owner(*row)
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


def _claimed(ids: list[int]) -> list[_Claimed]:
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
    reminders: dict[int, _Claimed] = {}
    # By position, not by name: a Row finds a name only after a failed attribute lookup, and
    # raising that AttributeError cost more than the rest of reading the row.
    for row in rows:
        reminder = reminders.get(row[0])
        if reminder is None:
            reminder = reminders[row[0]] = _Claimed(*row[:8])  # the reminder's own columns
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
                _Item(
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


def _entries(reminder: _Claimed, tasks: _Tasks, owned: set[tuple[int, int]]) -> list[Entry]:
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


def _prepare(claim: Claim, clock: datetime, outcomes: _Outcomes, tasks: _Tasks) -> list[_Job]:
    """Render the claimed reminders; cancel or defer those that must not go now."""
    reminders, owners, owned = _load(claim, tasks)
    jobs: list[_Job] = []
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
        job = _Job(reminder, zone, owner.preferred_hour, None)
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
    reminder: _Claimed,
    owner: _Owner,
    row: Any,
    clock: datetime,
    outcomes: _Outcomes,
    jobs: list[_Job],
) -> None:
    """A notice goes now, paused or not, whatever the send hour (services/notices/outbox.py)."""
    job = _Job(reminder, time_zone(owner.time_zone).key, due_dates.FIRST_SEND_HOUR, None)
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


def _unreachable(owner: _Owner, channel: str) -> str:
    """Why a reminder cannot go to its owner: suppression named as such, so a bounce shows."""
    suppressed = owner.email_suppressed_at if channel == "email" else owner.phone_suppressed_at
    if suppressed is not None:
        return f"{channel} suppressed"
    return f"owner not reachable by {channel}"


def _events(kind: str, reminder: _Claimed, at: datetime) -> list[dict[str, Any]]:
    """One event row per task in the message, as record_reminder would add them."""
    return [
        event_row(
            kind,
            facts=item.facts,
            at=at,
            task_key=item.task_key,
            version_id=item.version_id,
            channel=reminder.channel,
            due_on=item.due_on,
        )
        for item in reminder.items
    ]


def _mark_sent(sent: list[tuple[_Job, str]], claim: Claim, clock: datetime) -> set[int]:
    """Mark reminders sent while they still hold this claim's lease; the ids that did."""
    table = Reminder.__table__
    held = (table.c.status == "sending") & (table.c.lease_until == claim.lease_until)
    done = {"status": "sent", "sent_at": clock, "lease_until": None, "last_error": None}
    if _is_postgresql():
        # One statement for the chunk; RETURNING names the rows whose lease still held.
        ids = cast(bindparam("ids", [job.reminder_id for job, _ in sent]), ARRAY(Integer))
        # The ids and their provider and Message-IDs as one JSON text, encoded in C: psycopg
        # checks every text of an array parameter with a regular expression for quoting.
        outcomes = json.dumps(
            [{"id": job.reminder_id, "provider": p, "mid": _mid(job)} for job, p in sent]
        )
        given = (
            func.json_to_recordset(cast(bindparam("outcomes", outcomes, type_=String), JSON))
            .table_valued(column("id", Integer), column("provider", String), column("mid", String))
            .render_derived(with_types=True)
        )
        return set(
            db.session.execute(
                update(table)
                # = ANY(ids) as well: the primary key finds the rows whatever the estimates.
                .where(table.c.id == any_(ids), table.c.id == given.c.id, held)
                .values(
                    provider_id=given.c.provider,
                    message_id=func.coalesce(table.c.message_id, given.c.mid),
                    **done,
                )
                .returning(table.c.id)
            ).scalars()
        )
    # SQLite runs in-process, so a statement per row costs no round trip; rowcount tells.
    connection = db.session.connection()
    marked = set()
    for job, provider in sent:
        changed = connection.execute(
            update(table)
            .where(table.c.id == job.reminder_id, held)
            .values(
                provider_id=provider,
                message_id=func.coalesce(table.c.message_id, _mid(job)),
                **done,
            )
        )
        if changed.rowcount == 1:
            marked.add(job.reminder_id)
    return marked


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
        marked = _mark_sent(outcomes.sent, claim, clock)
        result.sent += len(marked)
        notice_outbox.record_sent(
            [j.reminder_id for j, _p in outcomes.sent if j.reminder_id in marked and _is_notice(j)],
            clock,
        )
        # Events only for the rows this claim still held: another dispatcher's are its own.
        add_events(
            row
            for job, _provider in outcomes.sent
            if job.reminder_id in marked
            for row in _events("reminder_sent", job.reminder, clock)
        )
    for reminder_id, reason in outcomes.cancelled:
        changed = connection.execute(
            update(table)
            .where(ours)
            .values(status="cancelled", last_error=reason, lease_until=None),
            {"b_id": reminder_id},
        )
        result.cancelled += changed.rowcount
    for reminder_id, at in outcomes.deferred:
        changed = connection.execute(
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
        result.deferred += changed.rowcount
    for reminder_id in outcomes.released:
        changed = connection.execute(
            update(table)
            .where(ours)
            .values(status="pending", lease_until=None, attempts=table.c.attempts - 1),
            {"b_id": reminder_id},
        )
        result.released += changed.rowcount
    max_attempts = _setting("REMINDER_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)
    for job, error in outcomes.failed:
        final = error.permanent or job.reminder.attempts >= max_attempts
        values: dict[str, Any] = {
            "last_error": str(error),
            "lease_until": None,
            "message_id": func.coalesce(table.c.message_id, _mid(job)),
        }
        if final:
            values["status"] = "failed"
        else:
            values["status"] = "pending"
            retry_at = clock + backoff(job.reminder.attempts, rng)
            values["next_attempt_at"] = due_dates.next_send_window(
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
            add_events(_events("reminder_failed", job.reminder, clock))
            if _is_notice(job):
                notice_outbox.record_failed([job.reminder_id], clock, error.reason)
        else:
            result.retried += 1
        metrics.count_failure(
            job.reminder.channel, error.code or ("permanent" if error.permanent else "temporary")
        )
        if error.permanent:
            suppress_channel(
                job.reminder.owner_id, job.reminder.channel, clock, reason=error.reason
            )


def _is_notice(job: _Job) -> bool:
    return job.reminder.kind == notice_outbox.KIND


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
    # An UPDATE or DELETE gives a CursorResult; Session.execute is typed with the plain Result.
    return typing.cast(CursorResult[Any], cancelled).rowcount or 0


def _send_jobs(
    jobs: list[_Job],
    channels: Mapping[str, Channel],
    claim: Claim,
    clock: datetime,
    deadline: float,
    rng: random.Random,
    result: DispatchResult,
    bounced: dict[tuple[int, str], str],
) -> None:
    """Send each channel's jobs over one connection, recording outcomes every MARK_EVERY sends.

    `bounced` holds the (owner, channel) pairs that failed permanently in this pass, with the
    reason: their other reminders, claimed already and so not cancelled with the pending ones,
    are cancelled instead of sent.
    """
    by_channel: dict[str, list[_Job]] = defaultdict(list)
    for job in jobs:
        by_channel[job.reminder.channel].append(job)
    for name, channel_jobs in by_channel.items():
        started = time.perf_counter()
        outcomes = _Outcomes()
        counts = _Outcomes()  # every outcome of the channel's jobs, for the batch's log line
        with channels[name] as channel:
            for position, job in enumerate(channel_jobs):
                if time.monotonic() > deadline:
                    # Our lease is about to end: hand the rest back untouched.
                    outcomes.released.extend(j.reminder_id for j in channel_jobs[position:])
                    break
                reason = bounced.get((job.reminder.owner_id, name))
                if reason is not None:
                    outcomes.cancelled.append((job.reminder_id, f"{name} suppressed: {reason}"))
                    continue
                assert job.message is not None
                try:
                    sent = channel.send(job.message)
                    outcomes.sent.append((job, sent.provider_id))
                except SendError as error:
                    outcomes.failed.append((job, error))
                    if error.permanent:
                        bounced[(job.reminder.owner_id, name)] = error.reason
                except Exception as error:  # a bug in one message must not strand the batch
                    logger.exception("reminder %s: unexpected send error", job.reminder_id)
                    outcomes.failed.append((job, SendError(repr(error), permanent=False)))
                if len(outcomes.sent) + len(outcomes.failed) >= MARK_EVERY:
                    _record(outcomes, claim, clock, rng, result)
                    counts.add(outcomes)
                    outcomes = _Outcomes()
        if outcomes:
            _record(outcomes, claim, clock, rng, result)
            counts.add(outcomes)
        _log_batch(name, channel_jobs, counts, started)


def _log_batch(name: str, jobs: list[_Job], counts: _Outcomes, started: float) -> None:
    """One INFO line per batch and channel: the sends log only at DEBUG inside a batch."""
    ids = [job.reminder_id for job in jobs]
    logger.info(
        "%s batch of %d (reminders %d-%d) in %.1f ms: %d sent, %d failed, %d cancelled, "
        "%d handed back",
        name,
        len(jobs),
        min(ids),
        max(ids),
        (time.perf_counter() - started) * 1000,
        len(counts.sent),
        len(counts.failed),
        len(counts.cancelled),
        len(counts.released),
    )


def _send_batch(
    app: Flask,
    jobs: list[_Job],
    channels: Mapping[str, Channel],
    claim: Claim,
    clock: datetime,
    deadline: float,
    rng: random.Random,
    claimed_at: float,
    bounced: dict[tuple[int, str], str],
) -> DispatchResult:
    """Send one batch and record its outcomes in a database session of its own."""
    result = DispatchResult()
    with app.app_context():
        _send_jobs(jobs, channels, claim, clock, deadline, rng, result, bounced)
    metrics.observe_dispatch(time.monotonic() - claimed_at)
    return result


def dispatch_once(
    now: datetime,
    batch_size: int = DEFAULT_BATCH_SIZE,
    *,
    channels: Mapping[str, Channel] | None = None,
    rng: random.Random | None = None,
    max_batches: int | None = None,
) -> DispatchResult:
    """Send every reminder due at `now` (aware): claim batches until none is left.

    On PostgreSQL one batch is sent (and its outcomes written) in a second thread while the next
    one is claimed and rendered: sending mostly waits on the mail server, so the two overlap.
    Batches are still sent strictly one after the other, and each send first checks the pass's
    hard bounces, so a bounce in one batch stops that address's messages in every later batch,
    even one rendered while the bounce happened. SQLite allows one writer at a time, so there
    the batches go one after the other.
    """
    if now.tzinfo is None:
        raise ValueError("pass an aware datetime")
    channels = channels or channels_from_settings(current_app.config)
    rng = rng or random.Random()
    lease_seconds = _setting("REMINDER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    started = time.monotonic()
    total = DispatchResult()
    batches = 0
    # Only the sending side reads and writes it, one batch at a time, so it needs no lock.
    bounced: dict[tuple[int, str], str] = {}
    tasks = _Tasks()
    sender = ThreadPoolExecutor(1, "reminder-sender") if _is_postgresql() else None
    sending: Future[DispatchResult] | None = None
    try:
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
            jobs = _prepare(claim, clock, outcomes, tasks)
            if outcomes:
                _record(outcomes, claim, clock, rng, total)
            deadline = claimed_at + lease_seconds - min(LEASE_MARGIN_SECONDS, lease_seconds / 10)
            # One batch in flight at most: the channels carry one batch at a time, in order.
            if sending is not None:
                total.add(sending.result())
                sending = None
            batch = (app, jobs, channels, claim, clock, deadline, rng, claimed_at, bounced)
            if sender is None:
                total.add(_send_batch(*batch))
            else:
                sending = sender.submit(_send_batch, *batch)
    finally:
        if sending is not None:
            total.add(sending.result())
        if sender is not None:
            sender.shutdown()
    return total
