"""Write what happened to a batch's reminders, each change only while the claim's lease holds."""

# Failures retry with exponential backoff and jitter (never into the owner's quiet hours); after
# REMINDER_MAX_ATTEMPTS the reminder is failed with its reason. A permanent failure (hard bounce,
# invalid or opted-out number) suppresses that address and cancels its other pending reminders.

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
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
    update,
)

from maintenance.db.bulk import on_postgresql
from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import DeliveryEvent, Reminder
from maintenance.notify import EmailMessage
from maintenance.ops import metrics
from maintenance.services import due_dates
from maintenance.services.events import add_events, event_row
from maintenance.services.notices import outbox as notice_outbox
from maintenance.services.reminders.batch import ClaimedReminder, Job, Outcomes
from maintenance.services.reminders.claim import Claim
from maintenance.services.reminders.reachability import suppress_channel

DEFAULT_MAX_ATTEMPTS = 8
# First retry after about 5 minutes, doubling up to 6 hours: 8 attempts cover about 10 hours.
BACKOFF_BASE_SECONDS = 300
BACKOFF_CAP_SECONDS = 6 * 3600


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


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """The wait before the next attempt: doubling per attempt, capped, with half of it random."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    # "Equal jitter": never sooner than half the wait, so retries still spread out and back off.
    return timedelta(seconds=ceiling / 2 + rng.uniform(0, ceiling / 2))


def _events(kind: str, reminder: ClaimedReminder, at: datetime) -> list[dict[str, Any]]:
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


def _is_notice(job: Job) -> bool:
    return job.reminder.kind == notice_outbox.KIND


def _mark_sent(sent: list[tuple[Job, str]], claim: Claim, clock: datetime) -> set[int]:
    """Mark reminders sent while they still hold this claim's lease; the ids that did."""
    table = Reminder.__table__
    held = (table.c.status == "sending") & (table.c.lease_until == claim.lease_until)
    done = {"status": "sent", "sent_at": clock, "lease_until": None, "last_error": None}
    if on_postgresql():
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
def record_outcomes(
    outcomes: Outcomes, claim: Claim, clock: datetime, rng: random.Random, result: DispatchResult
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
    max_attempts = int(current_app.config.get("REMINDER_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS)
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


def _mid(job: Job) -> str | None:
    return job.message.message_id if isinstance(job.message, EmailMessage) else None
