"""Claim a batch of due reminders with a lease, so that parallel dispatchers never share one."""

# A claimed reminder is "sending" until its lease ends. A dispatcher that dies mid-batch leaves its
# leases to expire; the next claim after that takes those reminders again, so none is lost.
# The lease_until value a claim writes doubles as its ticket: marking a reminder sent or failed
# only succeeds while it still holds that exact value, so a dispatcher that lost its lease to
# another cannot overwrite the other's outcome.
#
# Safety notices (priority 1) are claimed ahead of maintenance reminders, but never the whole
# batch: NOTICE_SHARE of it at most while reminders are due, so a notice to a hundred thousand
# owners holds no reminder back for longer than one batch; room the reminders leave goes to
# notices again.
#
# On PostgreSQL the candidate rows are locked with FOR UPDATE SKIP LOCKED, so concurrent claims
# skip each other's rows instead of waiting; SQLite runs one writer at a time, so the same single
# UPDATE ... WHERE id IN (SELECT ... LIMIT n) is atomic there without it.

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import Reminder
from maintenance.models.notice import NOTICE_PRIORITY

# Long enough for a batch to render and send (seconds per message at worst), short enough that
# a crashed dispatcher's reminders are picked up again within minutes.
DEFAULT_LEASE_SECONDS = 300
# The part of a batch notices may take first; maintenance reminders then fill the rest.
NOTICE_SHARE = 0.75


@dataclass(frozen=True)
class Claim:
    """The reminders one claim took, and the lease that is their ticket."""

    ids: list[int]
    lease_until: datetime


def _pending_due(now: datetime, limit: int, priority: int = 0) -> Select[tuple[int]]:
    # status, priority, then next_attempt_at <= now walks ix_reminder_claim_priority in order.
    return (
        select(Reminder.id)
        .where(
            Reminder.status == "pending",
            Reminder.priority == priority,
            Reminder.next_attempt_at <= now,
        )
        .order_by(Reminder.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def _notices_due(now: datetime, limit: int) -> Select[tuple[int]]:
    return _pending_due(now, limit, NOTICE_PRIORITY)


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
    notice_share = max(1, int(limit * NOTICE_SHARE)) if limit > 1 else limit
    steps: list[tuple[Callable[[datetime, int], Select[tuple[int]]], int]] = [
        (_notices_due, notice_share),  # notices first, up to their share
        (_pending_due, limit),  # maintenance reminders
        (_notices_due, limit),  # the room reminders left
        (_lease_expired, limit),
    ]
    for candidates, up_to in steps:
        room = min(up_to, limit) - len(ids)
        if room <= 0:
            continue
        taken = db.session.scalars(
            update(Reminder)
            .where(Reminder.id.in_(candidates(now, room).scalar_subquery()))
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
