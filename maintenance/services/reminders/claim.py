"""Claim a batch of due reminders with a lease, so that parallel dispatchers never share one.

A claimed reminder is "sending" until its lease ends. A dispatcher that dies mid-batch leaves its
leases to expire; the next claim after that takes those reminders again, so none is lost.
The lease_until value a claim writes doubles as its ticket: marking a reminder sent or failed
only succeeds while it still holds that exact value, so a dispatcher that lost its lease to
another cannot overwrite the other's outcome.

On PostgreSQL the candidate rows are locked with FOR UPDATE SKIP LOCKED, so concurrent claims
skip each other's rows instead of waiting; SQLite runs one writer at a time, so the same single
UPDATE ... WHERE id IN (SELECT ... LIMIT n) is atomic there without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import Reminder

# Long enough for a batch to render and send (seconds per message at worst), short enough that
# a crashed dispatcher's reminders are picked up again within minutes.
DEFAULT_LEASE_SECONDS = 300


@dataclass(frozen=True)
class Claim:
    """The reminders one claim took, and the lease that is their ticket."""

    ids: list[int]
    lease_until: datetime


def _pending_due(now: datetime, limit: int) -> Select[tuple[int]]:
    # status = 'pending' with next_attempt_at <= now walks ix_reminder_claim in order.
    return (
        select(Reminder.id)
        .where(Reminder.status == "pending", Reminder.next_attempt_at <= now)
        .order_by(Reminder.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def _lease_expired(now: datetime, limit: int) -> Select[tuple[int]]:
    return (
        select(Reminder.id)
        .where(Reminder.status == "sending", Reminder.lease_until < now)
        .order_by(Reminder.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


@transactional
def claim_batch(now: datetime, limit: int, lease_seconds: int = DEFAULT_LEASE_SECONDS) -> Claim:
    """Take up to `limit` due reminders (pending, or sending with an expired lease)."""
    lease_until = now + timedelta(seconds=lease_seconds)
    ids: list[int] = []
    for candidates in (_pending_due, _lease_expired):
        if len(ids) >= limit:
            break
        taken = db.session.scalars(
            update(Reminder)
            .where(Reminder.id.in_(candidates(now, limit - len(ids)).scalar_subquery()))
            .values(
                status="sending",
                lease_until=lease_until,
                # Counting at claim time means a message that crashes its dispatcher every
                # time still runs out of attempts instead of looping forever.
                attempts=Reminder.attempts + 1,
            )
            .returning(Reminder.id)
            .execution_options(synchronize_session=False)
        ).all()
        ids.extend(taken)
    return Claim(ids=sorted(ids), lease_until=lease_until)
